/**
 * A partition of a full payload, rebuilt from its operations as a random
 * access source: REPLACE data is read in place from payload.bin, ZERO and
 * DISCARD blocks (and blocks no operation writes) read as zeros, compressed
 * operations are decoded on demand, several at a time on the decode pool
 * while the partition streams, with memory bounded by a window of
 * operations in flight and a small shared cache. Nothing is written to disk.
 */
import { STREAM_CHUNK, type RandomSource } from '../../io/source';
import { FormatError, TruncatedError } from '../../io/errors';
import { CodecError, decodeStream, type Codec } from '../../codecs';
import { decodePool, ShortReadError, type DecodePool } from './pool';

/** What one operation contributes to the partition. */
export interface OpPlan {
  /** Operation index in the partition, and its type name, for messages. */
  index: number;
  typeName: string;
  /** `computed`: made by the partition's `compute` function (operations that read the old partition). */
  kind: 'raw' | 'zero' | 'computed' | Codec;
  /** Blob position in the payload source and length (raw and compressed kinds). */
  dataStart: number;
  dataLength: number;
  /** Bytes the operation's destination extents hold. */
  outBytes: number;
  /** For `computed`: what the partition's `compute` function reads (delta.ts). */
  delta?: unknown;
}

/** Makes a `computed` operation's output, in order, `outBytes` in all. */
export type ComputeOp = (op: OpPlan) => AsyncIterable<Buffer>;

/** A byte range of the partition written by part of one operation's output. */
export interface Segment {
  start: number;
  end: number;
  op: number;
  /** Where in the operation's (decoded) output this segment begins. */
  outOffset: number;
}

/** Operations decoded whole on a worker are at most this large (blob and output); larger ones stream in this thread. */
export const WORKER_JOB_MAX = 64 * 1024 * 1024;
/** Decoded bytes in flight per stream (also caps jobs in flight to twice the pool size). */
const WINDOW_BYTES = 96 * 1024 * 1024;

const ZEROS = Buffer.alloc(STREAM_CHUNK);

function* zeros(n: number): Generator<Buffer> {
  for (let left = n; left > 0; left -= ZEROS.length) yield left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left);
}

/** Decoded outputs kept for re-reads (format detection peeks, then streams), shared by every partition. */
class DecodedCache {
  private readonly map = new Map<string, Buffer>();
  private bytes = 0;
  constructor(private readonly cap: number) {}
  get(k: string): Buffer | undefined {
    const v = this.map.get(k);
    if (v) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: string, v: Buffer): void {
    if (v.length > this.cap / 4) return;
    const old = this.map.get(k);
    if (old) this.bytes -= old.length;
    this.map.set(k, v);
    this.bytes += v.length;
    for (const [key, b] of this.map) {
      if (this.bytes <= this.cap) break;
      this.map.delete(key);
      this.bytes -= b.length;
    }
  }
}
/**
 * 48 MiB: a file system's metadata walk (an ext4's inode tables and
 * directories, before the partition is streamed) comes back to the same
 * operations; at 8 MiB (four 2 MiB operations) the bench's 256 MiB ext4
 * decoded 37 operations for 21 distinct ones, at 32 MiB 22. And what the
 * walk decoded is still there when the in-order pass reaches it: in all,
 * 138 decodes for its 128 operations at 32 MiB, 130 at 48, 128 at 64
 * (2.42, 2.32 and 2.31 s; peak RSS 237, 241 and 260 MiB).
 */
const cache = new DecodedCache(48 * 1024 * 1024);
/** Decodes under way for random reads, so two reads of one operation decode it once. */
const inflight = new Map<string, Promise<Buffer>>();

/** Decodes under way for random reads, hints and read-ahead (the fuzz harness's watchdog reports it with a hang). */
export function decodesInFlight(): number {
  return inflight.size;
}

/** Settles once every decode under way for random reads, hints and read-ahead has (for tests and measurements). */
export async function decodesSettled(): Promise<void> {
  while (inflight.size) await Promise.allSettled([...inflight.values()]);
}

/**
 * Operations this process has read for partitions (decoded whole, streamed,
 * or REPLACE data read in place; cache hits not counted) and the bytes they
 * gave: for tests and measurements of how much a read of part of a partition costs.
 */
