/**
 * A small pool of threads that compute the costly digests (md5, sha1,
 * sha256) of large artifacts, so the digests one read feeds (a zip's and its
 * stored member's) run at once on several cores while the main thread reads
 * and parses. Bytes travel in the read ring's shared slots, never copied
 * when they were read into one; a slot is posted to every thread with a
 * digest over it and reused when all have hashed it. Each digest stays on
 * one thread (its state is sequential); updates reach it in order.
 *
 * One thread per core, at most 4 (`ROMSCOPE_HASH_THREADS` sets another
 * number; 0 hashes everything on the main thread). Idle threads do not keep
 * the process alive.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import type { BufferRing, Slot } from './ring';
import type { HashReply, HashRequest } from './hash-worker';
import { readRing } from './source';
import { blockCrcSize } from './crc16';
import { srcFile } from '../paths';

/** Artifacts smaller than this are hashed on the main thread: posting their few chunks costs more than it saves. */
export const HASH_OFFLOAD_MIN = 16 * 1024 * 1024;

/** Chunks smaller than this are gathered into one buffer of GATHER_SIZE before they are posted. */
const COALESCE_BELOW = 64 * 1024;
const GATHER_SIZE = 256 * 1024;

/** The algorithms a hashing thread computes (node:crypto ones); the cheap or wasm ones stay on the main thread. */
export const THREADED_ALGOS: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha256']);

/** Whether a range digest of this algorithm can run on a hashing thread (crc16.ts's block CRC lists too). */
export function threadedRangeAlgo(algo: string): boolean {
  return THREADED_ALGOS.has(algo) || blockCrcSize(algo) !== null;
}

/** A hashing thread stopped or failed: the digests it held are lost. */
export class HashThreadError extends Error {}

interface Thread {
  w: Worker;
  /** Digests opened here and not yet finished. */
  open: number;
  /** Messages waiting for a reply (the thread is kept alive while any are). */
  outstanding: number;
  slots: Map<number, Slot>;
  digests: Map<number, { resolve(hex: string): void; reject(e: Error): void }>;
  dead: HashThreadError | null;
}

export class HashPool {
  readonly size: number;
  private readonly threads: Thread[] = [];
  private disabled: boolean;
  private nextId = 1;
  private nextTag = 1;

  constructor(
    size: number,
    readonly ring: BufferRing = readRing(),
    private readonly script = srcFile('io', 'hash-worker.js'),
  ) {
    this.size = Math.max(1, size);
    this.disabled = !existsSync(this.script);
  }

  /** Whether digests go to threads (false when the worker script is missing or threads cannot start). */
  get threaded(): boolean {
    return !this.disabled;
  }

  /**
   * Starts the pool's threads now rather than at the first digest, so their
   * start-up (some 90 ms each on the bench machine) overlaps the reading of
   * headers and directories instead of delaying the first hashes. Called for
   * inputs large enough to be hashed on threads: `count` threads (two: the
   * input's digest and its largest member's run at once), never more than
   * the pool's size; the others still start when digests need them. Idle
   * threads keep no process alive.
   */
  warm(count = 2): void {
    if (this.disabled) return;
    while (this.threads.length < Math.min(count, this.size) && this.spawn());
  }

  /** What the pool is doing now (the fuzz harness's watchdog reports it with a hang): per thread, digests open, replies awaited and ring slots held. */
  stats(): { open: number; outstanding: number; slots: number }[] {
    return this.threads.map((t) => ({ open: t.open, outstanding: t.outstanding, slots: t.slots.size }));
  }

  /** A digest computed on one of the pool's threads, which is chosen when its first bytes arrive. */
  digest(algo: string): RemoteDigest {
    return new RemoteDigest(this, algo);
  }

  /** @internal The thread with the fewest open digests, starting another while there is room. */
  pick(): Thread {
    let best: Thread | undefined;
    for (const t of this.threads) if (!best || t.open < best.open) best = t;
    if ((!best || best.open > 0) && this.threads.length < this.size) best = this.spawn() ?? best;
    if (!best) throw new HashThreadError('no hashing thread could be started');
    return best;
  }

  /** @internal */
  newId(): number {
    return this.nextId++;
  }

  /** @internal Posts one request; an update's slot is held by the thread until it replies. */
  post(t: Thread, m: HashRequest, slot?: Slot): void {
    if (t.dead) throw t.dead;
    if (m.op === 'update') {
      m.tag = this.nextTag++;
      t.slots.set(m.tag, slot!);
    }
    // 'open' has no reply; the others keep the thread alive until theirs comes.
    if (m.op !== 'open' && t.outstanding++ === 0) t.w.ref();
    t.w.postMessage(m);
  }

  private settle(t: Thread): void {
    if (--t.outstanding === 0) t.w.unref();
  }

