import { open, type FileHandle } from 'node:fs/promises';
import { TruncatedError } from './errors';
import { LIMITS } from './limits';
import { BufferRing } from './ring';

/** Chunk size used when streaming a random-access source. */
export const STREAM_CHUNK = 1 << 20;
/** FileSource reads shorter than this are served from one READ_WINDOW-byte window read ahead (a syscall and a thread-pool trip each cost more than copying). */
const SMALL_READ = 4096;
const READ_WINDOW = 64 * 1024;
const WINDOWS = 4;

/** Called with each chunk of a scan; the chunk is lent, valid only until the returned promise settles. */
export type ScanFn = (chunk: Buffer) => void | Promise<void>;

let ring: BufferRing | null = null;
/** The process-wide ring of read buffers that scans read into (and hashing threads read from). */
export function readRing(): BufferRing {
  ring ??= new BufferRing(STREAM_CHUNK, LIMITS.readRingSlots);
  return ring;
}

/**
 * A random-access source answers `read(offset, length)`; reads past the end
 * return fewer bytes (never throw), so callers decide what "short" means.
 */
export interface RandomSource {
  readonly kind: 'random';
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  /** Sequential view of [start, end). */
  stream(start?: number, end?: number): AsyncIterable<Buffer>;
  /**
   * Where [offset, offset + length) lies in an open file, for a reader on
   * another thread (the payload decode workers); null or absent when the
   * range is not plain bytes of one file.
   */
  fileRange?(offset: number, length: number): { fd: number; position: number } | null;
  /**
   * Keeps the file behind `fileRange` open while a reader on another thread
   * uses its descriptor: the file is not closed (and its descriptor number
   * not reused for another file) until `release`. `signal` aborts when the
   * file starts closing, so work not yet started can be dropped. Null once
   * closing; absent where `fileRange` is.
   */
  leaseFile?(): FileLease | null;
  /**
   * Reads [start, end) once, in order, into reused buffers: each chunk is
   * lent to `fn` and its buffer reused once `fn` has settled (a reader that
   * keeps bytes copies them). Absent when the source has no cheaper way
   * than `stream`; `scanRange` picks.
   */
  scan?(start: number, end: number, fn: ScanFn): Promise<void>;
  /**
   * A hint that [offset, offset + length) will be read soon: a source that
   * decodes on demand may start decoding it on a spare thread. Never
   * throws, never reports; absent where it would gain nothing.
   */
  prefetch?(offset: number, length: number): void;
}

/** A hold on an open file's descriptor (RandomSource.leaseFile). */
export interface FileLease {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * A sequential source can only be streamed. Some are one-shot (the output of a
 * decompressor running inside the walk); `size` is null when not known ahead.
 */
export interface StreamSource {
  readonly kind: 'stream';
  readonly name: string;
  readonly size: number | null;
  stream(): AsyncIterable<Buffer>;
}

export type Source = RandomSource | StreamSource;

/** Reads exactly `length` bytes or throws TruncatedError naming the offset. */
export async function readExact(src: RandomSource, offset: number, length: number, what = 'data'): Promise<Buffer> {
  const buf = await src.read(offset, length);
  if (buf.length < length) {
    throw new TruncatedError(`${what} at offset ${offset} needs ${length} bytes, only ${buf.length} remain`, offset);
  }
  return buf;
}

async function* streamRange(src: RandomSource, start: number, end: number): AsyncGenerator<Buffer> {
  let pos = start;
  while (pos < end) {
    const want = Math.min(STREAM_CHUNK, end - pos);
    const buf = await src.read(pos, want);
    if (buf.length === 0) return;
    pos += buf.length;
    yield buf;
    if (buf.length < want) return;
  }
}

/** Scans [start, end) of a source: into reused buffers when it can, else chunk by chunk from `stream`. */
export async function scanRange(src: RandomSource, start: number, end: number, fn: ScanFn): Promise<void> {
  if (src.scan) return src.scan(start, end, fn);
  for await (const c of src.stream(start, end)) await fn(c);
}

function clampRange(size: number, start = 0, end = size): [number, number] {
  const s = Math.max(0, Math.min(start, size));
  return [s, Math.max(s, Math.min(end, size))];
}

/** A file on disk, opened read-only; never written. */
export class FileSource implements RandomSource {
  readonly kind = 'random' as const;
  private constructor(
    private readonly fh: FileHandle,
    readonly name: string,
    readonly size: number,
  ) {}

