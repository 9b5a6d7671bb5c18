/**
 * Puffin patches (A/B payloads' PUFFDIFF operation), our own code after
 * puffin's puffpatch.cc and puffin.proto:
 *
 *   "PUF1", u32 BE header size, a PatchHeader protobuf of that size, then the raw patch.
 *
 *   PatchHeader { int32 version = 1; StreamInfo src = 2; StreamInfo dst = 3; PatchType type = 4 (BSDIFF 0, ZUCCHINI 1) }
 *   StreamInfo  { repeated BitExtent deflates = 1; repeated BitExtent puffs = 2; uint64 puff_length = 3 }
 *   BitExtent   { uint64 offset = 1; uint64 length = 2 }
 *
 * Deflate extents are in bits; puff extents are in bits too on the wire
 * (puffin multiplies byte extents by 8 and divides them back). Applying: the
 * source's deflates are puffed into the puffed source, the raw patch turns it
 * into the puffed target, and the target's puffs are huffed back into
 * deflate data. The raw patch is bsdiff (BSDIFF40 or BSDF2) for type BSDIFF;
 * for type ZUCCHINI it is a brotli-compressed Zucchini ensemble patch
 * (puffin's puffpatch.cc decodes it with BrotliDecode), applied with
 * src/codecs/zucchini (raw elements only).
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { type BitExtent, type ByteExtent, PuffinError } from './deflate';
import { huffStream, puffStream } from './stream';
import { applyZucchiniPatch, brotliZucchiniPatch } from '../zucchini';

export const PUFFIN_MAGIC = 'PUF1';

/**
 * Default cap on a puffed stream and on the deflate data rebuilt from one (both
 * are held in memory; update_engine applies PUFFDIFF per operation, whose
 * extents bound them). docs/limits.md.
 */
export const PUFF_MAX_BYTES = 256 * 1024 * 1024;
/** Cap on the deflate extents one side of a patch may list. docs/limits.md. */
export const PUFF_MAX_EXTENTS = 1 << 20;

export type PuffPatchType = 'bsdiff' | 'zucchini';

export interface PuffStreamInfo {
  deflates: BitExtent[];
  puffs: ByteExtent[];
  puffLength: number;
}

export interface PuffPatchHeader {
  version: number;
  src: PuffStreamInfo;
  dst: PuffStreamInfo;
  type: PuffPatchType;
  /** Where the raw patch starts in the puffin patch. */
  rawOffset: number;
}

function num(v: bigint | string | number, what: string): number {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new PuffinError(`${what} ${n} is too large`);
  return Number(n);
}

function want(wt: WireType, expected: WireType, what: string): void {
  if (wt !== expected) throw new PuffinError(`puffin patch header: ${what} has the wrong wire type`);
}

function readExtent(buf: Uint8Array, what: string): { offset: number; length: number } {
  const r = new BinaryReader(buf);
  let offset = 0;
  let length = 0;
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 || no === 2) {
      want(wt, WireType.Varint, `${what} field ${no}`);
      const v = num(r.uint64(), what);
      if (no === 1) offset = v;
      else length = v;
    } else r.skip(wt, no);
  }
  return { offset, length };
}

function readStreamInfo(buf: Uint8Array, side: string): PuffStreamInfo {
  const r = new BinaryReader(buf);
  const info: PuffStreamInfo = { deflates: [], puffs: [], puffLength: 0 };
  while (r.pos < r.len) {
    const [no, wt] = r.tag();
    if (no === 1 || no === 2) {
      want(wt, WireType.LengthDelimited, `${side} extent`);
      const list = no === 1 ? info.deflates : info.puffs;
      if (list.length >= PUFF_MAX_EXTENTS) throw new PuffinError(`puffin patch header lists more than ${PUFF_MAX_EXTENTS} ${side} extents`);
      const e = readExtent(r.bytes(), `${side} ${no === 1 ? 'deflate' : 'puff'} extent`);
      if (no === 2) {
        if (e.offset % 8 || e.length % 8) throw new PuffinError(`${side} puff extent ${e.offset}+${e.length} bits is not whole bytes`);
        list.push({ offset: e.offset / 8, length: e.length / 8 });
      } else list.push(e);
    } else if (no === 3) {
      want(wt, WireType.Varint, `${side} puff_length`);
      info.puffLength = num(r.uint64(), `${side} puff_length`);
    } else r.skip(wt, no);
  }
  return info;
}

