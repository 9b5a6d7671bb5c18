/**
 * The parts of a partition a full payload leaves to the device: since
 * Android 10, update_engine computes the dm-verity hash tree
 * (`hash_tree_extent`, over `hash_tree_data_extent`, with
 * `hash_tree_algorithm` and `hash_tree_salt`) and the FEC data
 * (`fec_extent`, over `fec_data_extent`, `fec_roots` parity bytes) after
 * writing the operations, and the manifest's partition hash covers them.
 * romscope computes them the same way while the partition streams, so the
 * partition hash is checked for these partitions too.
 *
 * The regions come out in partition order: every byte a region is
 * computed from lies before it (update_engine refuses a payload where it
 * does not), so one pass computes and yields everything. Memory: the tree
 * and the FEC data, about 1/128 and 2/253 of the data hashed.
 */
import { getHashes } from 'node:crypto';
import { STREAM_CHUNK, type RandomSource } from '../../io/source';
import { TruncatedError } from '../../io/errors';
import { HashtreeBuilder } from '../avb-vbmeta/digest';
import { fecSize } from '../../crypto/fec';
import { ThreadedFec } from '../../crypto/fec-thread';
import type { Extent, PartitionUpdate } from './manifest';

/** Hash tree and FEC data kept in memory, at most: per partition, and for all partitions together (the oldest are let go, and computed again if read again). */
export const VERITY_MEMORY_CAP = 256 * 1024 * 1024;

/** Sources holding computed regions, oldest first, and the bytes they hold. */
const holding = new Map<VeritySource, number>();
let held = 0;

function hold(src: VeritySource, bytes: number): void {
  holding.set(src, bytes);
  held += bytes;
  for (const [s, n] of holding) {
    if (held <= VERITY_MEMORY_CAP || s === src) break;
    holding.delete(s);
    held -= n;
    s.release();
  }
}

interface Range {
  start: number;
  end: number;
}

export interface VerityPlan {
  blockSize: number;
  tree?: { data: Range; region: Range; algo: string; salt: Buffer };
  fec?: { data: Range; region: Range; roots: number };
}

const DIGEST_BYTES: Record<string, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

function range(e: Extent, bs: number): Range {
  return { start: e.start * bs, end: (e.start + e.blocks) * bs };
}

/** Bytes of update_engine's hash tree over `dataBytes`: levels until one is a single block (one data block: one block). */
export function hashTreeSize(dataBytes: number, bs: number, digestBytes: number): number {
  let slot = 1;
  while (slot < digestBytes) slot *= 2;
  let n = Math.ceil(dataBytes / bs);
  let total = 0;
  for (;;) {
    const blocks = Math.ceil((n * slot) / bs);
    total += blocks;
    if (blocks <= 1) return total * bs;
    n = blocks;
  }
}

/**
 * What can be computed for a partition whose hash tree or FEC extents no
 * operation writes: the plan, or why not (`problem`: romscope cannot;
 * `invalid`: update_engine would refuse the payload too).
 */
