/**
 * FEC parity computed on a worker thread while the caller streams: blocks
 * are copied into batches of a few MiB and posted; at most a few batches are
 * in flight (`add` returns a promise to wait on when the worker is behind),
 * so memory stays bounded. When the worker cannot start (its failure arrives
 * before it has taken any batch), the parity is computed in this thread from
 * the batches kept until then; a worker lost later fails `finish`.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { FecEncoder } from './fec';
import type { FecMessage } from './fec-worker';
import { srcFile } from '../paths';

const BATCH_BYTES = 2 * 1024 * 1024;
const MAX_IN_FLIGHT = 3;

type Reply = { type: 'ack' } | { type: 'parity'; parity: Uint8Array } | { type: 'error'; message: string };

export class ThreadedFec {
  private worker: Worker | null = null;
  private local: FecEncoder | null = null;
  private batch: Buffer;
  private readonly batchBytes: number;
  private fill = 0;
  private first = 0;
  private inFlight = 0;
  private acked = 0;
  /** Batches posted before the worker took any: replayed here if it never starts. */
  private unacked: { first: number; data: Buffer }[] = [];
  private behind: { promise: Promise<void>; resolve(): void; reject(e: Error): void } | null = null;
  private result: { resolve(p: Uint8Array): void; reject(e: Error): void } | null = null;
  private failure: Error | null = null;

  constructor(
    readonly dataBytes: number,
    readonly blockSize: number,
    readonly roots: number,
    script = srcFile('crypto', 'fec-worker.js'),
  ) {
    this.batchBytes = Math.max(1, Math.floor(BATCH_BYTES / blockSize)) * blockSize;
    this.batch = Buffer.allocUnsafeSlow(this.batchBytes);
    let w: Worker | null = null;
    if (existsSync(script)) {
      try {
        w = new Worker(script, { resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 } });
      } catch {
        w = null;
      }
    }
    if (!w) {
      this.local = new FecEncoder(dataBytes, blockSize, roots);
      return;
    }
    this.worker = w;
    // Kept alive only while it has work (a stream left unfinished does not hold the process).
    w.unref();
    w.on('message', (r: Reply) => {
      if (r.type === 'ack') {
        this.inFlight--;
        this.acked++;
        this.unacked = [];
        if (this.inFlight === 0 && !this.result) w.unref();
        if (this.inFlight < MAX_IN_FLIGHT) this.catchUp();
      } else if (r.type === 'parity') this.result?.resolve(r.parity);
      else this.lost(new Error(`FEC worker: ${r.message}`));
    });
    w.on('error', (e) => this.lost(e));
    w.on('exit', (code) => this.lost(new Error(`FEC worker stopped (exit code ${code})`)));
    w.postMessage({ type: 'init', dataBytes, blockSize, roots } satisfies FecMessage);
  }

  private catchUp(): void {
    const b = this.behind;
    this.behind = null;
    b?.resolve();
  }

  /** The worker is gone: before it took anything, carry on here; after, fail. */
  private lost(e: Error): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    w.removeAllListeners();
    void w.terminate();
    if (this.acked === 0 && !this.failure) {
      this.local = new FecEncoder(this.dataBytes, this.blockSize, this.roots);
      for (const b of this.unacked) this.local.addBlocks(b.first, b.data);
      this.unacked = [];
      this.inFlight = 0;
      this.catchUp();
      if (this.result) this.result.resolve(this.local.parity);
      return;
    }
    this.failure = e;
    this.behind?.reject(e);
    this.behind = null;
    this.result?.reject(e);
  }

  /** Adds data block `index` (whole); returns a promise to wait on when the worker is behind, else null. */
  add(index: number, block: Uint8Array): Promise<void> | null {
    if (this.failure) return Promise.reject(this.failure);
    if (this.local) {
      this.local.addBlocks(index, block);
      return null;
    }
    if (this.fill > 0 && index !== this.first + this.fill / this.blockSize) this.flush();
    if (this.fill === 0) this.first = index;
    this.batch.set(block, this.fill);
    this.fill += this.blockSize;
    if (this.fill === this.batchBytes) this.flush();
    if (this.inFlight < MAX_IN_FLIGHT || !this.worker) return null;
    if (!this.behind) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => {}); // awaited by the caller, or superseded by finish()
      this.behind = { promise, resolve, reject };
    }
    return this.behind.promise;
  }

  private flush(): void {
    if (this.fill === 0) return;
    const data = this.batch.subarray(0, this.fill);
    const first = this.first;
    this.fill = 0;
    if (!this.worker) {
      this.local?.addBlocks(first, data);
      return;
    }
    this.inFlight++;
    this.worker.ref();
    if (this.acked === 0) {
      // Until the worker shows it runs, keep a copy to fall back on (the message gets its own).
      this.unacked.push({ first, data: Buffer.from(data) });
      this.worker.postMessage({ type: 'add', first, data } satisfies FecMessage);
    } else {
      this.worker.postMessage({ type: 'add', first, data } satisfies FecMessage, [data.buffer as ArrayBuffer]);
      // The old batch went with the message (its buffer is detached here).
      this.batch = Buffer.allocUnsafeSlow(this.batchBytes);
    }
  }

  /** The parity, once every block is added. */
  async finish(): Promise<Uint8Array> {
    this.flush();
    if (this.failure) throw this.failure;
    if (this.local) return this.local.parity;
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        this.result = { resolve, reject };
        this.worker!.ref();
        this.worker!.postMessage({ type: 'finish' } satisfies FecMessage);
      });
    } finally {
      this.close();
    }
  }

  /** Stops the worker (also when the stream is abandoned). */
  close(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    w.removeAllListeners();
    void w.terminate();
  }
}