/** Decodes a puffin patch's header. Throws PuffinError when it is not one. */
export function readPuffPatchHeader(patch: Uint8Array): PuffPatchHeader {
  if (patch.length < 8 || Buffer.from(patch.subarray(0, 4)).toString('latin1') !== PUFFIN_MAGIC) throw new PuffinError('not a puffin patch (no PUF1 magic)');
  const size = Buffer.from(patch.buffer, patch.byteOffset, patch.length).readUInt32BE(4);
  if (size > patch.length - 8) throw new PuffinError(`puffin patch header of ${size} bytes runs past the ${patch.length}-byte patch`);
  const h: PuffPatchHeader = { version: 0, src: { deflates: [], puffs: [], puffLength: 0 }, dst: { deflates: [], puffs: [], puffLength: 0 }, type: 'bsdiff', rawOffset: 8 + size };
  try {
    const r = new BinaryReader(patch.subarray(8, 8 + size));
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no === 1) {
        want(wt, WireType.Varint, 'version');
        h.version = r.int32();
      } else if (no === 2 || no === 3) {
        want(wt, WireType.LengthDelimited, no === 2 ? 'src' : 'dst');
        const info = readStreamInfo(r.bytes(), no === 2 ? 'source' : 'target');
        if (no === 2) h.src = info;
        else h.dst = info;
      } else if (no === 4) {
        want(wt, WireType.Varint, 'type');
        const t = r.int32();
        if (t !== 0 && t !== 1) throw new PuffinError(`puffin patch type ${t} is unknown (0 BSDIFF, 1 ZUCCHINI)`);
        h.type = t === 0 ? 'bsdiff' : 'zucchini';
      } else r.skip(wt, no);
    }
  } catch (e) {
    if (e instanceof PuffinError) throw e;
    throw new PuffinError(`puffin patch header does not decode as protobuf (${(e as Error).message})`);
  }
  return h;
}

/** Encodes a puffin patch (the test encoder's and any writer's side): magic, header size, header, raw patch. */
export function writePuffPatch(h: Omit<PuffPatchHeader, 'rawOffset'>, raw: Uint8Array): Buffer {
  const varint = (v: number): number[] => {
    const out: number[] = [];
    let n = BigInt(v);
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const field = (no: number, body: number[]): number[] => [...varint((no << 3) | 2), ...varint(body.length), ...body];
  const extent = (offset: number, length: number): number[] => [...(offset ? [0x08, ...varint(offset)] : []), ...(length ? [0x10, ...varint(length)] : [])];
  const info = (s: PuffStreamInfo): number[] => [
    ...s.deflates.flatMap((d) => field(1, extent(d.offset, d.length))),
    ...s.puffs.flatMap((p) => field(2, extent(p.offset * 8, p.length * 8))),
    ...(s.puffLength ? [0x18, ...varint(s.puffLength)] : []),
  ];
  const body = [...(h.version ? [0x08, ...varint(h.version)] : []), ...field(2, info(h.src)), ...field(3, info(h.dst)), ...(h.type === 'zucchini' ? [0x20, 1] : [])];
  const head = Buffer.alloc(8);
  head.write(PUFFIN_MAGIC, 0, 'latin1');
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, Buffer.from(body), raw]);
}

/** The new-file size a BSDIFF40 or BSDF2 patch declares (offtin at byte 24; negative when its sign bit is set), or null for another format. */
function bsdiffNewSize(raw: Uint8Array): number | null {
  if (raw.length < 32) return null;
  const magic = Buffer.from(raw.subarray(0, 8)).toString('latin1');
  if (magic !== 'BSDIFF40' && !magic.startsWith('BSDF2')) return null;
  const b = Buffer.from(raw.buffer, raw.byteOffset + 24, 8);
  const v = b.readBigUInt64LE(0);
  const mag = v & 0x7fffffffffffffffn;
  return v >> 63n ? -Number(mag) : mag > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(mag);
}

