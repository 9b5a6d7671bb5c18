/**
 * `romscope enqueue --queue redis://... <path|url>...`: puts one BullMQ job per
 * input on the queue (docs/queue.md). Paths are made absolute and must be
 * regular files here; the workers must see them at the same path (shared
 * storage). URLs are queued as given; the worker downloads them.
 */
import { Queue } from 'bullmq';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../io/errors';
import { ATTEMPTS_CEILING, BACKOFF_TYPE, DEAD_LETTERS_KEY, QUEUE_NAME, connectionOptions, isUrl, jobIdOf, parseRedisUrl, redisClient, type JobData } from './common';

export interface EnqueueResult {
  input: string;
  jobId: string;
  /** False when a job with this id was already on the queue (waiting, running, delayed, finished or failed and kept). */
  added: boolean;
  /** The existing job's state when not added; 'retried' for a failed job queued again. */
  state?: string;
}

/** What each input becomes: the job data and its id. Bad inputs are usage errors, before anything is queued. */
async function jobOf(given: string): Promise<{ data: JobData; jobId: string }> {
  if (isUrl(given)) {
    try {
      new URL(given);
    } catch {
      throw new UsageError(`${given}: not a valid URL`);
    }
    return { data: { input: given }, jobId: jobIdOf(given) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) throw new UsageError(`${given}: only paths and http(s) URLs can be queued`);
  const abs = resolve(given);
  const st = await stat(abs).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(e.code === 'ENOENT' ? `${given}: no such file` : `${given}: cannot read (${e.code})`);
  });
  if (!st.isFile()) throw new UsageError(`${given}: not a regular file`);
  return { data: { input: abs }, jobId: jobIdOf(abs, st.size, st.mtimeMs) };
}

export async function enqueue(queueUrl: string, inputs: string[]): Promise<EnqueueResult[]> {
  const address = parseRedisUrl(queueUrl);
  const jobs = [];
  for (const i of inputs) jobs.push(await jobOf(i));
  // Fails fast (a UsageError) when Redis is not there.
  const client = await redisClient(queueUrl, true);
  const queue = new Queue<JobData>(QUEUE_NAME, { connection: connectionOptions(address, true) });
  let lastError: Error | undefined;
  queue.on('error', (e) => (lastError = e));
  try {
    await queue.waitUntilReady().catch((e: Error) => {
      throw new UsageError(`--queue ${queueUrl}: cannot reach Redis (${(lastError ?? e).message})`);
    });
    const out: EnqueueResult[] = [];
    for (const { data, jobId } of jobs) {
      const state = await queue.getJobState(jobId);
      if (state === 'failed') {
        // Queued again after it failed for good: it runs again from its first attempt, and leaves the dead-letter list.
        const job = await queue.getJob(jobId);
        if (job) {
          await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          await client.hdel(DEAD_LETTERS_KEY, jobId);
          out.push({ input: data.input, jobId, added: true, state: 'retried' });
          continue;
        }
      }
      if (state !== 'unknown') {
        out.push({ input: data.input, jobId, added: false, state });
        continue;
      }
      await queue.add('check', data, {
        jobId,
        attempts: ATTEMPTS_CEILING,
        backoff: { type: BACKOFF_TYPE },
        // Finished jobs are kept a week (so the same unchanged input is not queued again), failed ones until removed.
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: false,
      });
      out.push({ input: data.input, jobId, added: true });
    }
    return out;
  } finally {
    await queue.close().catch(() => undefined);
    client.disconnect();
  }
}
