import { TruncatedError } from './errors';

/**
 * Pull-style reader over an async iterable of chunks, for decoders of
 * sequential formats (LZ4, tar streams). Keeps at most the requested bytes plus
 * one chunk in memory.
 */
export class StreamReader {
  private readonly it: AsyncIterator<Buffer>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  /** Bytes consumed so far (the offset of the next byte read). */
  offset = 0;

  constructor(input: AsyncIterable<Buffer>) {
    this.it = input[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      if (r.value.length) {
        this.chunks.push(r.value);
        this.buffered += r.value.length;
      }
    }
  }

  private take(n: number): Buffer {
    let out: Buffer;
    if (this.chunks[0].length >= n) {
      out = this.chunks[0].subarray(0, n);
      if (this.chunks[0].length === n) this.chunks.shift();
      else this.chunks[0] = this.chunks[0].subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - o);
        c.copy(out, o, 0, k);
        o += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    this.offset += n;
    return out;
  }

  /** Up to n bytes; fewer only at end of stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const k = Math.min(n, this.buffered);
    return k === 0 ? Buffer.alloc(0) : this.take(k);
  }

  /** Exactly n bytes, or TruncatedError naming what was being read. */
  async readExact(n: number, what = 'data'): Promise<Buffer> {
    const at = this.offset;
    const b = await this.read(n);
    if (b.length < n) throw new TruncatedError(`stream ends inside ${what} at offset ${at} (needed ${n} bytes, got ${b.length})`, at);
    return b;
  }

  /** Looks at the next n bytes without consuming them. */
  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    const k = Math.min(n, this.buffered);
    if (k === 0) return Buffer.alloc(0);
    if (this.chunks[0].length >= k) return this.chunks[0].subarray(0, k);
    return Buffer.concat(this.chunks, this.buffered).subarray(0, k);
  }

  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.buffered === 0;
  }

  /** Yields the rest of the stream, up to `limit` bytes when given. */
  async *rest(limit = Infinity): AsyncGenerator<Buffer> {
    let left = limit;
    while (left > 0) {
      if (this.buffered === 0) {
        await this.fill(1);
        if (this.buffered === 0) return;
      }
      const k = Math.min(this.chunks[0].length, left);
      const c = this.take(k);
      left -= k;
      yield c;
    }
  }

  /** Discards n bytes; returns how many were actually skipped. */
  async skip(n: number): Promise<number> {
    let skipped = 0;
    for await (const c of this.rest(n)) skipped += c.length;
    return skipped;
  }

  /** Puts bytes back in front of the stream (bytes read ahead that the caller did not use); `offset` moves back. */
  unread(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.unshift(b);
    this.buffered += b.length;
    this.offset -= b.length;
  }

  /** Stops the underlying iterator (lets a producer clean up). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}