export interface PuffPatchOptions {
  /** Cap on the puffed source, the puffed target and the rebuilt target (default PUFF_MAX_BYTES). */
  maxBytes?: number;
  /** The target size the operation's extents hold, when known: checked before anything is rebuilt. */
  targetSize?: number;
}

/** Target deflate data size the dst side of a header implies. */
function targetSizeOf(dst: PuffStreamInfo): number {
  if (!dst.deflates.length || !dst.puffs.length) return dst.puffLength;
  const last = dst.deflates[dst.deflates.length - 1];
  const lastPuff = dst.puffs[dst.puffs.length - 1];
  return Math.floor((last.offset + last.length) / 8) + dst.puffLength - (lastPuff.offset + lastPuff.length);
}

/**
 * Applies a puffin patch to `source` (the operation's source bytes). `bspatch`
 * applies the raw BSDIFF40/BSDF2 patch (the payload's own bspatch); a
 * ZUCCHINI patch goes through src/codecs/zucchini. Throws PuffinError with
 * the reason when the patch does not fit the source, its Zucchini patch is
 * not applied (an executable element, a CRC-32 mismatch...), or its target
 * does not re-encode.
 */
export function applyPuffPatch(source: Uint8Array, patch: Uint8Array, bspatch: (old: Buffer, patch: Buffer) => Buffer, opts: PuffPatchOptions = {}): Buffer {
  const max = opts.maxBytes ?? PUFF_MAX_BYTES;
  const h = readPuffPatchHeader(patch);
  for (const [side, s] of [['source', h.src] as const, ['target', h.dst] as const]) {
    if (s.deflates.length !== s.puffs.length) throw new PuffinError(`puffin patch lists ${s.deflates.length} ${side} deflates but ${s.puffs.length} puffs`);
    if (s.puffLength > max) throw new PuffinError(`${side} puffed size ${s.puffLength} passes the limit of ${max} bytes`);
  }
  const targetSize = targetSizeOf(h.dst);
  if (targetSize < 0 || targetSize > max) throw new PuffinError(`puffin patch implies a target of ${targetSize} bytes (limit ${max})`);
  if (opts.targetSize !== undefined && targetSize !== opts.targetSize) throw new PuffinError(`puffin patch rebuilds ${targetSize} bytes, but the operation's target extents hold ${opts.targetSize}`);

  const { puffed, puffs } = puffStream(source, h.src.deflates, max);
  if (puffed.length !== h.src.puffLength) throw new PuffinError(`source puffs to ${puffed.length} bytes, but the patch says ${h.src.puffLength}`);
  for (const [i, p] of puffs.entries()) {
    const q = h.src.puffs[i];
    if (p.offset !== q.offset || p.length !== q.length) throw new PuffinError(`source deflate ${i} puffs to bytes ${p.offset}+${p.length}, but the patch says ${q.offset}+${q.length}`);
  }
  const raw = patch.subarray(h.rawOffset);
  if (h.type === 'zucchini') {
    let target: Buffer;
    try {
      target = applyZucchiniPatch(puffed, brotliZucchiniPatch(raw, max), { maxBytes: max, newSize: h.dst.puffLength });
    } catch (e) {
      throw new PuffinError(`the Zucchini patch inside the puffin patch does not apply: ${(e as Error).message}`, { cause: e });
    }
    return huffStream(target, h.dst.deflates, h.dst.puffs, max);
  }
  const declared = bsdiffNewSize(raw);
  if (declared === null) throw new PuffinError('the raw patch after the puffin header is neither BSDIFF40 nor BSDF2');
  if (declared !== h.dst.puffLength) throw new PuffinError(`bsdiff patch makes ${declared} bytes, but the puffed target is ${h.dst.puffLength}`);
  let puffedTarget: Buffer;
  try {
    puffedTarget = bspatch(puffed, Buffer.from(raw.buffer, raw.byteOffset, raw.length));
  } catch (e) {
    throw new PuffinError(`the bsdiff patch inside the puffin patch does not apply: ${(e as Error).message}`, { cause: e });
  }
  if (puffedTarget.length !== h.dst.puffLength) throw new PuffinError(`bsdiff made ${puffedTarget.length} puffed bytes, not the ${h.dst.puffLength} the patch says`);
  return huffStream(puffedTarget, h.dst.deflates, h.dst.puffs, max);
}
