/**
 * `romscope worker --queue redis://...`: takes jobs off the BullMQ queue, checks
 * each input in a child process with a time limit, and stores one row per input
 * sha256 in the result store (docs/queue.md).
 *
 * BullMQ does the distributed part: a job is moved to active atomically (a Lua
 * script) so one worker takes it; the worker holds a lock on it and renews it
 * while the check runs; when a worker dies, another one's stalled-job check
 * finds the expired lock and puts the job back on the queue; a failed attempt
 * is retried after an exponential backoff. This file decides what a job does
 * and when it has failed for good (then it goes on the dead-letter hash).
 */
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type IORedis from 'ioredis';
import { hostname } from 'node:os';
import type { FailOn } from '../api';
import { errorMessage } from '../io/errors';
import { openStore, type ResultStore } from '../store/index';
import { BACKOFF_TYPE, DEAD_LETTERS_KEY, QUEUE_NAME, connectionOptions, parseRedisUrl, redisClient, type DeadLetter, type JobData, type JobResult } from './common';
import { InputError, localInput } from './input';
import { CheckFailure, CheckPool } from './run-check';

export interface WorkerOptions {
  queue: string;
  /** The result store: a SQLite file or postgres:// (src/store). */
  db: string;
  concurrency: number;
  /** Each job's time limit: fetching or hashing the input and the check. */
  jobTimeoutMs: number;
  /** Attempts per job before it goes on the dead-letter list. */
  attempts: number;
  /** The first retry's delay; each further one doubles it. */
  backoffMs: number;
  /** How long a job's lock lasts without renewal: a dead worker's job goes back on the queue after about this long (up to twice). */
  stalledMs: number;
  maxDownloadBytes: number;
  heapMiB?: number;
  failOn: FailOn;
  tempDir?: string;
  /** One line per event (stdout in the CLI). */
  log: (line: string) => void;
}

export interface RunningWorker {
  /** First call: take no more jobs, let the running checks finish. Second call: kill them and put their jobs back on the queue. Resolves when the worker has stopped. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped (after stop()). */
  stopped: Promise<void>;
}

