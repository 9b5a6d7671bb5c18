/**
 * One partition of an LG `.dz` rebuilt from its chunks as a random-access
 * source: each chunk's data is decoded (zlib through node:zlib, zstd through
 * the shared decoder of src/codecs) as a stream and placed at its target
 * offset; the bytes between chunks, and those between a chunk's data and the
 * end of the sectors it covers, read as zeros, as LG's tools leave them.
 *
 * Nothing is decoded whole: a sequential read streams each chunk once; a
 * random read keeps one decoder open (a cursor) and a few MiB of what it
 * decoded last, so reads moving forward through a chunk (a sparse image's
 * chunk headers) continue where the last one stopped, and only a read
 * before what is kept starts the chunk again.
 *
 * Each chunk's MD5 and CRC-32 are computed while its data is decoded, over
 * the decoded data and over the compressed data the decoder takes (public
 * tools disagree on which one LG's headers hold); the first decode that
 * reaches the chunk's end reports what it found through
 * `onChunk` (the container turns it into a fact). A chunk whose data does
 * not decode to the end, or decodes short, reads as what it gave followed by
 * zeros: the report says so; reading never fails on it.
 */
import { createHash } from 'node:crypto';
import { createInflate, crc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import { STREAM_CHUNK, type RandomSource } from '../../io/source';
import { decodeStream } from '../../codecs';
import { decodePool } from '../ota-payload/pool';

/** A chunk as the partition places it. */
export interface PlacedChunk {
  /** Index of the chunk in the `.dz`, for reports. */
  index: number;
  /** Where its compressed data lies in the `.dz`, and how long it is there (cut at the end of the file). */
  dataAt: number;
  storedBytes: number;
  /** Decoded bytes its header declares. */
  dataSize: number;
  codec: 'zlib' | 'zstd';
  /** Offset of its data in the partition. */
  offset: number;
  /** The MD5 its header gives (of the decoded or of the compressed data). */
  md5?: string;
}

/** What decoding one chunk to its end found. */
export interface ChunkResult {
  /** Null when not computed: the compressed data's MD5 matched the header's. */
  md5: string | null;
  crc32: number;
  /** The same over the compressed data as stored (newer tools may fill the header from those); null when not computed: the decoded data's matched. */
  storedMd5: string | null;
  storedCrc32: number;
  /** Decoded bytes kept (at most the declared size). */
  produced: number;
  /** The data decodes to more than the declared size. */
  over: boolean;
  /** Why the data stopped decoding before its end, if it did. */
  error?: string;
}

/** Chunks up to this size (stored, and decoded) are decoded whole on the decode threads, several at once. */
const WHOLE_MAX = 64 * 1024 * 1024;
/** Stored plus decoded bytes of the chunks decoded ahead of the one being read, at most (one always goes). */
const AHEAD_BYTES = 48 * 1024 * 1024;

/** A chunk decoded whole on a decode thread, or null when that failed (the chunk is then decoded streaming, which says why). */
type Decoded = { data: Buffer; result: ChunkResult } | null;

/**
 * Shared buffers for chunks' stored bytes on their way to a decode thread,
 * kept for the next chunks (a shared buffer is not moved to the thread, so it
 * can be used again once the job is done). Fresh memory costs far more than
 * the copy into it on some machines (every page faulted in: 300 MB/s for
 * 32 MiB buffers on a small VM), and would only wait for the garbage
 * collector. At most SPARE_BYTES are kept.
 */
const SPARE_BYTES = 32 * 1024 * 1024;
const spare: SharedArrayBuffer[] = [];

function takeShared(size: number): Buffer {
  let best = -1;
  for (let i = 0; i < spare.length; i++) if (spare[i].byteLength >= size && (best < 0 || spare[i].byteLength < spare[best].byteLength)) best = i;
  const sab = best >= 0 ? spare.splice(best, 1)[0] : new SharedArrayBuffer(Math.ceil(Math.max(1, size) / 65536) * 65536);
  return Buffer.from(sab, 0, size);
}

function giveShared(b: Buffer): void {
  const sab = b.buffer;
  if (!(sab instanceof SharedArrayBuffer)) return;
  let kept = sab.byteLength;
  for (const x of spare) kept += x.byteLength;
  if (kept <= SPARE_BYTES) spare.push(sab);
}

/** Decoded bytes a random-read cursor keeps behind its position. */
const KEEP = 4 * 1024 * 1024;
const ZEROS = Buffer.alloc(STREAM_CHUNK);

function* zeros(n: number): Generator<Buffer> {
  for (let left = n; left > 0; left -= ZEROS.length) yield left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left);
}