export function planVerity(p: PartitionUpdate, bs: number, size: number, written: Range[]): { plan?: VerityPlan; problem?: string; invalid?: string } {
  const plan: VerityPlan = { blockSize: bs };
  const regions: Range[] = [];
  if (p.hashTreeExtent && !p.hashTreeExtent.hole && p.hashTreeExtent.blocks > 0) {
    if (!p.hashTreeDataExtent || p.hashTreeDataExtent.hole || p.hashTreeDataExtent.blocks === 0) return { invalid: `partition ${p.name} has a hash_tree_extent but no hash_tree_data_extent` };
    const data = range(p.hashTreeDataExtent, bs);
    const region = range(p.hashTreeExtent, bs);
    const algo = (p.hashTreeAlgorithm || 'sha256').toLowerCase();
    if (!DIGEST_BYTES[algo] || !getHashes().includes(algo)) return { problem: `its hash tree uses ${p.hashTreeAlgorithm}, which romscope cannot compute` };
    if (region.start < data.end) return { invalid: `partition ${p.name}: hash_tree_extent starts at byte ${region.start}, inside the data it hashes (up to ${data.end})` };
    const want = hashTreeSize(data.end - data.start, bs, DIGEST_BYTES[algo]);
    if (want !== region.end - region.start) return { invalid: `partition ${p.name}: hash_tree_extent holds ${region.end - region.start} bytes, the hash tree of ${data.end - data.start} bytes is ${want}` };
    plan.tree = { data, region, algo, salt: p.hashTreeSalt ?? Buffer.alloc(0) };
    regions.push(region);
  }
  if (p.fecExtent && !p.fecExtent.hole && p.fecExtent.blocks > 0) {
    if (!p.fecDataExtent || p.fecDataExtent.hole || p.fecDataExtent.blocks === 0) return { invalid: `partition ${p.name} has a fec_extent but no fec_data_extent` };
    const data = range(p.fecDataExtent, bs);
    const region = range(p.fecExtent, bs);
    const roots = p.fecRoots;
    if (!Number.isInteger(roots) || roots < 1 || roots > 254) return { invalid: `partition ${p.name}: fec_roots ${roots} is not a Reed-Solomon code of 255-byte codewords` };
    // libfec's range (FEC_MIN_ROOTS..FEC_MAX_ROOTS); more roots cost more per byte and make the FEC data larger.
    if (roots < 2 || roots > 24) return { problem: `its FEC data uses ${roots} roots, outside the 2-24 libfec computes` };
    if (region.start < data.end) return { invalid: `partition ${p.name}: fec_extent starts at byte ${region.start}, inside the data it protects (up to ${data.end})` };
    const want = fecSize(data.end - data.start, bs, roots);
    if (want !== region.end - region.start) return { invalid: `partition ${p.name}: fec_extent holds ${region.end - region.start} bytes, the FEC data of ${data.end - data.start} bytes with ${roots} roots is ${want}` };
    plan.fec = { data, region, roots };
    regions.push(region);
  }
  if (!regions.length) return { problem: 'no hash tree or FEC extent' };
  if (regions.some((r) => r.end > size)) return { invalid: `partition ${p.name}: its hash tree or FEC extent runs past the partition (${size} bytes)` };
  if (regions.length === 2 && regions[0].start < regions[1].end && regions[1].start < regions[0].end) return { invalid: `partition ${p.name}: hash_tree_extent and fec_extent overlap` };
  if (written.some((w) => regions.some((r) => w.start < r.end && r.start < w.end))) return { problem: 'operations write part of its hash tree or FEC extent, and the rest is left to the device' };
  const memory = regions.reduce((n, r) => n + r.end - r.start, 0);
  if (memory > VERITY_MEMORY_CAP) return { problem: `its hash tree and FEC data (${memory} bytes) are more than romscope keeps in memory (${VERITY_MEMORY_CAP})` };
  return { plan };
}

/** The partition with its hash tree and FEC regions computed: a random-access source over another. */
export class VeritySource implements RandomSource {
  readonly kind = 'random' as const;
  readonly name: string;
  readonly size: number;
  private readonly regions: (Range & { which: 'tree' | 'fec' })[];
  private computed: { tree?: Buffer; fec?: Buffer } | null = null;
  private computing: Promise<void> | null = null;

  constructor(
    private readonly inner: RandomSource,
    private readonly plan: VerityPlan,
  ) {
    this.name = inner.name;
    this.size = inner.size;
    this.regions = [];
    if (plan.tree) this.regions.push({ ...plan.tree.region, which: 'tree' });
    if (plan.fec) this.regions.push({ ...plan.fec.region, which: 'fec' });
    this.regions.sort((a, b) => a.start - b.start);
  }

  /** Lets the computed regions go (memory); they are computed again when read again. */
  release(): void {
    this.computed = null;
    this.computing = null;
  }

  /** Facts for the report: what was computed. */
  describe(): string {
    const parts: string[] = [];
    const t = this.plan.tree;
    if (t) parts.push(`the ${t.algo} hash tree (${t.region.end - t.region.start} bytes over bytes ${t.data.start}-${t.data.end})`);
    const f = this.plan.fec;
    if (f) parts.push(`the FEC data (${f.roots} roots, ${f.region.end - f.region.start} bytes over bytes ${f.data.start}-${f.data.end})`);
    return `${parts.join(' and ')} computed as update_engine computes them on the device`;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const s = Math.max(0, Math.min(offset, this.size));
    const e = Math.max(s, Math.min(offset + length, this.size));
    if (!this.regions.some((r) => s < r.end && r.start < e)) return this.inner.read(s, e - s);
    const parts: Buffer[] = [];
    for await (const c of this.stream(s, e)) parts.push(c);
    return Buffer.concat(parts);
  }

  stream(start = 0, end = this.size): AsyncIterable<Buffer> {
    const s = Math.max(0, Math.min(start, this.size));
    const e = Math.max(s, Math.min(end, this.size));
    if (this.computed || !this.regions.some((r) => s < r.end && r.start < e)) return this.fromComputed(s, e, this.computed);
    // From the start with nothing computed yet: compute while streaming.
    if (s === 0 && !this.computing) return this.computeWhileStreaming(e);
    return this.afterComputing(s, e);
  }