  static async open(path: string, name = path): Promise<FileSource> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      return new FileSource(fh, name, st.size);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Told of every range read (for a progress display: how far into the file reading is). */
  observe?: (start: number, end: number) => void;

  /**
   * The last windows read for small reads, most recent first: archives of many small members read headers and
   * data a few bytes at a time, a zip alternating between its central directory and its local headers.
   */
  private windows: { start: number; bytes: Buffer }[] = [];

  async read(offset: number, length: number): Promise<Buffer> {
    const [s, e] = clampRange(this.size, offset, offset + length);
    if (e - s < SMALL_READ) {
      let i = this.windows.findIndex((w) => s >= w.start && e <= w.start + w.bytes.length);
      let w: { start: number; bytes: Buffer };
      if (i < 0) {
        w = { start: s, bytes: await this.readFully(s, Math.min(this.size, s + READ_WINDOW)) };
        i = this.windows.length;
        if (i === WINDOWS) i = WINDOWS - 1;
      } else w = this.windows[i];
      this.windows.splice(i, 1);
      this.windows.unshift(w);
      const part = Buffer.from(w.bytes.subarray(s - w.start, Math.min(e, w.start + w.bytes.length) - w.start));
      this.observe?.(s, s + part.length);
      return part;
    }
    return this.readFully(s, e);
  }

