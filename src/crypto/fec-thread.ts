/**
 * FEC parity computed on a worker thread while the caller streams: blocks
 * are copied into batches of a few MiB and posted; at most a few batches are
 * in flight (`add` waits for the worker to catch up), so memory stays
 * bounded. When a worker thread cannot start, the parity is computed in
 * this thread.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FecEncoder } from './fec';
import type { FecMessage } from './fec-worker';

const BATCH_BYTES = 2 * 1024 * 1024;
const MAX_IN_FLIGHT = 3;

type Reply = { type: 'ack' } | { type: 'parity'; parity: Uint8Array } | { type: 'error'; message: string };

export class ThreadedFec {
  private readonly worker: Worker | null = null;
  private readonly local: FecEncoder | null = null;
  private batch: Buffer;
  private readonly batchBytes: number;
  private fill = 0;
  private first = 0;
  private inFlight = 0;
  private waiting: (() => void) | null = null;
  private result: ((p: Uint8Array) => void) | null = null;
  private failure: Error | null = null;
  private onFail: ((e: Error) => void) | null = null;
  private readonly zero: Buffer;

  constructor(
    readonly dataBytes: number,
    readonly blockSize: number,
    readonly roots: number,
    script = join(__dirname, 'fec-worker.js'),
  ) {
    this.zero = Buffer.alloc(blockSize);
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
        if (this.inFlight === 0 && !this.result) w.unref();
        const go = this.waiting;
        this.waiting = null;
        go?.();
      } else if (r.type === 'parity') this.result?.(r.parity);
      else this.fail(new Error(`FEC worker: ${r.message}`));
    });
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => this.fail(new Error(`FEC worker stopped (exit code ${code})`)));
    w.postMessage({ type: 'init', dataBytes, blockSize, roots } satisfies FecMessage);
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.waiting?.();
    this.onFail?.(e);
  }

  /** Adds data block `index` (whole); returns a promise to wait on when the worker is behind, else null. */
  add(index: number, block: Uint8Array): Promise<void> | null {
    if (this.local) {
      if (!this.zero.equals(block)) this.local.addBlock(index, block);
      return null;
    }
    if (this.fill > 0 && index !== this.first + this.fill / this.blockSize) this.flush();
    if (this.fill === 0) this.first = index;
    this.batch.set(block, this.fill);
    this.fill += this.blockSize;
    if (this.fill === this.batch.length) this.flush();
    return this.inFlight >= MAX_IN_FLIGHT ? this.caughtUp() : null;
  }

  private caughtUp(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.failure) reject(this.failure);
        else if (this.inFlight < MAX_IN_FLIGHT) resolve();
        else this.waiting = check;
      };
      check();
    });
  }

  private flush(): void {
    if (this.fill === 0 || !this.worker) return;
    const data = this.batch.subarray(0, this.fill);
    this.inFlight++;
    this.worker.ref();
    this.worker.postMessage({ type: 'add', first: this.first, data } satisfies FecMessage, [data.buffer as ArrayBuffer]);
    // The old batch went with the message (its buffer is detached here).
    this.batch = Buffer.allocUnsafeSlow(this.batchBytes);
    this.fill = 0;
  }

  /** The parity, once every block is added. */
  async finish(): Promise<Uint8Array> {
    if (this.local) return this.local.parity;
    this.flush();
    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        this.result = resolve;
        this.onFail = reject;
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
    w.removeAllListeners('exit');
    void w.terminate();
  }
}