async function* inflate(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const z = createInflate();
  const out = Readable.from(input).pipe(z);
  try {
    for await (const c of out as AsyncIterable<Buffer>) yield c;
  } finally {
    z.destroy();
  }
}

/** [start, end) of a source by plain reads, a piece at a time. */
async function* pieces(src: RandomSource, start: number, end: number): AsyncGenerator<Buffer> {
  for (let at = start; at < end;) {
    const b = await src.read(at, Math.min(STREAM_CHUNK, end - at));
    if (b.length === 0) return;
    at += b.length;
    yield b;
  }
}

/**
 * A chunk's decoded data, at most its declared size, as it is produced; when
 * the decoder ends by itself (not when the reader stops early), `done` gets
 * the digests and sizes. `byReads` takes the compressed data by plain reads
 * rather than as a stream: a random-read cursor, which may stop anywhere and
 * stay open, must not hold the container's pass (src/io/pass-tee.ts) back.
 */
export async function* decodeChunk(dz: RandomSource, c: PlacedChunk, done?: (r: ChunkResult) => void, byReads = false): AsyncGenerator<Buffer> {
  const md5 = createHash('md5');
  let crc = 0;
  let produced = 0;
  let over = false;
  let error: string | undefined;
  // The compressed bytes are digested as the decoder takes them; what it leaves (an error, more data than declared) is read after.
  const raw = (byReads ? pieces(dz, c.dataAt, c.dataAt + c.storedBytes) : dz.stream(c.dataAt, c.dataAt + c.storedBytes))[Symbol.asyncIterator]();
  const storedMd5 = createHash('md5');
  let storedCrc = 0;
  const fed = async function* (): AsyncGenerator<Buffer> {
    for (;;) {
      const r = await raw.next();
      if (r.done) return;
      storedMd5.update(r.value);
      storedCrc = crc32(r.value, storedCrc);
      yield r.value;
    }
  };
  const input = fed();
  try {
    // One byte past the declared size is room enough to see the data is longer.
    const out: AsyncIterable<Uint8Array> = c.codec === 'zstd' ? decodeStream('zstd', input, c.dataSize + 1) : inflate(input);
    for await (const piece of out) {
      let b = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
      if (produced + b.length > c.dataSize) {
        b = b.subarray(0, c.dataSize - produced);
        over = true;
      }
      if (b.length) {
        md5.update(b);
        crc = crc32(b, crc);
        produced += b.length;
        yield b;
      }
      if (over) break;
    }
  } catch (e) {
    const m = (e as Error).message ?? String(e);
    if (/decodes to more than/.test(m)) over = true;
    else error = `${c.codec}: ${m}`;
  }
  if (!done) return;
  for (let r = await raw.next(); !r.done; r = await raw.next()) {
    storedMd5.update(r.value);
    storedCrc = crc32(r.value, storedCrc);
  }
  done({ md5: md5.digest('hex'), crc32: crc >>> 0, storedMd5: storedMd5.digest('hex'), storedCrc32: storedCrc >>> 0, produced, over, ...(error ? { error } : {}) });
}

interface Cursor {
  chunk: number;
  it: AsyncGenerator<Buffer>;
  /** Decoded bytes taken from the decoder so far. */
  pos: number;
  /** Pieces kept, in order, the first starting at `pieces[0].at`. */
  pieces: { at: number; b: Buffer }[];
  ended: boolean;
}