  private async *afterComputing(s: number, e: number): AsyncGenerator<Buffer> {
    // Twice at most: what was computed may be let go (memory) before it is used.
    for (let tries = 0; tries < 2 && !this.computed; tries++) {
      const run = (this.computing ??= (async () => {
        for await (const _ of this.computeWhileStreaming(this.regions[this.regions.length - 1].end)) void _;
      })());
      await run;
      if (!this.computed && this.computing === run) break; // nothing computed: the partition ended early
    }
    if (!this.computed) throw new TruncatedError(`${this.name} ends before its hash tree and FEC data could be computed`, this.size);
    yield* this.fromComputed(s, e, this.computed);
  }

  /** Inner bytes, with the regions from `c` (the computed ones; not needed when [s, e) does not touch them). */
  private async *fromComputed(s: number, e: number, c: { tree?: Buffer; fec?: Buffer } | null): AsyncGenerator<Buffer> {
    let pos = s;
    for (const r of this.regions) {
      if (r.end <= pos || r.start >= e) continue;
      if (pos < r.start) {
        yield* this.inner.stream(pos, r.start);
        pos = r.start;
      }
      const bytes = c![r.which]!;
      yield* pieces(bytes, pos - r.start, Math.min(e, r.end) - r.start);
      pos = Math.min(e, r.end);
    }
    if (pos < e) yield* this.inner.stream(pos, e);
  }

  /** [0, end): every byte yielded feeds the hash tree and FEC computations; each region is computed when the stream reaches it. */
  private async *computeWhileStreaming(end: number): AsyncGenerator<Buffer> {
    const { tree: t, fec: f, blockSize: bs } = this.plan;
    const tb = t ? new HashtreeBuilder(t.algo, t.salt, bs, bs, true) : null;
    // The FEC parity is accumulated on a worker thread; `behind` is set when it needs to catch up.
    const fe = f ? new ThreadedFec(f.data.end - f.data.start, bs, f.roots) : null;
    let behind: Promise<void> | null = null;
    const block = Buffer.alloc(bs);
    let fill = 0;
    let pos = 0;
    const out: { tree?: Buffer; fec?: Buffer } = {};
    const fecBlock = (b: Buffer, at: number) => {
      behind = fe!.add((at - f!.data.start) / bs, b) ?? behind;
    };
    const caughtUp = async () => {
      if (behind) await behind;
      behind = null;
    };
    const feed = (c: Buffer) => {
      const cs = pos;
      const ce = pos + c.length;
      pos = ce;
      if (tb && cs < t!.data.end && ce > t!.data.start) tb.update(c.subarray(Math.max(0, t!.data.start - cs), Math.min(c.length, t!.data.end - cs)));
      if (!fe || ce <= f!.data.start || cs >= f!.data.end) return;
      // Whole blocks straight from the chunk, the rest through `block`.
      let o = Math.max(0, f!.data.start - cs);
      const stop = Math.min(c.length, f!.data.end - cs);
      while (o < stop) {
        if (fill === 0 && stop - o >= bs) {
          fecBlock(c.subarray(o, o + bs), cs + o);
          o += bs;
          continue;
        }
        const n = Math.min(bs - fill, stop - o);
        c.copy(block, fill, o, o + n);
        fill += n;
        o += n;
        if (fill === bs) {
          fecBlock(block, cs + o - bs);
          fill = 0;
        }
      }
    };
    try {
      for (const r of this.regions) {
        if (pos >= end) break;
        for await (const c of this.inner.stream(pos, Math.min(r.start, end))) {
          feed(c);
          yield c;
          await caughtUp();
        }
        if (pos < Math.min(r.start, end)) return; // the inner source ended early; its reader reports it
        if (pos >= end) break;
        let bytes: Buffer;
        if (r.which === 'tree') {
          tb!.finish();
          bytes = out.tree = tb!.treeBytes();
        } else {
          const parity = await fe!.finish();
          bytes = out.fec = Buffer.from(parity.buffer, parity.byteOffset, parity.length);
        }
        for (const c of pieces(bytes, 0, Math.min(end, r.end) - r.start)) {
          feed(c);
          yield c;
          await caughtUp();
        }
      }
    } finally {
      fe?.close();
    }
    if (this.regions.every((r) => (r.which === 'tree' ? out.tree : out.fec))) {
      this.computed = out;
      hold(this, (out.tree?.length ?? 0) + (out.fec?.length ?? 0));
    }
    // Past the last region: the partition's own bytes (an AVB footer, say).
    if (pos < end) yield* this.inner.stream(pos, end);
  }
}

function* pieces(b: Buffer, from: number, to: number): Generator<Buffer> {
  for (let o = from; o < to; o += STREAM_CHUNK) yield b.subarray(o, Math.min(to, o + STREAM_CHUNK));
}
