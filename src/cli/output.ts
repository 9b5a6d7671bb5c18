/**
 * Leaving the process without losing output. On POSIX a pipe takes stdout
 * writes asynchronously: what does not fit the pipe buffer (64 KiB) is queued
 * in the process, and `process.exit()` drops the queue. A write error (a full
 * disk, `> /dev/full`, a closed pipe) also arrives asynchronously, as an
 * `error` event. `finish()` waits until both streams have flushed everything
 * written so far, then exits; a failed stdout write turns the exit code into 2
 * with a one-line message on stderr (docs/cli.md, exit codes).
 */

let stdoutError: NodeJS.ErrnoException | undefined;
let watching = false;

/** Records write errors on stdout (and swallows those of stderr, which has nowhere to report them). */
export function watchOutput(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    stdoutError ??= e;
  });
  process.stderr.on('error', () => {});
}

/**
 * Resolves once everything written to `s` so far has been handed to the OS
 * (or the stream failed), and the error events of a failure have been emitted.
 */
async function flushed(s: NodeJS.WriteStream): Promise<void> {
  if (!s.destroyed && !s.writableEnded) {
    await new Promise<void>((resolve) => {
      try {
        s.write('', (e) => {
          if (e && s === process.stdout && (e as NodeJS.ErrnoException).code !== 'ERR_STREAM_DESTROYED') stdoutError ??= e;
          resolve();
        });
      } catch {
        resolve();
      }
    });
  }
  await new Promise((resolve) => setImmediate(resolve));
}

function describe(e: NodeJS.ErrnoException): string {
  const what = e.code === 'EPIPE' ? 'the reader closed the pipe' : e.code === 'ENOSPC' ? 'no space left on the device' : e.message.split('\n')[0];
  return `romscope: cannot write to standard output: ${what}${e.code && !what.includes(e.code) ? ` (${e.code})` : ''}\n`;
}

/** The exit code after stdout's fate is known: 2 when writing it failed. */
export async function settle(code: number): Promise<number> {
  watchOutput();
  await flushed(process.stdout);
  if (stdoutError) {
    process.stderr.write(describe(stdoutError));
    code = 2;
  }
  await flushed(process.stderr);
  return code;
}

/** Flushes stdout and stderr, then exits with `code` (or 2 when stdout could not be written). */
export async function finish(code: number): Promise<never> {
  process.exit(await settle(code));
}