  private async readFully(s: number, e: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(e - s);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.fh.read(buf, got, buf.length - got, s + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.observe?.(s, s + got);
    return got === buf.length ? buf : buf.subarray(0, got);
  }

  stream(start?: number, end?: number): AsyncIterable<Buffer> {
    const [s, e] = clampRange(this.size, start, end);
    return streamRange(this, s, e);
  }

  /** Fills `buf` from `position` as far as the file goes; the bytes read. */
  private async fill(buf: Buffer, position: number): Promise<number> {
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.fh.read(buf, got, buf.length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }

  /** Reads into the ring's slots, one read ahead of the chunk being handed out (the disk works while `fn` does). */
  async scan(start: number, end: number, fn: ScanFn): Promise<void> {
    const [s, e] = clampRange(this.size, start, end);
    if (e - s < SMALL_READ) {
      // A small member: from the read-ahead window, not a ring slot and a read of its own.
      if (e > s) await fn(await this.read(s, e - s));
      return;
    }
    const ring = readRing();
    const readAt = async (at: number) => {
      const slot = await ring.acquire();
      const want = Math.min(ring.slotSize, e - at);
      try {
        return { slot, want, got: await this.fill(slot.buf.subarray(0, want), at) };
      } catch (err) {
        ring.release(slot);
        throw err;
      }
    };
    let pos = s;
    let next = pos < e ? readAt(pos) : null;
    try {
      while (next) {
        const { slot, want, got } = await next;
        next = null;
        const at = pos;
        pos += got;
        try {
          if (got === want && pos < e) next = readAt(pos);
          if (got === 0) return;
          this.observe?.(at, pos);
          await fn(slot.buf.subarray(0, got));
        } finally {
          ring.release(slot);
        }
        if (got < want) return;
      }
    } finally {
      // A chunk read ahead that `fn` failed before: its slot goes back.
      if (next)
        await next.then(
          (r) => ring.release(r.slot),
          () => undefined,
        );
    }
  }

  fileRange(offset: number, length: number): { fd: number; position: number } | null {
    return offset >= 0 && length >= 0 && offset + length <= this.size ? { fd: this.fh.fd, position: offset } : null;
  }

  private leases = 0;
  private readonly closing = new AbortController();
  private drained: (() => void) | null = null;

  leaseFile(): FileLease | null {
    if (this.closing.signal.aborted) return null;
    this.leases++;
    let released = false;
    return {
      signal: this.closing.signal,
      release: () => {
        if (released) return;
        released = true;
        if (--this.leases === 0) this.drained?.();
      },
    };
  }

  private closed: Promise<void> | null = null;

  /** Closes the file once the readers holding a lease on it have let go (work they had not started is told to drop); every call gets the one close. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      if (this.leases > 0) await new Promise<void>((r) => (this.drained = r));
      await this.fh.close();
    })();
    return this.closed;
  }
}

/** A window [offset, offset+size) of another random-access source (a stored zip or tar member). */
export class SliceSource implements RandomSource {
  readonly kind = 'random' as const;
  readonly size: number;
  constructor(
    private readonly parent: RandomSource,
    private readonly offset: number,
    size: number,
    readonly name: string,
  ) {
    // A member may claim more bytes than its parent has (a cut download): clamp, callers compare sizes.
    this.size = Math.max(0, Math.min(size, parent.size - offset));
  }

  read(offset: number, length: number): Promise<Buffer> {
    const [s, e] = clampRange(this.size, offset, offset + length);
    return this.parent.read(this.offset + s, e - s);
  }

  stream(start?: number, end?: number): AsyncIterable<Buffer> {
    const [s, e] = clampRange(this.size, start, end);
    return this.parent.stream(this.offset + s, this.offset + e);
  }

  scan(start: number, end: number, fn: ScanFn): Promise<void> {
    const [s, e] = clampRange(this.size, start, end);
    return scanRange(this.parent, this.offset + s, this.offset + e, fn);
  }

  fileRange(offset: number, length: number): { fd: number; position: number } | null {
    if (offset < 0 || length < 0 || offset + length > this.size) return null;
    return this.parent.fileRange?.(this.offset + offset, length) ?? null;
  }

  leaseFile(): FileLease | null {
    return this.parent.leaseFile?.() ?? null;
  }

  prefetch(offset: number, length: number): void {
    const s = Math.max(0, Math.min(offset, this.size));
    this.parent.prefetch?.(this.offset + s, Math.max(0, Math.min(length, this.size - s)));
  }

  /** Where these bytes lie in the outermost source they are a slice of. */
  origin(): { base: Source; offset: number } {
    const up = originOf(this.parent);
    return { base: up.base, offset: up.offset + this.offset };
  }
}

/**
 * The outermost source and offset of a source's bytes: through slices and wrappers (a source with an
 * `origin()`), else the source itself at 0.
 */
export function originOf(src: Source): { base: Source; offset: number } {
  const o = (src as { origin?: () => { base: Source; offset: number } }).origin;
  return typeof o === 'function' ? o.call(src) : { base: src, offset: 0 };
}

/** Bytes already in memory (small fixtures, buffered small streams). */
export class BufferSource implements RandomSource {
  readonly kind = 'random' as const;
  readonly size: number;
  constructor(
    private readonly buf: Buffer,
    readonly name: string,
  ) {
    this.size = buf.length;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const [s, e] = clampRange(this.size, offset, offset + length);
    return this.buf.subarray(s, e);
  }

  async *stream(start?: number, end?: number): AsyncIterable<Buffer> {
    const [s, e] = clampRange(this.size, start, end);
    for (let p = s; p < e; p += STREAM_CHUNK) yield this.buf.subarray(p, Math.min(e, p + STREAM_CHUNK));
  }

  async scan(start: number, end: number, fn: ScanFn): Promise<void> {
    const [s, e] = clampRange(this.size, start, end);
    for (let p = s; p < e; p += STREAM_CHUNK) await fn(this.buf.subarray(p, Math.min(e, p + STREAM_CHUNK)));
  }
}

/** A sequential source built from a function that starts a fresh stream each call. */
export class GeneratedStreamSource implements StreamSource {
  readonly kind = 'stream' as const;
  constructor(
    readonly name: string,
    readonly size: number | null,
    private readonly make: () => AsyncIterable<Buffer>,
  ) {}
  stream(): AsyncIterable<Buffer> {
    return this.make();
  }
}

/** All bytes of a small source, or null when it is larger than `cap` (nothing past the cap is kept). */
export async function readWhole(src: Source, cap: number): Promise<Buffer | null> {
  if (src.kind === 'random') return src.size <= cap ? src.read(0, src.size) : null;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of src.stream()) {
    n += c.length;
    if (n > cap) return null;
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
