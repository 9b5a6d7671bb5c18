/**
 * Incremental payloads applied to a base build (`--base`), as update_engine's
 * delta_performer applies them: the old partition is read by extent, never
 * whole; SOURCE_COPY and MOVE copy old blocks, BSDIFF, SOURCE_BSDIFF and
 * BROTLI_BSDIFF patch the old blocks their source extents list with a
 * bsdiff patch (BSDIFF40 or BSDF2; src/codecs/bspatch.ts). Each operation's
 * output is written to its destination extents by PartitionSource, which
 * also serves the operations a full payload has (REPLACE*, ZERO, DISCARD).
 *
 * PUFFDIFF goes through src/codecs/puffin (deflate streams puffed, the
 * bsdiff patch inside applied, the target re-deflated bit for bit);
 * LZ4DIFF_BSDIFF and LZ4DIFF_PUFFDIFF through src/codecs/lz4diff.ts (LZ4
 * blocks decoded, the inner bsdiff or puffin patch applied, the target
 * recompressed as liblz4's LZ4_compress_destSize or, for LZ4HC at any
 * level, LZ4_compress_HC_destSize does).
 * ZUCCHINI goes through src/codecs/zucchini: its data is a brotli-compressed
 * Zucchini ensemble patch (update_engine's generator writes it so) over the
 * operation's source extents read whole, making its destination extents;
 * raw (NoOp) elements apply, an executable element (ELF, DEX...) is an
 * error naming its type, which becomes a finding on the partition.
 */
import { createHash } from 'node:crypto';
import { LIMITS } from '../../io/limits';
import { FormatError, RomscopeError } from '../../io/errors';
import { STREAM_CHUNK, type RandomSource } from '../../io/source';
import { CodecError } from '../../codecs';
import { bspatch, bspatchBuffer, parseBspatchHeader } from '../../codecs/bspatch';
import { applyPuffPatch } from '../../codecs/puffin';
import { applyLz4diffPatch } from '../../codecs/lz4diff';
import { applyCompressedZucchiniPatch } from '../../codecs/zucchini';
import type { Extent } from './manifest';
import type { ComputeOp, OpPlan } from './partition';

export const OP = { MOVE: 2, BSDIFF: 3, SOURCE_COPY: 4, SOURCE_BSDIFF: 5, PUFFDIFF: 9, BROTLI_BSDIFF: 10, ZUCCHINI: 11, LZ4DIFF_BSDIFF: 12, LZ4DIFF_PUFFDIFF: 13 } as const;

/** Operation types that read the old partition and that romscope applies. */
export const APPLIED_SOURCE_OPS = new Set<number>([OP.MOVE, OP.BSDIFF, OP.SOURCE_COPY, OP.SOURCE_BSDIFF, OP.BROTLI_BSDIFF, OP.ZUCCHINI, OP.LZ4DIFF_BSDIFF, OP.LZ4DIFF_PUFFDIFF]);
/** Why each operation type romscope does not apply is not applied. */
export const NOT_APPLIED: Record<number, string> = {
  [OP.PUFFDIFF]: 'no puffin patch applier is set',
};

/** Applies a puffin patch to an operation's source bytes (src/codecs/puffin's applyPuffPatch). */
export type PuffApplier = (source: Uint8Array, patch: Uint8Array, bspatch: (old: Buffer, patch: Buffer) => Buffer, opts: { maxBytes?: number }) => Buffer;
let puffApplier: PuffApplier | null = applyPuffPatch;

/**
 * PUFFDIFF operations apply with `fn`: by default src/codecs/puffin's
 * applyPuffPatch, given bspatchBuffer for the bsdiff patch inside; null
 * leaves them not applied (tests).
 */
export function usePuffPatch(fn: PuffApplier | null): void {
  puffApplier = fn;
}

/** Why romscope does not apply an operation type, or undefined when it does (or the type reads no source). */
export function notAppliedReason(type: number): string | undefined {
  if (type === OP.PUFFDIFF && puffApplier) return undefined;
  return NOT_APPLIED[type];
}

/** Whether romscope applies an operation type that reads the old partition. */
export function appliesSource(type: number): boolean {
  return APPLIED_SOURCE_OPS.has(type) || (type === OP.PUFFDIFF && puffApplier !== null);
}

/** What a `computed` operation reads. */
export interface DeltaDesc {
  type: number;
  src: Extent[];
  bs: number;
}

export function extentBytes(extents: Extent[], bs: number): number {
  return extents.reduce((n, e) => n + e.blocks * bs, 0);
}

/** The old bytes an operation's source extents list, in order, as one range [0, size). */
export class ExtentReader {
  readonly size: number;
  private readonly starts: number[] = [];
  constructor(
    private readonly base: RandomSource,
    private readonly extents: Extent[],
    private readonly bs: number,
    private readonly what: string,
  ) {
    let at = 0;
    for (const e of extents) {
      this.starts.push(at);
      at += e.blocks * bs;
    }
    this.size = at;
  }

  private async readAt(pos: number, n: number): Promise<Buffer> {
    const b = await this.base.read(pos, n);
    if (b.length < n) throw new FormatError(`${this.what} reads bytes ${pos}-${pos + n} of the old partition, which has ${this.base.size}`);
    return b;
  }

