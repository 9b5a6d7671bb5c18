/** The messages between `romscope batch` and its worker processes (over the IPC channel of child_process.fork). */
import type { ResultRow } from '../store/index';
import type { CheckOneOptions } from './check-one';

/** The options a worker checks with: what `check`'s flags give, all plain data. */
export type WorkerCheckOptions = Omit<CheckOneOptions, 'signal' | 'onProgress' | 'onInput' | 'rowPath' | 'mtimeMs' | 'keys'> & { keys?: string[] };

export interface ToWorker {
  id: number;
  path: string;
  options: WorkerCheckOptions;
}

export type FromWorker = { type: 'ready' } | { type: 'progress'; id: number; position: number } | { type: 'result'; id: number; row: ResultRow } | { type: 'error'; id: number; message: string; usage: boolean };
