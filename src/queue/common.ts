/**
 * What `romscope enqueue` and `romscope worker` share (docs/queue.md): the
 * Redis address, the queue's and the dead-letter list's names, and a job's data.
 */
import { createHash } from 'node:crypto';
import IORedis from 'ioredis';
import { UsageError } from '../io/errors';

/** The BullMQ queue the jobs are on (Redis keys `bull:romscope:*`). */
export const QUEUE_NAME = 'romscope';
/** The Redis hash of dead letters: field = job id, value = a DeadLetter as JSON (docs/queue.md#dead-letters). */
export const DEAD_LETTERS_KEY = 'romscope:dead-letters';
/**
 * BullMQ's own retry ceiling on each job. The worker's --attempts decides when a
 * job has failed for good (it then fails it as unrecoverable); this ceiling only
 * stops a job from going round for ever if every worker ran with a larger one.
 */
export const ATTEMPTS_CEILING = 100;
/** The job's backoff type: the delay is the worker's (its --backoff), computed in the worker's backoffStrategy. */
export const BACKOFF_TYPE = 'romscope';

/** A job's data: the input as the workers will read it. */
export interface JobData {
  /** An absolute path (on storage every worker sees at the same path) or an http(s) URL. */
  input: string;
}

/** What a finished job returns (BullMQ keeps it as the job's return value). */
export interface JobResult {
  sha256: string;
  /** True when this job stored the row; false when a row with this sha256 was already there (from another path, URL or job). */
  stored: boolean;
  /** The stored row's path: this input's, or the one checked before with the same bytes. */
  rowPath: string;
  exitCode: number | null;
}

/** One input that failed every attempt (or killed its worker every time). */
export interface DeadLetter {
  jobId: string;
  input: string;
  /** Why the last attempt failed: a crash (exit code or signal, the end of its stderr), the time limit, an unreadable input... */
  reason: string;
  /** Attempts made, the last one included. */
  attempts: number;
  failedAt: string;
  /** The host name and process id of the worker that gave up. */
  worker: string;
}

/** True for an input the worker downloads rather than opens. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** Connection settings for ioredis from `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). */
export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
}

export function parseRedisUrl(spec: string): RedisAddress {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new UsageError(`--queue wants redis://host:port[/db], got "${spec}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UsageError(`--queue wants redis://host:port[/db] (or rediss:// for TLS), got "${spec}"`);
  if (!u.hostname) throw new UsageError(`--queue ${spec}: no host`);
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) throw new UsageError(`--queue ${spec}: the database after the / must be a number (0-15 by default), got "${dbText}"`);
  const port = u.port === '' ? 6379 : Number(u.port);
  return {
    // URL keeps the brackets of an IPv6 literal; ioredis wants the bare address.
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: dbText === '' ? 0 : Number(dbText),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * The job id of an input: the same path with the same size and modification
 * time (or the same URL) gets the same id, and BullMQ adds no second job under
 * an id it still holds. Whatever the ids, the store keeps one row per sha256.
 */
export function jobIdOf(input: string, size?: number, mtimeMs?: number): string {
  const key = size === undefined ? `url\0${input}` : `path\0${input}\0${size}\0${mtimeMs}`;
  return createHash('sha256').update(key).digest('hex');
}

/** Seconds as typed: a positive number, decimals allowed (`--job-timeout 1.5`). */
export function parseSeconds(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(v > 0) || !Number.isFinite(v)) throw new UsageError(`--${flag} wants a number of seconds above 0, got "${raw}"`);
  return v;
}

/**
 * ioredis settings for an address. `failFast` (enqueue, --dead-letters): a few
 * reconnection tries and no queue of commands while disconnected, so a wrong
 * address is an error in seconds. Otherwise (the worker) it reconnects for
 * ever, as BullMQ wants of a worker: a Redis restart must not stop the workers.
 */
export function connectionOptions(address: RedisAddress, failFast: boolean): RedisAddress & Record<string, unknown> {
  return failFast
    ? { ...address, maxRetriesPerRequest: 1, connectTimeout: 5000, enableOfflineQueue: false, retryStrategy: (n: number) => (n > 3 ? null : 200 * n) }
    : { ...address, maxRetriesPerRequest: null, retryStrategy: (n: number) => Math.min(200 * n, 5000) };
}

/** A plain Redis connection (for the dead-letter hash), connected, or a UsageError saying why not. */
export async function redisClient(spec: string, failFast: boolean): Promise<IORedis> {
  const client = new IORedis({ ...connectionOptions(parseRedisUrl(spec), failFast), lazyConnect: true });
  let lastError: Error | undefined;
  client.on('error', (e: Error) => (lastError = e));
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new UsageError(`--queue ${spec}: cannot reach Redis (${(lastError ?? (e as Error)).message})`);
  }
  return client;
}
