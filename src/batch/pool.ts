/**
 * N worker processes (./worker.ts, forked), one job each at a time. A worker
 * that exits while it holds a job answers that job with `died`; the next job
 * on that lane gets a fresh worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { FromWorker, ToWorker } from './messages';
import { srcFile } from '../paths';

export type JobAnswer = Exclude<FromWorker, { type: 'ready' } | { type: 'progress' }> | { type: 'died'; id: number; how: string };

/** The compiled worker module beside this one (dist/src/batch/worker.js). */
export const WORKER_MODULE = srcFile('batch', 'worker.js');

export class WorkerPool {
  private readonly idle: ChildProcess[] = [];
  private readonly all = new Set<ChildProcess>();
  private closed = false;

  constructor(private readonly onProgress: (id: number, position: number) => void) {}

  private spawn(): ChildProcess {
    // No execArgv: the parent's own flags (a test runner's, an inspector's) are not the worker's.
    const child = fork(WORKER_MODULE, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.all.add(child);
    child.on('exit', () => {
      this.all.delete(child);
      const i = this.idle.indexOf(child);
      if (i >= 0) this.idle.splice(i, 1);
    });
    // An IPC write to a worker that just died: its 'exit' answers the job.
    child.on('error', () => undefined);
    return child;
  }

  /** Runs one job on an idle worker (or a new one); resolves with its answer, or `died` when the worker exits first. */
  run(job: ToWorker): Promise<JobAnswer> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    let child = this.idle.pop();
    while (child && (child.exitCode !== null || child.signalCode !== null || !child.connected)) child = this.idle.pop();
    const w = child ?? this.spawn();
    return new Promise<JobAnswer>((resolve) => {
      const onMessage = (m: FromWorker): void => {
        if (m.type === 'ready' || m.id !== job.id) return;
        if (m.type === 'progress') return this.onProgress(m.id, m.position);
        done();
        this.idle.push(w);
        resolve(m);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        done();
        resolve({ type: 'died', id: job.id, how: signal ? `killed by ${signal}` : `exited with code ${code}` });
      };
      const done = (): void => {
        w.off('message', onMessage);
        w.off('exit', onExit);
      };
      w.on('message', onMessage);
      w.on('exit', onExit);
      w.send(job, (e) => {
        // The worker is gone: its exit event answers (and if it exited before we listened, answer now).
        if (e && (w.exitCode !== null || w.signalCode !== null)) onExit(w.exitCode, w.signalCode);
      });
    });
  }

  /** Stops every worker (they also stop by themselves when this process goes away). */
  close(): void {
    this.closed = true;
    for (const c of this.all) if (c.connected) c.disconnect();
    this.idle.length = 0;
  }

  /** SIGTERM to every worker, synchronously (from an interrupt's cleanup). */
  kill(): void {
    for (const c of this.all) c.kill('SIGTERM');
  }
}
