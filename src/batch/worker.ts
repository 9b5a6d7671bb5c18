/**
 * The worker process of `romscope batch` (forked from ./pool.ts): it checks
 * one input at a time as its parent asks, and exits when the parent goes
 * away. A worker holds no database: the parent writes every row, so a worker
 * that dies loses nothing but the input it was checking.
 *
 * Test-only hook (docs/batch.md#testing): when ROMSCOPE_BATCH_TEST_CRASH
 * names an input's base name, the worker kills itself with SIGKILL on that
 * input, as the kernel's out-of-memory killer would.
 */
import { basename } from 'node:path';
import { constants } from 'node:os';
import { checkFile } from './check-one';
import { runCleanups } from '../io/cleanup';
import { errorMessage, UsageError } from '../io/errors';
import type { FromWorker, ToWorker } from './messages';

function send(m: FromWorker): void {
  process.send?.(m);
}

async function handle(m: ToWorker): Promise<void> {
  if (process.env.ROMSCOPE_BATCH_TEST_CRASH && basename(m.path) === process.env.ROMSCOPE_BATCH_TEST_CRASH) process.kill(process.pid, 'SIGKILL');
  try {
    let last = 0;
    const { row } = await checkFile(m.path, {
      ...m.options,
      onInput: (position) => {
        const now = Date.now();
        if (now - last < 200) return;
        last = now;
        send({ type: 'progress', id: m.id, position });
      },
    });
    send({ type: 'result', id: m.id, row });
  } catch (e) {
    send({ type: 'error', id: m.id, message: errorMessage(e), usage: e instanceof UsageError });
  }
}

// Jobs come one at a time (the pool sends the next after this one's answer); a queue keeps that true anyway.
let chain = Promise.resolve();
process.on('message', (m: ToWorker) => {
  chain = chain.then(() => handle(m));
});
// The parent went away (it exited, was killed or interrupted): stop, removing spill files.
process.on('disconnect', () => {
  runCleanups();
  process.exit(0);
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    runCleanups();
    process.exit(128 + constants.signals[sig]);
  });
}
send({ type: 'ready' });
