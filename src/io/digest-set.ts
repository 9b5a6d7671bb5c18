import { MultiHash, type HashAlgo } from './hash';
import { THREADED_ALGOS, type HashPool, type RemoteDigest } from './hash-pool';

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
  /** The whole digests computed on this thread (all of them without a pool). */
  readonly whole: MultiHash;
  private readonly order: HashAlgo[];
  private readonly remote: [HashAlgo, RemoteDigest][];
  private taps: RangeTap[] = [];
  /** Bytes seen so far. */
  pos = 0;

  /** With a pool, the costly whole digests run on its threads; taps always see the bytes here. */
  constructor(algos: Iterable<HashAlgo>, pool: HashPool | null = null) {
    this.order = [...new Set(algos)];
    const threaded = pool ? this.order.filter((a) => THREADED_ALGOS.has(a)) : [];
    this.whole = new MultiHash(this.order.filter((a) => !threaded.includes(a)));
    this.remote = threaded.map((a) => [a, pool!.digest(a)]);
  }

  /** Whether any range taps are still waiting for bytes. */
  get tapped(): boolean {
    return this.taps.length > 0;
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

  /**
   * Feeds the next bytes. Taps and this thread's digests see them at once;
   * with digests on pool threads, a promise that settles when the bytes are
   * handed over (wait for it before reusing the chunk: it is the backpressure).
   */
  update(c: Buffer): void | Promise<void> {
    this.whole.update(c);
    if (this.taps.length) this.feedTaps(c);
    this.pos += c.length;
    if (this.remote.length === 1) return this.remote[0][1].update(c);
    if (this.remote.length) return Promise.all(this.remote.map(([, d]) => d.update(c))).then(() => undefined);
  }

  /** The whole digests by algorithm, in the order asked for; HashThreadError when a hashing thread failed. */
  async digest(): Promise<Record<string, string>> {
    const here = this.whole.digest();
    const there = new Map<string, string>();
    for (const [a, d] of this.remote) there.set(a, await d.digest());
    const out: Record<string, string> = {};
    for (const a of this.order) out[a] = here[a] ?? there.get(a)!;
    return out;
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