export const partitionReadStats = { operations: 0, bytes: 0 };
let sourceIds = 0;

export class PartitionSource implements RandomSource {
  readonly kind = 'random' as const;
  private readonly id = ++sourceIds;
  private after: Map<OpPlan, OpPlan> | null = null;
  constructor(
    readonly name: string,
    readonly size: number,
    private readonly payload: RandomSource,
    private readonly ops: OpPlan[],
    /** Sorted by start, not overlapping, clipped to the partition size. */
    private readonly segments: Segment[],
    private readonly pool: DecodePool = decodePool(),
    private readonly compute: ComputeOp | null = null,
    /** Every byte will be read (DecodeContext.readsAll): a random read that decodes an operation also starts the next one. */
    private readonly speculative = false,
  ) {}

  /** Random reads keep what they decode in the small shared cache (a peek, then the stream from 0). */
  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.produce(offset, offset + length, true)) parts.push(Buffer.from(c));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  stream(start = 0, end = this.size): AsyncGenerator<Buffer> {
    return this.produce(start, end, false);
  }

  private what(op: OpPlan): string {
    return `operation ${op.index} (${op.typeName}) of ${this.name}`;
  }

  /** Index of the first segment ending after `pos`. */
  private firstSegment(pos: number): number {
    let lo = 0;
    let hi = this.segments.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid].end <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private async readBlob(op: OpPlan): Promise<Buffer> {
    const b = await this.payload.read(op.dataStart, op.dataLength);
    if (b.length < op.dataLength) throw new TruncatedError(`${this.what(op)}: its data at offset ${op.dataStart} needs ${op.dataLength} bytes, the payload has ${b.length}`, op.dataStart + b.length);
    return b;
  }

  /**
   * Decodes one compressed operation whole (on the pool). When the whole
   * partition will be read anyway (`speculative`), a random read (`keep`)
   * that misses the cache also starts the next compressed operation on a
   * thread that would otherwise sit idle: a file system's metadata walk,
   * before the partition is streamed, reads on from where it is more often
   * than not, one read at a time.
   */
  private decodeOp(op: OpPlan, keep: boolean, signal?: AbortSignal): Promise<Buffer> {
    const key = `${this.id}:${op.index}`;
    const hit = cache.get(key);
    if (hit) return Promise.resolve(hit);
    if (!keep) return inflight.get(key) ?? this.decodeOpNow(op, false, signal);
    const p = inflight.get(key);
    if (p) return p;
    const started = this.decodeShared(op, key);
    this.speculate(op);
    return started;
  }

  /** Decodes an operation into the cache, registered under way so that another read of it waits for this decode. */
  private decodeShared(op: OpPlan, key: string): Promise<Buffer> {
    const p = this.decodeOpNow(op, true).finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  }

  /** Starts decoding the operations [offset, offset + length) needs on spare threads (when every byte will be read anyway). */
  prefetch(offset: number, length: number): void {
    if (!this.speculative) return;
    const end = Math.min(this.size, offset + length);
    for (let i = this.firstSegment(Math.max(0, offset)); i < this.segments.length && this.segments[i].start < end; i++) {
      if (this.pool.spare < 1) return;
      this.decodeAside(this.ops[this.segments[i].op]);
    }
  }

  /** A compressed operation decoded into the cache, not awaited (a damaged one is reported by the read that needs it). */
  private decodeAside(op: OpPlan): void {
    if (op.kind === 'raw' || op.kind === 'zero' || op.kind === 'computed' || op.outBytes > WORKER_JOB_MAX || op.dataLength > WORKER_JOB_MAX) return;
    const key = `${this.id}:${op.index}`;
    if (cache.get(key) || inflight.has(key)) return;
    this.decodeShared(op, key).catch(() => {});
  }

  /** The next compressed operation after `op`, decoded into the cache when a thread is spare. */
  private speculate(op: OpPlan): void {
    if (!this.speculative || this.pool.spare < 1) return;
    if (!this.after) {
      // Each operation's successor in the partition's order: the compressed operation whose extents come next.
      this.after = new Map();
      let prev: OpPlan | null = null;
      for (const sg of this.segments) {
        const o = this.ops[sg.op];
        if (o.kind === 'raw' || o.kind === 'zero' || o.kind === 'computed' || o === prev) continue;
        if (prev && !this.after.has(prev)) this.after.set(prev, o);
        prev = o;
      }
    }
    const next = this.after.get(op);
    if (next) this.decodeAside(next);
  }

  private async decodeOpNow(op: OpPlan, keep: boolean, signal?: AbortSignal): Promise<Buffer> {
    const key = `${this.id}:${op.index}`;
    if (op.kind === 'computed') {
      const out = await this.computeWhole(op);
      partitionReadStats.operations++;
      partitionReadStats.bytes += out.length;
      if (keep) cache.set(key, out);
      return out;
    }
    let r;
    try {
      // A payload in a file: the worker reads the blob itself (no copy through this thread).
      // The file stays open while the worker may read it: a decode started aside and outliving the walk
      // must not read a descriptor that was closed, and perhaps reused for another file, meanwhile.
      const file = this.pool.threaded ? (this.payload.fileRange?.(op.dataStart, op.dataLength) ?? null) : null;
      const lease = file ? (this.payload.leaseFile?.() ?? null) : null;
      try {
        r =
          file && lease
            ? await this.pool.run(op.kind as Codec, new Uint8Array(0), op.outBytes, { file: { ...file, length: op.dataLength }, signal: signal ? AbortSignal.any([signal, lease.signal]) : lease.signal })
            : null;
      } catch (e) {
        if (!(e instanceof ShortReadError)) throw e;
        r = null; // read here instead, which says what is missing
      } finally {
        lease?.release();
      }
      if (!r) {
        const blob = await this.readBlob(op);
        // A private copy the worker can own (reads may share a larger buffer).
        const own = blob.byteOffset === 0 && blob.byteLength === blob.buffer.byteLength ? blob : Buffer.from(blob);
        r = await this.pool.run(op.kind as Codec, own, op.outBytes, { signal });
      }
    } catch (e) {
      if (e instanceof TruncatedError) throw e;
      throw new FormatError(`${this.what(op)}: ${e instanceof CodecError ? e.message : (e as Error).message}`);
    }
    const out = Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length);
    partitionReadStats.operations++;
    partitionReadStats.bytes += out.length;
    if (keep) cache.set(key, out);
    return out;
  }

  /** A computed operation's whole output (at most WORKER_JOB_MAX bytes). */
  private async computeWhole(op: OpPlan): Promise<Buffer> {
    const out = Buffer.allocUnsafe(op.outBytes);
    let at = 0;
    for await (const c of this.computed(op)) {
      if (at + c.length > out.length) throw new FormatError(`${this.what(op)} makes more than the ${op.outBytes} bytes its extents hold`);
      out.set(c, at);
      at += c.length;
    }
    out.fill(0, at);
    return out;
  }

  private async *computed(op: OpPlan): AsyncGenerator<Buffer> {
    if (!this.compute) throw new FormatError(`${this.what(op)} needs the old partition, which this partition has not been given`);
    try {
      yield* this.compute(op);
    } catch (e) {
      if (e instanceof CodecError) throw new FormatError(`${this.what(op)}: ${e.message}`);
      throw e;
    }
  }

  private async *produce(start: number, end: number, keep: boolean): AsyncGenerator<Buffer> {
    let pos = Math.max(0, start);
    const stop = Math.min(end, this.size);
    if (pos >= stop) return;
    const segs = this.segments;
    let i = this.firstSegment(pos);
    // Prefetch: compressed operations in the order this stream meets them (dropped from the queue when it stops).
    const stopped = new AbortController();
    const pending = new Map<number, Promise<Buffer>>();
    let pendingBytes = 0;
    let scan = i;
    const maxJobs = this.pool.size * 2;
    const lastUse = new Map<number, number>();
    const fill = () => {
      if (scan < i) scan = i;
      while (scan < segs.length && segs[scan].start < stop && pending.size < maxJobs) {
        const s = segs[scan];
        const op = this.ops[s.op];
        if (op.kind !== 'raw' && op.kind !== 'zero' && op.outBytes <= WORKER_JOB_MAX && op.dataLength <= WORKER_JOB_MAX && !pending.has(s.op)) {
          if (pendingBytes + op.outBytes > WINDOW_BYTES && pending.size > 0) return;
          const p = this.decodeOp(op, keep, stopped.signal);
          p.catch(() => {}); // awaited when its turn comes
          pending.set(s.op, p);
          pendingBytes += op.outBytes;
        }
        lastUse.set(s.op, scan);
        scan++;
      }
    };
    try {
      while (pos < stop) {
        fill();
        const s = segs[i];
        if (!s || s.start >= stop) {
          yield* zeros(stop - pos);
          return;
        }
        if (pos < s.start) {
          const to = Math.min(s.start, stop);
          yield* zeros(to - pos);
          pos = to;
          continue;
        }
        const segEnd = Math.min(s.end, stop);
        const op = this.ops[s.op];
        const from = s.outOffset + (pos - s.start); // offset in the operation's output
        const want = segEnd - pos;
        if (op.kind === 'zero') yield* zeros(want);
        else if (op.kind === 'raw') yield* this.rawBytes(op, from, want);
        else if (pending.has(s.op)) {
          const out = await pending.get(s.op)!;
          yield* slice(out, from, want);
          if ((lastUse.get(s.op) ?? i) <= i) {
            pending.delete(s.op);
            pendingBytes -= op.outBytes;
          }
        } else if (op.outBytes <= WORKER_JOB_MAX && op.dataLength <= WORKER_JOB_MAX) {
          yield* slice(await this.decodeOp(op, keep), from, want);
        } else yield* this.bigOpBytes(op, from, want);
        pos = segEnd;
        i++;
      }
    } finally {
      stopped.abort();
      pending.clear();
    }
  }

  /** REPLACE data as stored; past the blob's end the extents are zero-padded. */
  private async *rawBytes(op: OpPlan, from: number, want: number): AsyncGenerator<Buffer> {
    const have = Math.max(0, Math.min(want, op.dataLength - from));
    partitionReadStats.operations++;
    partitionReadStats.bytes += have;
    let got = 0;
    if (have > 0) {
      for await (const c of this.payload.stream(op.dataStart + from, op.dataStart + from + have)) {
        got += c.length;
        yield c;
      }
      if (got < have) throw new TruncatedError(`${this.what(op)}: its data ends at offset ${op.dataStart + from + got}, the payload is shorter than the manifest says`, op.dataStart + from + got);
    }
    yield* zeros(want - have);
  }

  /** An operation too large for a worker: decoded here, streaming, skipping to `from`. */
  private async *bigOpBytes(op: OpPlan, from: number, want: number): AsyncGenerator<Buffer> {
    let at = 0;
    let left = want;
    // A read reaching the end of the extents decodes on to the end of the blob: one that holds more
    // than its extents is a finding (decodeStream throws past op.outBytes), as on the worker path.
    const toEnd = from + want >= op.outBytes;
    partitionReadStats.operations++;
    try {
      const input = op.kind === 'computed' ? this.computed(op) : decodeStream(op.kind as Codec, this.payload.stream(op.dataStart, op.dataStart + op.dataLength), op.outBytes);
      for await (const c of input) {
        const s = Math.max(0, from - at);
        at += c.length;
        partitionReadStats.bytes += c.length;
        if (s >= c.length || left === 0) continue;
        const piece = Buffer.from(c.buffer, c.byteOffset + s, Math.min(c.length - s, left));
        left -= piece.length;
        yield piece;
        if (left === 0 && !toEnd) return;
      }
    } catch (e) {
      if (e instanceof CodecError) throw new FormatError(`${this.what(op)}: ${e.message}`);
      throw e;
    }
    yield* zeros(left);
  }
}

/** `want` bytes of a decoded output from `from`, zero-padded past its end. */
function* slice(out: Buffer, from: number, want: number): Generator<Buffer> {
  const have = Math.max(0, Math.min(want, out.length - from));
  for (let o = 0; o < have; o += STREAM_CHUNK) yield out.subarray(from + o, from + Math.min(have, o + STREAM_CHUNK));
  yield* zeros(want - have);
}
