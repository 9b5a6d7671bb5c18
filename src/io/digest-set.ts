import { MultiHash, type HashAlgo } from './hash';

/** A digest wanted over bytes [start, end) of one artifact; `done` gets the hex when the range has passed. */
export interface RangeDigest {
  algo: HashAlgo;
  start: number;
  end: number;
  done(hex: string): void;
}

/**
 * Everything computed over one artifact's bytes in its single pass: the whole
 * digests plus digests of ranges (a sparse CRC32 chunk covers the data before
 * it, an Odin md5 covers the tar before its line).
 */
export class DigestSet {
  readonly whole: MultiHash;
  private ranges: { r: RangeDigest; h: MultiHash }[] = [];
  /** Bytes seen so far. */
  pos = 0;

  constructor(algos: Iterable<HashAlgo>) {
    this.whole = new MultiHash(algos);
  }

  addRange(r: RangeDigest): void {
    if (r.start < this.pos) throw new Error(`internal: range digest starting at ${r.start} added after ${this.pos} bytes`);
    if (r.end === r.start) r.done(new MultiHash([r.algo]).digest()[r.algo]!);
    else this.ranges.push({ r, h: new MultiHash([r.algo]) });
  }

  update(c: Buffer): void {
    this.whole.update(c);
    if (this.ranges.length) this.feedRanges(c);
    this.pos += c.length;
  }

  private feedRanges(c: Buffer): void {
    const pos = this.pos;
    const end = pos + c.length;
    for (const { r, h } of this.ranges) {
      const s = Math.max(r.start, pos);
      const e = Math.min(r.end, end);
      if (s < e) h.update(s === pos && e === end ? c : c.subarray(s - pos, e - pos));
    }
    const finished = this.ranges.filter(({ r }) => r.end <= end);
    if (finished.length) {
      this.ranges = this.ranges.filter(({ r }) => r.end > end);
      for (const { r, h } of finished) r.done(h.digest()[r.algo]!);
    }
  }
}