  private spawn(): Thread | null {
    let w: Worker;
    try {
      w = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 } });
    } catch {
      return null;
    }
    const t: Thread = { w, open: 0, outstanding: 0, slots: new Map(), digests: new Map(), dead: null };
    this.threads.push(t);
    w.on('message', (r: HashReply) => {
      if (r.op === 'released') {
        for (const tag of r.tags) {
          const s = t.slots.get(tag);
          if (!s) continue;
          t.slots.delete(tag);
          this.ring.release(s);
          this.settle(t);
        }
        return;
      }
      const d = t.digests.get(r.id);
      if (!d) return;
      t.digests.delete(r.id);
      if (r.op === 'digest') d.resolve(r.hex);
      else d.reject(new HashThreadError(`a hashing thread failed: ${r.message}`));
      this.settle(t);
    });
    const fail = (why: string) => {
      if (t.dead) return;
      t.dead = new HashThreadError(`the hashing thread stopped (${why})`);
      const i = this.threads.indexOf(t);
      if (i >= 0) this.threads.splice(i, 1);
      for (const s of t.slots.values()) this.ring.release(s);
      t.slots.clear();
      for (const d of t.digests.values()) d.reject(t.dead);
      t.digests.clear();
      t.outstanding = 0;
      w.unref();
    };
    w.on('error', (e) => fail(e?.message ?? String(e)));
    w.on('exit', (code) => fail(`exit code ${code}`));
    // After the listeners: adding a 'message' listener refs the worker again.
    w.unref();
    return t;
  }
}

/**
 * One digest on a hashing thread. `update` takes the chunk's bytes in order
 * (a view of a held ring slot goes as it is; other bytes are copied into a
 * slot) and settles once they are posted; wait for it before changing the
 * chunk. `digest` gives the hex, or throws HashThreadError.
 */
export class RemoteDigest {
  private thread: Thread | null = null;
  private readonly id: number;
  private chain: Promise<void> = Promise.resolve();
  private failed: Error | null = null;
  /** Small chunks waiting to be posted together, and how many bytes of it are filled. */
  private gathered: Buffer | null = null;
  private fill = 0;

  constructor(
    private readonly pool: HashPool,
    readonly algo: string,
  ) {
    this.id = pool.newId();
  }

  private on(): Thread {
    if (!this.thread) {
      const t = this.pool.pick();
      this.pool.post(t, { op: 'open', id: this.id, algo: this.algo });
      t.open++;
      this.thread = t;
    }
    return this.thread;
  }

  private send(slot: Slot, offset: number, length: number): void {
    const ring = this.pool.ring;
    try {
      if (this.failed) throw this.failed;
      this.pool.post(this.on(), { op: 'update', id: this.id, tag: 0, sab: slot.sab, offset, length }, slot);
    } catch (e) {
      this.failed ??= e as Error;
      ring.release(slot);
    }
  }

  update(c: Buffer): Promise<void> {
    const ring = this.pool.ring;
    const slot = ring.slotOf(c);
    const gatherSize = Math.min(GATHER_SIZE, ring.slotSize);
    if (c.length < Math.min(COALESCE_BELOW, gatherSize)) {
      // Small chunks (a tar header, a one-byte member) are gathered and posted a buffer at a time:
      // a message per chunk costs far more than the hashing (20,000 tiny members took 3 times
      // the CPU of hashing them on the main thread).
      // Copied now, so no ring slot is held while the chunk waits its turn (the flush may need one).
      const own = Buffer.from(c);
      this.chain = this.chain.then(async () => {
        if (this.fill + own.length > gatherSize) await this.flush();
        this.gathered ??= Buffer.allocUnsafe(gatherSize);
        this.fill += own.copy(this.gathered, this.fill);
      });
    } else if (slot) {
      ring.retain(slot);
      this.chain = this.chain.then(async () => {
        await this.flush();
        this.send(slot, c.byteOffset, c.length);
      });
    } else {
      this.chain = this.chain.then(async () => {
        await this.flush();
        for (let o = 0; o < c.length; o += ring.slotSize) {
          const s = await ring.acquire();
          const n = c.copy(s.buf, 0, o, Math.min(c.length, o + ring.slotSize));
          this.send(s, 0, n);
        }
      });
    }
    return this.chain;
  }

  /** Posts the gathered bytes, when there are any, through a ring slot. */
  private async flush(): Promise<void> {
    if (this.fill === 0) return;
    const s = await this.pool.ring.acquire();
    const n = this.gathered!.copy(s.buf, 0, 0, this.fill);
    this.fill = 0;
    this.send(s, 0, n);
  }

  async digest(): Promise<string> {
    await this.chain;
    await this.flush();
    if (this.failed) throw this.failed;
    const t = this.on();
    const hex = new Promise<string>((resolve, reject) => t.digests.set(this.id, { resolve, reject }));
    this.pool.post(t, { op: 'digest', id: this.id });
    try {
      return await hex;
    } finally {
      t.open--;
    }
  }
}

export function hashThreads(): number {
  const raw = process.env.ROMSCOPE_HASH_THREADS;
  const env = Number(raw);
  if (raw !== undefined && raw !== '' && Number.isInteger(env) && env >= 0) return Math.min(env, 64);
  return Math.min(4, availableParallelism());
}

let shared: HashPool | null | undefined;

/** The process-wide pool, created on first use; null when `ROMSCOPE_HASH_THREADS=0`. */
export function hashPool(): HashPool | null {
  if (shared === undefined) {
    const n = hashThreads();
    shared = n > 0 ? new HashPool(n) : null;
  }
  return shared?.threaded ? shared : null;
}
