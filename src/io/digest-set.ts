import { MultiHash, type HashAlgo } from './hash';
import { HASH_OFFLOAD_MIN, THREADED_ALGOS, threadedRangeAlgo, type HashPool, type RemoteDigest } from './hash-pool';
import { BlockCrc16, blockCrcSize, type BlockCrcAlgo } from './crc16';

/**
 * A digest wanted over bytes [start, end) of one artifact; `done` gets the hex
 * once the range has passed (a block CRC list's hex for `crc16-x25/<size>`).
 * A large range's digest may be computed on a hashing thread: `done` then
 * runs later, but in the same order relative to the other ranges' and taps'.
 */
export interface RangeDigest {
  algo: HashAlgo | BlockCrcAlgo;
  start: number;
  end: number;
  done(hex: string): void;
  /** Nothing a child of the artifact decodes waits on this result: the pass may follow the children's reads (one read per byte). */
  standalone?: boolean;
  /** Bytes hashed before the range's own (a DZ data MD5 starts with its header, its own field blanked). Not for block CRC lists. */
  prefix?: Buffer;
}

/** Sees the bytes [start, end) of an artifact as they stream past (a boot image's sections for its SHA-1 id). */
export interface RangeTap {
  start: number;
  end: number;
  update(b: Buffer): void;
  done(): void;
  /** As for RangeDigest: no child waits on what this tap finds. */
  standalone?: boolean;
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
  /**
   * Ranges and taps whose bytes have all passed, in the order they ended,
   * while a range digest on a hashing thread ahead of them has not answered:
   * `done` callbacks (and the facts they record) keep the order they would
   * have on one thread.
   */
  private ended: { tap: RangeTap; hex?: Promise<string>; value?: string; error?: unknown; settled: boolean }[] = [];
  /** Bytes seen so far. */
  pos = 0;

  /** With a pool, the costly whole digests, and large range digests, run on its threads; taps always see the bytes here. */
  constructor(
    algos: Iterable<HashAlgo>,
    private readonly pool: HashPool | null = null,
  ) {
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
    if (this.pool && threadedRangeAlgo(r.algo) && r.end - r.start >= HASH_OFFLOAD_MIN) {
      const remote = this.pool.digest(r.algo);
      // Queued ahead of the range's bytes: the remote digest takes its updates in order.
      if (r.prefix?.length) void remote.update(Buffer.from(r.prefix));
      this.addTap(new RemoteRange(r, remote));
    } else this.addTap(rangeDigestTap(r));
  }

  /**
   * Waits for the range digests computed on hashing threads and runs the
   * `done` callbacks held behind them, in order. A failed thread is thrown
   * (HashThreadError) after the callbacks before it have run.
   */
  async settle(): Promise<void> {
    for (const e of this.ended) {
      if (!e.hex) continue;
      try {
        await e.hex;
      } catch {
        // thrown in order by drain()
      }
    }
    this.drain();
  }

  /**
   * Feeds the next bytes. Taps and this thread's digests see them at once;
   * with digests on pool threads, a promise that settles when the bytes are
   * handed over (wait for it before reusing the chunk: it is the backpressure).
   */
  update(c: Buffer): void | Promise<void> {
    // Callbacks held behind a thread's answer run here, on the reading path, where a throw reaches the pass.
    if (this.ended.length) this.drain();
    this.whole.update(c);
    const sent: Promise<void>[] = this.taps.length ? this.feedTaps(c) : [];
    this.pos += c.length;
    for (const [, d] of this.remote) sent.push(d.update(c));
    if (sent.length === 1) return sent[0];
    if (sent.length) return Promise.all(sent).then(() => undefined);
  }

  /** The whole digests by algorithm, in the order asked for; HashThreadError when a hashing thread failed. */
  async digest(): Promise<Record<string, string>> {
    await this.settle();
    const here = this.whole.digest();
    const there = new Map<string, string>();
    for (const [a, d] of this.remote) there.set(a, await d.digest());
    const out: Record<string, string> = {};
    for (const a of this.order) out[a] = here[a] ?? there.get(a)!;
    return out;
  }

  /** Feeds the taps this chunk meets; the promises of bytes handed to hashing threads (wait for them before reusing the chunk). */
  private feedTaps(c: Buffer): Promise<void>[] {
    const sent: Promise<void>[] = [];
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
      if (s < e) {
        const view = s === pos && e === end ? c : c.subarray(s - pos, e - pos);
        if (t instanceof RemoteRange) sent.push(t.remote.update(view));
        else t.update(view);
      }
      if (t.end <= end) this.end(t);
      else open.push(t);
    }
    if (open.length !== i) this.taps = i === this.taps.length ? open : open.concat(this.taps.slice(i));
    return sent;
  }

  /** A tap's bytes have all passed: its callback runs now, or after the thread-computed ranges that ended before it. */
  private end(t: RangeTap): void {
    if (t instanceof RemoteRange) {
      const e: (typeof this.ended)[number] = { tap: t, settled: false };
      e.hex = t.remote.digest().then(
        (v) => {
          e.value = v;
          e.settled = true;
          return v;
        },
        (err: unknown) => {
          e.error = err;
          e.settled = true;
          throw err;
        },
      );
      // The rejection is reported by settle(); this keeps it from counting as unhandled meanwhile.
      e.hex.catch(() => undefined);
      this.ended.push(e);
    } else if (this.ended.length === 0) t.done();
    else this.ended.push({ tap: t, settled: true });
  }

  /** Runs the callbacks at the head of the queue that can run; throws a thread's failure when it reaches it (the rest are dropped). */
  private drain(): void {
    while (this.ended.length > 0 && this.ended[0].settled) {
      const e = this.ended.shift()!;
      if (e.error !== undefined) {
        this.ended = [];
        throw e.error instanceof Error ? e.error : new Error(String(e.error));
      }
      if (e.tap instanceof RemoteRange) e.tap.range.done(e.value!);
      else e.tap.done();
    }
  }
}

/** A range digest computed on a hashing thread: its bytes go there; `done` is run by its DigestSet. */
class RemoteRange implements RangeTap {
  readonly start: number;
  readonly end: number;
  constructor(
    readonly range: RangeDigest,
    readonly remote: RemoteDigest,
  ) {
    this.start = range.start;
    this.end = range.end;
  }
  update(): void {
    throw new Error('internal: a thread-computed range is fed by its DigestSet');
  }
  done(): void {
    throw new Error('internal: a thread-computed range is finished by its DigestSet');
  }
}

/** A range digest as a tap: hashes its bytes and hands over the hex at the end. */
export function rangeDigestTap(r: RangeDigest): RangeTap {
  const blocks = blockCrcSize(r.algo);
  if (blocks !== null) {
    if (r.prefix?.length) throw new Error(`internal: a prefix on a block CRC list (${r.algo})`);
    const list = new BlockCrc16(blocks);
    return { start: r.start, end: r.end, update: (b) => void list.update(b), done: () => r.done(list.digest()) };
  }
  const algo = r.algo as HashAlgo;
  const h = new MultiHash([algo]);
  if (r.prefix?.length) h.update(r.prefix);
  return { start: r.start, end: r.end, update: (b) => h.update(b), done: () => r.done(h.digest()[algo]) };
}
