/**
 * Runs one check in a child process (./check-child.ts) with a time limit: the
 * child is killed (SIGKILL) when the limit passes or `signal` fires, and every
 * way it can end (a reply, a crash, a signal, the limit) becomes a result or a
 * CheckFailure with the reason.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { ResultRow } from '../store/index';
import type { CheckReply, CheckRequest } from './check-child';

/** Why a check produced no row; `kind` tells a crash from the time limit from an input the check could not read. */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'crash' | 'timeout' | 'unreadable' | 'stopped',
  ) {
    super(message);
  }
}

export interface RunCheckOptions {
  /** Kill the check after this long. */
  timeoutMs: number;
  /** The job's whole limit, for the reason's words (default timeoutMs). */
  limitMs?: number;
  /** The child's V8 heap limit in MiB (--job-memory); Node's default when absent. */
  heapMiB?: number;
  signal?: AbortSignal;
}

/** The last lines of the child's stderr go into a crash's reason; this much is kept. */
const STDERR_TAIL = 2000;

export function runCheck(req: CheckRequest, o: RunCheckOptions): Promise<ResultRow> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'check-child.js'), [], {
      execArgv: o.heapMiB ? [`--max-old-space-size=${o.heapMiB}`] : [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Its own process group would hide it from a terminal's Ctrl-C; it ignores that signal anyway (see check-child.ts).
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_TAIL);
    });
    let reply: CheckReply | undefined;
    let ended: CheckFailure | undefined;
    const stop = (failure: CheckFailure): void => {
      ended ??= failure;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(new CheckFailure(`timed out: the check took more than --job-timeout ${(o.limitMs ?? o.timeoutMs) / 1000} s and was killed`, 'timeout')), o.timeoutMs);
    const onAbort = (): void => stop(new CheckFailure('stopped: the worker is shutting down', 'stopped'));
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('message', (m: CheckReply) => (reply = m));
    child.on('error', (e) => stop(new CheckFailure(`the check process failed: ${e.message}`, 'crash')));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (ended) return reject(ended);
      if (reply?.ok) return resolve(reply.row);
      if (reply && !reply.ok) return reject(new CheckFailure(reply.reason, 'unreadable'));
      const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
      const tail = stderr.trim().split('\n').slice(-5).join(' | ');
      reject(new CheckFailure(`crashed: the check process ${how} without a result${tail ? ` (stderr: ${tail})` : ''}`, 'crash'));
    });
    child.send(req);
  });
}