export class DzPartitionSource implements RandomSource {
  readonly kind = 'random' as const;
  private cursor: Cursor | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  /** Which data the last whole chunk's MD5 covered: a thread hashes that side first, and the other only when it does not match. */
  private md5Covers: 'output' | 'input' = 'output';

  constructor(
    readonly name: string,
    readonly size: number,
    private readonly dz: RandomSource,
    /** Sorted by offset, not overlapping, inside the size. */
    private readonly chunks: PlacedChunk[],
    private readonly onChunk: (c: PlacedChunk, r: ChunkResult) => void,
  ) {}

  private decode(c: PlacedChunk, byReads = false): AsyncGenerator<Buffer> {
    return decodeChunk(this.dz, c, (r) => this.onChunk(c, r), byReads);
  }

  /** Index of the first chunk whose data ends after `pos`. */
  private first(pos: number): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.chunks[mid].offset + this.chunks[mid].dataSize <= pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  read(offset: number, length: number): Promise<Buffer> {
    // One cursor per source: reads take turns.
    const run = this.queue.then(() => this.readNow(offset, length));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async readNow(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.max(start, Math.min(offset + length, this.size));
    const parts: Buffer[] = [];
    let pos = start;
    for (let i = this.first(pos); pos < end; i++) {
      const c = this.chunks[i];
      if (!c || c.offset >= end) {
        parts.push(Buffer.alloc(end - pos));
        break;
      }
      if (pos < c.offset) {
        parts.push(Buffer.alloc(c.offset - pos));
        pos = c.offset;
      }
      const to = Math.min(end, c.offset + c.dataSize);
      parts.push(await this.fromCursor(i, pos - c.offset, to - c.offset));
      pos = to;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** Bytes [from, to) of chunk `i`'s decoded data, zeros where the data is short. */
  private async fromCursor(i: number, from: number, to: number): Promise<Buffer> {
    let cur = this.cursor;
    if (!cur || cur.chunk !== i || from < (cur.pieces[0]?.at ?? cur.pos)) {
      await cur?.it.return(undefined);
      cur = this.cursor = { chunk: i, it: this.decode(this.chunks[i], true), pos: 0, pieces: [], ended: false };
    }
    while (cur.pos < to && !cur.ended) {
      const r = await cur.it.next();
      if (r.done) {
        cur.ended = true;
        break;
      }
      cur.pieces.push({ at: cur.pos, b: r.value });
      cur.pos += r.value.length;
      const keepFrom = Math.min(from, cur.pos - KEEP);
      while (cur.pieces.length > 1 && cur.pieces[0].at + cur.pieces[0].b.length <= keepFrom) cur.pieces.shift();
    }
    const out = Buffer.alloc(to - from);
    for (const p of cur.pieces) {
      const s = Math.max(from, p.at);
      const e = Math.min(to, p.at + p.b.length);
      if (s < e) p.b.copy(out, s - from, s - p.at, e - p.at);
    }
    return out;
  }

  /**
   * A whole chunk decoded on a decode thread: its stored bytes are read here (in order, through the
   * container's pass like any read), and the thread inflates them and computes the four digests.
   */
  private decodeWhole(c: PlacedChunk, stored: Promise<Buffer | null>): Promise<Decoded> {
    return stored.then(
      async (data) => {
        if (!data) return null;
        try {
          let r;
          try {
            r = await decodePool().run(c.codec, data, c.dataSize, { digests: c.md5 ? { expectMd5: c.md5, first: this.md5Covers } : true });
          } finally {
            // The thread has finished with the stored bytes (a shared buffer, not moved to it).
            giveShared(data);
          }
          const d = r.digests;
          if (!d || r.length > c.dataSize) return null;
          if (d.md5 === c.md5) this.md5Covers = 'output';
          else if (d.inMd5 === c.md5) this.md5Covers = 'input';
          const out = Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length);
          return { data: out, result: { md5: d.md5, crc32: d.crc32, storedMd5: d.inMd5, storedCrc32: d.inCrc32, produced: r.length, over: false } };
        } catch {
          return null;
        }
      },
      () => null,
    );
  }

  /** A chunk's stored bytes in one buffer of their own (handed to a thread), or null when fewer are there. */
  private async storedBytes(c: PlacedChunk): Promise<Buffer | null> {
    const buf = takeShared(c.storedBytes);
    let at = 0;
    for await (const b of this.dz.stream(c.dataAt, c.dataAt + c.storedBytes)) {
      if (at + b.length > buf.length) break;
      b.copy(buf, at);
      at += b.length;
    }
    if (at === buf.length) return buf;
    giveShared(buf);
    return null;
  }

  async *stream(start = 0, end = this.size): AsyncGenerator<Buffer> {
    let pos = Math.max(0, start);
    const stop = Math.min(end, this.size);
    // Whole chunks ahead of the one being read, decoding on the threads; their stored bytes are read one chunk after another.
    const ahead = new Map<number, { bytes: number; decoded: Promise<Decoded> }>();
    let aheadBytes = 0;
    let reads: Promise<unknown> = Promise.resolve();
    let next = this.first(pos);
    const parallel = decodePool().threaded;
    const fill = () => {
      for (; next < this.chunks.length; next++) {
        const c = this.chunks[next];
        if (c.offset < pos || c.offset + c.dataSize > stop || c.storedBytes > WHOLE_MAX || c.dataSize > WHOLE_MAX) return;
        const bytes = c.storedBytes + c.dataSize;
        if (ahead.size > 0 && aheadBytes + bytes > AHEAD_BYTES) return;
        const stored = reads.then(() => this.storedBytes(c));
        reads = stored.catch(() => undefined);
        ahead.set(next, { bytes, decoded: this.decodeWhole(c, stored) });
        aheadBytes += bytes;
      }
    };
    try {
      for (let i = this.first(pos); pos < stop; i++) {
        const c = this.chunks[i];
        if (!c || c.offset >= stop) {
          yield* zeros(stop - pos);
          return;
        }
        if (pos < c.offset) {
          yield* zeros(c.offset - pos);
          pos = c.offset;
        }
        const from = pos - c.offset;
        const to = Math.min(stop, c.offset + c.dataSize) - c.offset;
        if (parallel && from === 0 && to === c.dataSize) {
          if (next <= i) next = i;
          fill();
          const a = ahead.get(i);
          if (a) {
            ahead.delete(i);
            aheadBytes -= a.bytes;
            const d = await a.decoded;
            fill();
            if (d) {
              this.onChunk(c, d.result);
              for (let o = 0; o < d.data.length; o += STREAM_CHUNK) yield d.data.subarray(o, Math.min(d.data.length, o + STREAM_CHUNK));
              yield* zeros(c.dataSize - d.data.length);
              pos = c.offset + c.dataSize;
              continue;
            }
          }
        }
        // A whole chunk read ahead is done (or failed, and is decoded again streaming, which reports why); this one streams.
        await reads;
        // A read to the chunk's end lets the decoder finish, so its digests are reported.
        const whole = to === c.dataSize;
        let at = 0;
        for await (const b of this.decode(c)) {
          const s = Math.max(from, at);
          const e = Math.min(to, at + b.length);
          at += b.length;
          if (s < e) yield s === at - b.length && e === at ? b : b.subarray(s - (at - b.length), e - (at - b.length));
          if (at >= to && !whole) break;
        }
        if (at < to) yield* zeros(to - Math.max(at, from));
        pos = c.offset + to;
      }
    } finally {
      // Stopped early: what was read ahead is dropped once its thread is done (nothing is left unawaited).
      for (const a of ahead.values()) void a.decoded.catch(() => undefined);
    }
  }
}