/** The exponential backoff of the attempt that failed `attemptsMade` times: backoffMs, 2 backoffMs, 4 backoffMs... */
export function backoffDelay(attemptsMade: number, backoffMs: number): number {
  return backoffMs * 2 ** Math.max(0, Math.min(attemptsMade - 1, 20));
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const address = parseRedisUrl(o.queue);
  const me = `${hostname()}:${process.pid}`;
  // Redis first: a wrong address is an error before a store file is created.
  const redis: IORedis = await redisClient(o.queue, false);
  let store: ResultStore;
  try {
    store = await openStore(o.db);
  } catch (e) {
    redis.disconnect();
    throw e;
  }

  const pool = new CheckPool(o.heapMiB);

  const deadLetter = async (job: Job<JobData>, reason: string, attempts: number): Promise<void> => {
    const letter: DeadLetter = { jobId: String(job.id), input: job.data.input, reason, attempts, failedAt: new Date().toISOString(), worker: me };
    // A hash field per job: writing it twice (a retry of this step) leaves one entry.
    await redis.hset(DEAD_LETTERS_KEY, letter.jobId, JSON.stringify(letter));
    o.log(`dead-letter ${job.data.input}: ${reason} (${attempts} attempt${attempts === 1 ? '' : 's'})`);
  };

  const processJob = async (job: Job<JobData>, token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const input = job.data.input;
    // A job whose worker died (or lost its lock) while checking it comes back with stalledCounter raised; an input that takes its worker down every time is given up.
    if (job.stalledCounter >= o.attempts) {
      const reason = `its worker stopped ${job.stalledCounter} times while checking it (machine down, or the worker killed)`;
      await deadLetter(job, reason, job.stalledCounter);
      throw new UnrecoverableError(reason);
    }
    const attempt = job.attemptsMade + 1;
    o.log(`checking ${input} (attempt ${attempt} of ${o.attempts}${job.stalledCounter ? `, back after its worker stopped ${job.stalledCounter} time(s)` : ''})`);
    // One time limit for the whole job: reading (or downloading) the input, then the check with what is left.
    const deadline = Date.now() + o.jobTimeoutMs;
    const timeout = AbortSignal.timeout(o.jobTimeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const local = await localInput(input, { maxBytes: o.maxDownloadBytes, ...(o.tempDir ? { tempDir: o.tempDir } : {}), signal: both }).catch((e: unknown) => {
        if (signal?.aborted) throw new CheckFailure('stopped: the worker is shutting down', 'stopped');
        if (timeout.aborted) throw new CheckFailure(`timed out: reading the input took more than --job-timeout ${o.jobTimeoutMs / 1000} s`, 'timeout');
        throw e;
      });
      try {
        const known = await store.getBySha256(local.sha256);
        if (known) {
          o.log(`skipped ${input}: sha256 ${local.sha256} already checked (${known.path})`);
          return { sha256: local.sha256, stored: false, rowPath: known.path, exitCode: known.exitCode };
        }
        const row = await pool.run(
          { path: local.path, input, mtimeMs: local.mtimeMs, failOn: o.failOn, ...(o.tempDir ? { tempDir: o.tempDir } : {}) },
          { timeoutMs: Math.max(1, deadline - Date.now()), limitMs: o.jobTimeoutMs, ...(signal ? { signal } : {}) },
        );
        // The sha256 the check computed wins (it read the bytes last); a row with it already there means another job got there first.
        const stored = await store.putIfNewSha256(row);
        if (stored) o.log(`checked ${input}: exit ${row.exitCode}, ${row.errors} error(s), ${row.warnings} warning(s), sha256 ${row.sha256}`);
        else o.log(`skipped ${input}: sha256 ${row.sha256} stored by another job meanwhile`);
        return { sha256: row.sha256, stored, rowPath: stored ? row.path : ((await store.getBySha256(row.sha256))?.path ?? row.path), exitCode: row.exitCode };
      } finally {
        await local.dispose();
      }
    } catch (e) {
      if (e instanceof CheckFailure && e.kind === 'stopped') {
        // Released, not failed: back on the queue for another worker, without using up an attempt.
        await job.moveToWait(token);
        o.log(`released ${input}: the worker is stopping`);
        throw new WaitingError();
      }
      const reason = e instanceof CheckFailure || e instanceof InputError ? e.message : `error: ${errorMessage(e)}`;
      if (attempt >= o.attempts) {
        await deadLetter(job, reason, attempt);
        throw new UnrecoverableError(reason);
      }
      o.log(`failed ${input} (attempt ${attempt} of ${o.attempts}): ${reason}; retry in ${backoffDelay(attempt, o.backoffMs) / 1000} s`);
      throw new Error(reason, { cause: e });
    }
  };

  const worker = new Worker<JobData, JobResult>(QUEUE_NAME, processJob, {
    connection: connectionOptions(address, false),
    concurrency: o.concurrency,
    lockDuration: o.stalledMs,
    stalledInterval: Math.max(250, Math.round(o.stalledMs / 2)),
    // The processor gives up on a job itself (see stalledCounter above); BullMQ's own limit is one more, so it never fails one first.
    maxStalledCount: o.attempts + 1,
    // The check runs in a child process, so the event loop is free to renew locks; no need to wait long on an empty queue.
    drainDelay: 2,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => (type === BACKOFF_TYPE || type === undefined ? backoffDelay(attemptsMade, o.backoffMs) : 0),
    },
    name: me,
  });
  let lastError = '';
  worker.on('error', (e) => {
    // Redis going away is reported once per distinct message, not once per reconnection try.
    const m = errorMessage(e);
    if (m !== lastError) o.log(`worker error: ${m}`);
    lastError = m;
  });
  worker.on('ready', () => (lastError = ''));
  await worker.waitUntilReady();
  o.log(`worker ${me} ready: queue ${o.queue}, concurrency ${o.concurrency}, attempts ${o.attempts}, job timeout ${o.jobTimeoutMs / 1000} s`);

  let closing: Promise<void> | undefined;
  let stops = 0;
  let done!: () => void;
  const stopped = new Promise<void>((resolve) => (done = resolve));
  const finish = async (): Promise<void> => {
    try {
      await worker.close();
    } finally {
      pool.close();
      redis.disconnect();
      await store.close();
      done();
    }
  };
  return {
    stopped,
    stop(): Promise<void> {
      stops++;
      if (stops === 1) {
        o.log('stopping: no new jobs; waiting for the running checks (stop again to put them back on the queue)');
        closing = finish();
      } else {
        o.log('stopping now: killing the running checks, their jobs go back on the queue');
        worker.cancelAllJobs('the worker is stopping');
      }
      return closing!;
    },
  };
}

/** The dead letters, oldest first (`romscope worker --dead-letters`). */
export async function listDeadLetters(queue: string): Promise<DeadLetter[]> {
  const redis = await redisClient(queue, true);
  try {
    const all = await redis.hvals(DEAD_LETTERS_KEY);
    return all.map((v) => JSON.parse(v) as DeadLetter).sort((a, b) => a.failedAt.localeCompare(b.failedAt));
  } finally {
    redis.disconnect();
  }
}
