/**
 * Runs checks in child processes (./check-child.ts) with a time limit. A child
 * is killed (SIGKILL) when the limit passes or the job's `signal` fires, and
 * every way a check can end (a reply, a crash, a signal, the limit) becomes a
 * row or a CheckFailure with the reason.
 *
 * A child that answered is kept for the next job (loading romscope's format
 * handlers costs a Node process about half a CPU-second), up to
 * CHECKS_PER_CHILD checks; one that crashed, was killed or went quiet is
 * never reused. So one job's failure cannot touch another's check.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ResultRow } from '../store/index';
import type { CheckReply, CheckRequest } from './check-child';
import { srcFile } from '../paths';

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
  signal?: AbortSignal;
}

/** The last lines of a child's stderr go into a crash's reason; this much is kept. */
const STDERR_TAIL = 2000;
/**
 * What a crashed child's stderr says, in one line: V8's fatal error line (a
 * heap out of memory, say) when there is one, else its last five lines.
 */
export function stderrSummary(head: string, tail: string): string {
  const fatal = `${head}\n${tail}`.split('\n').find((l) => /^(FATAL ERROR|Fatal error|#\s*Fatal)/.test(l.trim()));
  if (fatal) return fatal.trim();
  return tail.trim().split('\n').slice(-5).join(' | ');
}

/** A child is replaced after this many checks (a bound on whatever one check may leave behind in it). */
export const CHECKS_PER_CHILD = 50;

interface Slot {
  child: ChildProcess;
  /** The first and the last STDERR_TAIL characters of its stderr during the current check. */
  stderrHead: string;
  stderr: string;
  checks: number;
}

export class CheckPool {
  private readonly idle: Slot[] = [];
  private readonly all = new Set<Slot>();
  private closed = false;

  /** @param heapMiB each child's V8 heap limit (--job-memory); Node's default when absent. */
  constructor(private readonly heapMiB?: number) {}

  private spawn(): Slot {
    const child = fork(srcFile('queue', 'check-child.js'), [], {
      execArgv: this.heapMiB ? [`--max-old-space-size=${this.heapMiB}`] : [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const slot: Slot = { child, stderrHead: '', stderr: '', checks: 0 };
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      if (slot.stderrHead.length < STDERR_TAIL) slot.stderrHead += s.slice(0, STDERR_TAIL - slot.stderrHead.length);
      slot.stderr = (slot.stderr + s).slice(-STDERR_TAIL);
    });
    // A child that dies while idle is simply dropped.
    child.on('exit', () => {
      this.all.delete(slot);
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.all.add(slot);
    return slot;
  }

  run(req: CheckRequest, o: RunCheckOptions): Promise<ResultRow> {
    if (this.closed) return Promise.reject(new CheckFailure('stopped: the worker is shutting down', 'stopped'));
    const slot = this.idle.pop() ?? this.spawn();
    const { child } = slot;
    slot.stderr = slot.stderrHead = '';
    return new Promise((resolve, reject) => {
      let ended: CheckFailure | undefined;
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      const stop = (failure: CheckFailure): void => {
        ended ??= failure;
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => stop(new CheckFailure(`timed out: the check took more than --job-timeout ${(o.limitMs ?? o.timeoutMs) / 1000} s and was killed`, 'timeout')), o.timeoutMs);
      const onAbort = (): void => stop(new CheckFailure('stopped: the worker is shutting down', 'stopped'));
      const onMessage = (m: CheckReply): void => {
        if (settled || ended) return;
        cleanup();
        slot.checks++;
        if (slot.checks >= CHECKS_PER_CHILD || this.closed) child.disconnect();
        else this.idle.push(slot);
        if (m.ok) resolve(m.row);
        else reject(new CheckFailure(m.reason, 'unreadable'));
      };
      const onExit = (code: number | null, sig: NodeJS.Signals | null): void => {
        if (settled) return;
        cleanup();
        if (ended) return reject(ended);
        const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
        const tail = stderrSummary(slot.stderrHead, slot.stderr);
        reject(new CheckFailure(`crashed: the check process ${how} without a result${tail ? ` (stderr: ${tail})` : ''}`, 'crash'));
      };
      const onError = (e: Error): void => stop(new CheckFailure(`the check process failed: ${e.message}`, 'crash'));
      if (o.signal?.aborted) onAbort();
      o.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.on('error', onError);
      child.send(req);
    });
  }

  /** Ends the idle children (a running check is ended by its job's signal or finishes first). */
  close(): void {
    this.closed = true;
    for (const s of this.idle.splice(0)) s.child.disconnect();
  }
}
