import { MultiHash, type HashAlgo } from './hash';

/** A digest wanted over bytes [start, end) of one artifact; `done` gets the hex when the range has passed. */
export interface RangeDigest {
  algo: HashAlgo;
  start: number;
  end: number;
  done(hex: string): void;
}

/** Sees the bytes [start, end) of an artifact as they stream past (a boot image's sections for its SHA-1 id). */
export interface RangeTap {
  start: number;
  end: number;
  update(b: Buffer): void;
  done(): void;
}

/**
 * Everything computed over one artifact's bytes in its single pass: the whole
 * digests plus taps on byte ranges (a sparse CRC32 chunk covers the data
 * before it, an Odin md5 covers the tar before its line).
 */
export class DigestSet {
  readonly whole: MultiHash;
  private taps: RangeTap[] = [];
  /** Bytes seen so far. */
  pos = 0;

  constructor(algos: Iterable<HashAlgo>) {
    this.whole = new MultiHash(algos);
  }

  addTap(t: RangeTap): void {
    if (t.start < this.pos) throw new Error(`internal: range tap starting at ${t.start} added after ${this.pos} bytes`);
    if (t.end <= t.start) t.done();
    else {
      this.taps.push(t);
      this.taps.sort((a, b) => a.start - b.start || a.end - b.end);
    }
  }

  addRange(r: RangeDigest): void {
    this.addTap(rangeDigestTap(r));
  }

  update(c: Buffer): void {
    this.whole.update(c);
    if (this.taps.length) this.feedTaps(c);
    this.pos += c.length;
  }

  private feedTaps(c: Buffer): void {
    const pos = this.pos;
    const end = pos + c.length;
    // In start order, and a tap is closed right after its last bytes: taps
    // sharing one hash (a boot id over several sections) see the bytes and
    // the per-section trailers in file order.
    // Taps are sorted by start, so those starting after this chunk are left
    // untouched: with thousands of taps a chunk costs only the ones it meets.
    const open: RangeTap[] = [];
    let i = 0;
    for (; i < this.taps.length && this.taps[i].start < end; i++) {
      const t = this.taps[i];
      const s = Math.max(t.start, pos);
      const e = Math.min(t.end, end);
      if (s < e) t.update(s === pos && e === end ? c : c.subarray(s - pos, e - pos));
      if (t.end <= end) t.done();
      else open.push(t);
    }
    if (open.length !== i) this.taps = i === this.taps.length ? open : open.concat(this.taps.slice(i));
  }
}

/** A range digest as a tap: hashes its bytes and hands over the hex at the end. */
export function rangeDigestTap(r: RangeDigest): RangeTap {
  const h = new MultiHash([r.algo]);
  return { start: r.start, end: r.end, update: (b) => h.update(b), done: () => r.done(h.digest()[r.algo]) };
}
