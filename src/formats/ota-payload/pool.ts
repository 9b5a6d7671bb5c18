/**
 * A small pool of worker threads that decompress payload operation blobs, so
 * independent operations (of one partition or of several) decode in
 * parallel while the main thread hashes and walks. One thread per core (at
 * most 8; `ROMSCOPE_DECODE_THREADS` overrides). Idle workers do not keep the
 * process alive. When worker threads cannot start, jobs run in this thread.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { CodecError } from '../../codecs';
import { readFileRange, runJob, type DecodeJob, type DecodeResult, type DigestRequest, type JobCodec, type JobDigests } from './decode-worker';
import { srcFile } from '../../paths';

interface Pending {
  job: DecodeJob;
  signal?: AbortSignal;
  /** Drops the job from the queue when its signal aborts (removed once it starts). */
  onAbort?: () => void;
  resolve(r: { buffer: Uint8Array; length: number; digests?: JobDigests }): void;
  reject(e: Error): void;
}

/** What a job may add to the codec, the data and the output bound. */
export interface RunOptions {
  /** The blob's place in a file the main thread has open: the worker reads it (`data` is then empty). */
  file?: { fd: number; position: number; length: number };
  /** A stopped stream: a job not yet started is dropped. */
  signal?: AbortSignal;
  /** Also compute JobDigests (MD5 and CRC-32 of input and output; see DigestRequest). */
  digests?: DigestRequest;
}

export class DecodePool {
  readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly running = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private spawned = 0;
  private nextId = 1;
  private disabled: boolean;

  constructor(
    size: number,
    private readonly script = srcFile('formats', 'ota-payload', 'decode-worker.js'),
  ) {
    this.size = Math.max(1, size);
    this.disabled = !existsSync(this.script);
  }

  /** Threads that would take a job now without waiting (idle or not yet started), less the jobs queued. */
  get spare(): number {
    if (this.disabled) return 0;
    return this.idle.length + (this.size - this.spawned) - this.queue.length;
  }

  /** What the pool is doing now (the fuzz harness's watchdog reports it with a hang). */
  stats(): { threads: number; idle: number; running: number; queued: number } {
    return { threads: this.spawned, idle: this.idle.length, running: this.running.size, queued: this.queue.length };
  }

  /** Whether jobs go to worker threads (which can read blobs from files themselves). */
  get threaded(): boolean {
    return !this.disabled;
  }

  /**
   * Decodes a blob; the blob's buffer is handed to the worker (do not use it
   * afterwards). With `file`, `data` is empty and the worker reads the blob
   * from the file (ShortReadError when it cannot).
   */
  run(codec: JobCodec, data: Uint8Array, maxOut: number, opts: RunOptions = {}): Promise<{ buffer: Uint8Array; length: number; digests?: JobDigests }> {
    const { file, signal, digests } = opts;
    const job: DecodeJob = { id: this.nextId++, codec, data, maxOut, file, ...(digests ? { digests } : {}) };
    if (this.disabled) return inThread(job);
    // A job whose stream has stopped (or whose file is closing) is not started; one whose stream stops while it waits
    // is dropped at once, not when a thread frees.
    if (signal?.aborted) return Promise.reject(notStarted());
    return new Promise((resolve, reject) => {
      const p: Pending = { job, signal, resolve, reject };
      this.queue.push(p);
      if (signal) {
        p.onAbort = () => this.drop(p);
        signal.addEventListener('abort', p.onAbort, { once: true });
      }
      this.pump();
    });
  }

  private drop(p: Pending): void {
    const i = this.queue.indexOf(p);
    if (i < 0) return;
    this.queue.splice(i, 1);
    p.onAbort = undefined;
    p.reject(notStarted());
  }

  private pump(): void {
    while (this.queue.length) {
      let w = this.idle.pop();
      if (!w && this.spawned < this.size) w = this.spawn() ?? undefined;
      if (!w) {
        if (this.disabled) for (const p of this.queue.splice(0)) inThread(p.job).then(p.resolve, p.reject);
        return;
      }
      const p = this.queue.shift()!;
      if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
      this.running.set(w, p);
      w.ref();
      const d = p.job.data;
      const whole = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && !(d.buffer instanceof SharedArrayBuffer);
      w.postMessage(p.job, whole ? [d.buffer] : []);
    }
  }

  private spawn(): Worker | null {
    let w: Worker;
    try {
      // A small young generation: decoded chunks die young, and their buffers go back at once.
      w = new Worker(this.script, { resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 4 } });
    } catch {
      this.disabled = true;
      return null;
    }
    this.spawned++;
    w.unref();
    w.on('message', (r: DecodeResult) => {
      const p = this.running.get(w);
      this.running.delete(w);
      w.unref();
      this.idle.push(w);
      if (p) {
        if ('error' in r) p.reject(r.shortRead ? new ShortReadError(r.error) : new CodecError(r.error));
        else p.resolve({ buffer: r.buffer, length: r.length, ...(r.digests ? { digests: r.digests } : {}) });
      }
      this.pump();
    });
    const fail = (e: Error) => {
      const p = this.running.get(w);
      this.running.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
      this.spawned--;
      p?.reject(new CodecError(`the decoder thread stopped (${e.message})`));
      this.pump();
    };
    w.on('error', fail);
    w.on('exit', (code) => {
      if (this.running.has(w) || this.idle.includes(w)) fail(new Error(`exit code ${code}`));
    });
    return w;
  }
}

function notStarted(): CodecError {
  return new CodecError('not decoded: the stream that wanted it stopped');
}

/** A worker could not read a blob where the file was said to hold it: the caller reads it itself (and reports why). */
export class ShortReadError extends Error {}

/** A job done in this thread (no worker threads). */
async function inThread(job: DecodeJob): Promise<{ buffer: Uint8Array; length: number; digests?: JobDigests }> {
  if (!job.file) return runJob(job, job.data);
  let buf: Buffer | null;
  try {
    buf = readFileRange(job.file);
  } catch (e) {
    throw new ShortReadError((e as Error)?.message ?? String(e));
  }
  if (!buf) throw new ShortReadError('the blob ends early');
  return runJob(job, buf);
}

let shared: DecodePool | null = null;

export function decodeThreads(): number {
  const env = Number(process.env.ROMSCOPE_DECODE_THREADS);
  if (Number.isInteger(env) && env >= 1) return Math.min(env, 64);
  return Math.min(8, availableParallelism());
}

/** The process-wide pool, created on first use. */
export function decodePool(): DecodePool {
  shared ??= new DecodePool(decodeThreads());
  return shared;
}
