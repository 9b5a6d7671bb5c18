/**
 * The process one queue job's check runs in (forked by ./run-check.ts). The
 * worker kills it at the job's time limit, and a crash or a heap that outgrows
 * its limit ends only this process, not the worker.
 *
 * Protocol: the parent sends a CheckRequest over IPC; the child answers one
 * CheckReply, then waits for the next request (the parent reuses it, see
 * ./run-check.ts) or for the channel to close, and exits then. It ignores SIGINT and SIGTERM (a Ctrl-C or a systemd
 * stop reaches the whole process group; the worker decides whether its check
 * finishes or is killed) and exits when the worker goes away (the IPC channel
 * closes), so a worker killed with SIGKILL leaves no check running.
 *
 * Test hooks (docs/queue.md#test-hooks), only when ROMSCOPE_QUEUE_TEST_HOOKS=1:
 * ROMSCOPE_QUEUE_TEST_DELAY_MS=N waits N ms before the check; an input whose
 * name contains `romscope-test-crash` aborts the process (SIGABRT, as a native
 * crash would), one containing `romscope-test-hang` never finishes, and one
 * containing `romscope-test-balloon` allocates until its heap limit ends it.
 */
import { checkFile } from '../batch/check-one';
import type { FailOn } from '../api';
import type { ResultRow } from '../store/index';
import { errorMessage } from '../io/errors';

export interface CheckRequest {
  /** The local file to check. */
  path: string;
  /** The job's input (the row's path): the absolute path or the URL. */
  input: string;
  mtimeMs: number | null;
  failOn: FailOn;
  tempDir?: string;
}

export type CheckReply = { ok: true; row: ResultRow } | { ok: false; reason: string };

async function testHooks(input: string): Promise<void> {
  if (process.env.ROMSCOPE_QUEUE_TEST_HOOKS !== '1') return;
  const delay = Number(process.env.ROMSCOPE_QUEUE_TEST_DELAY_MS ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  if (input.includes('romscope-test-crash')) process.abort();
  if (input.includes('romscope-test-hang')) await new Promise(() => setInterval(() => undefined, 1 << 30));
  if (input.includes('romscope-test-balloon')) {
    const kept: number[][] = [];
    for (;;) kept.push(new Array<number>(1 << 20).fill(kept.length));
  }
}

async function run(req: CheckRequest): Promise<CheckReply> {
  await testHooks(req.input);
  try {
    const { row } = await checkFile(req.path, { failOn: req.failOn, rowPath: req.input, mtimeMs: req.mtimeMs, ...(req.tempDir ? { tempDir: req.tempDir } : {}) });
    return { ok: true, row };
  } catch (e) {
    return { ok: false, reason: errorMessage(e) };
  }
}

if (require.main === module) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => undefined);
  process.on('disconnect', () => process.exit(1));
  // One request at a time: the parent sends the next only after the reply.
  process.on('message', (req: CheckRequest) => {
    void run(req).then((reply) => process.send?.(reply));
  });
}
