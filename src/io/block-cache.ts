/**
 * A RandomSource that keeps the last chunks read from another one, for
 * readers that make many small reads close together (a file system walk
 * reading inodes and directory blocks one by one). Memory is bounded:
 * at most `chunks` chunks of `chunkSize` bytes.
 */
import type { RandomSource } from './source';

export class BlockCacheSource implements RandomSource {
  readonly kind = 'random' as const;
  readonly name: string;
  readonly size: number;
  private readonly cache = new Map<number, Buffer>();

  constructor(
    private readonly src: RandomSource,
    private readonly chunkSize = 64 * 1024,
    private readonly chunks = 128,
  ) {
    this.name = src.name;
    this.size = src.size;
  }

  private async chunk(i: number): Promise<Buffer> {
    const hit = this.cache.get(i);
    if (hit) {
      // Most recently used last: Map keeps insertion order.
      this.cache.delete(i);
      this.cache.set(i, hit);
      return hit;
    }
    const b = await this.src.read(i * this.chunkSize, this.chunkSize);
    if (this.cache.size >= this.chunks) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(i, b);
    return b;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.max(start, Math.min(offset + length, this.size));
    // Large reads (file data) go straight through.
    if (end - start > this.chunkSize) return this.src.read(start, end - start);
    const first = Math.floor(start / this.chunkSize);
    const last = Math.floor(Math.max(start, end - 1) / this.chunkSize);
    if (first === last) {
      const c = await this.chunk(first);
      return Buffer.from(c.subarray(start - first * this.chunkSize, end - first * this.chunkSize));
    }
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) parts.push(await this.chunk(i));
    const all = Buffer.concat(parts);
    return all.subarray(start - first * this.chunkSize, end - first * this.chunkSize);
  }

  stream(start?: number, end?: number): AsyncIterable<Buffer> {
    return this.src.stream(start, end);
  }
}