  /** [offset, offset + length) of the extents' bytes. */
  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let pos = offset;
    const end = offset + length;
    let i = 0;
    while (i + 1 < this.starts.length && this.starts[i + 1] <= pos) i++;
    for (; i < this.extents.length && pos < end; i++) {
      const e = this.extents[i];
      const from = pos - this.starts[i];
      const n = Math.min(end - pos, e.blocks * this.bs - from);
      if (n <= 0) continue;
      parts.push(await this.readAt(e.start * this.bs + from, n));
      pos += n;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async *stream(): AsyncGenerator<Buffer> {
    for (const e of this.extents) {
      const start = e.start * this.bs;
      const end = start + e.blocks * this.bs;
      for (let p = start; p < end; p += STREAM_CHUNK) yield await this.readAt(p, Math.min(STREAM_CHUNK, end - p));
    }
  }

  /** SHA-256 of the extents' bytes, hex. */
  async sha256(): Promise<string> {
    const h = createHash('sha256');
    for await (const c of this.stream()) h.update(c);
    return h.digest('hex');
  }
}

/** Old data read a window at a time: bspatch reads forward in small pieces. */
function windowed(r: ExtentReader): (offset: number, length: number) => Promise<Buffer> {
  let ws = 0;
  let win: Buffer = Buffer.alloc(0);
  return async (offset, length) => {
    if (offset >= ws && offset + length <= ws + win.length) return win.subarray(offset - ws, offset - ws + length);
    if (length >= STREAM_CHUNK) return r.read(offset, length);
    ws = offset;
    win = await r.read(offset, Math.min(r.size - offset, STREAM_CHUNK));
    return win.subarray(0, length);
  };
}

/** The compute function of a partition applied to `base`: the output of its source-reading operations. */
export function deltaCompute(base: RandomSource, payload: RandomSource, partition: string): ComputeOp {
  return async function* (op: OpPlan) {
    const d = op.delta as DeltaDesc;
    const what = `operation ${op.index} (${op.typeName}) of ${partition}`;
    const old = new ExtentReader(base, d.src, d.bs, what);
    if (d.type === OP.SOURCE_COPY || d.type === OP.MOVE) {
      yield* old.stream();
      return;
    }
    if (op.dataLength > LIMITS.maxBsdiffPatchBytes) throw new FormatError(`${what}: its patch is ${op.dataLength} bytes, more than the ${LIMITS.maxBsdiffPatchBytes} romscope applies`);
    const patch = await payload.read(op.dataStart, op.dataLength);
    if (patch.length < op.dataLength) throw new FormatError(`${what}: its patch runs past the end of the payload`);
    if (d.type === OP.LZ4DIFF_BSDIFF || d.type === OP.LZ4DIFF_PUFFDIFF) {
      // Like update_engine, the operation's whole source and target are held (one file's LZ4 clusters).
      if (old.size > LIMITS.maxBsdiffPatchBytes) throw new FormatError(`${what}: its source is ${old.size} bytes, more than the ${LIMITS.maxBsdiffPatchBytes} romscope patches in one operation`);
      const puff = puffApplier;
      let out: Buffer;
      try {
        out = applyLz4diffPatch(await old.read(0, old.size), patch, { puffpatch: puff && ((src, p, maxBytes) => puff(src, p, bspatchBuffer, { maxBytes })) }, LIMITS.maxBsdiffPatchBytes);
      } catch (e) {
        if (e instanceof RomscopeError) throw e;
        throw new FormatError(`${what}: ${(e as Error).message}`);
      }
      if (out.length > op.outBytes) throw new FormatError(`${what}: the LZ4DIFF patch makes ${out.length} bytes, more than the ${op.outBytes} its extents hold`);
      yield out;
      return;
    }
    if (d.type === OP.ZUCCHINI) {
      // Like PUFFDIFF: the operation's whole source and target, held in memory.
      if (old.size > LIMITS.maxBsdiffPatchBytes) throw new FormatError(`${what}: its source is ${old.size} bytes, more than the ${LIMITS.maxBsdiffPatchBytes} romscope patches in one operation`);
      let out: Buffer;
      try {
        out = applyCompressedZucchiniPatch(await old.read(0, old.size), patch, { maxBytes: LIMITS.maxBsdiffPatchBytes, newSize: op.outBytes });
      } catch (e) {
        if (e instanceof RomscopeError) throw e;
        throw new FormatError(`${what}: ${(e as Error).message}`);
      }
      yield out;
      return;
    }
    if (d.type === OP.PUFFDIFF) {
      // Puffin works on the whole source and target of the operation (a few MiB: one file's deflate streams).
      if (!puffApplier) throw new FormatError(`${what}: ${NOT_APPLIED[OP.PUFFDIFF]}`);
      if (old.size > LIMITS.maxBsdiffPatchBytes) throw new FormatError(`${what}: its source is ${old.size} bytes, more than the ${LIMITS.maxBsdiffPatchBytes} romscope patches in one operation`);
      let out: Buffer;
      try {
        out = puffApplier(await old.read(0, old.size), patch, bspatchBuffer, { maxBytes: LIMITS.maxBsdiffPatchBytes });
      } catch (e) {
        if (e instanceof RomscopeError) throw e;
        throw new FormatError(`${what}: ${(e as Error).message}`);
      }
      if (out.length > op.outBytes) throw new FormatError(`${what}: the puffin patch makes ${out.length} bytes, more than the ${op.outBytes} its extents hold`);
      yield out;
      return;
    }
    const header = parseBspatchHeader(patch);
    if (header.newSize > op.outBytes) throw new CodecError(`bsdiff patch: its header says the new data is ${header.newSize} bytes, more than the ${op.outBytes} its extents hold`);
    if (header.newSize > LIMITS.maxBsdiffPatchBytes) throw new FormatError(`${what}: its patch makes ${header.newSize} bytes, more than the ${LIMITS.maxBsdiffPatchBytes} romscope applies in one operation`);
    yield* bspatch(windowed(old), old.size, patch, header.newSize);
  };
}
