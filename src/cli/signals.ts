/**
 * What the command line does when it is interrupted (docs/cli.md, exit codes):
 * on SIGINT, SIGTERM or SIGHUP it runs the cleanup registry (src/io/cleanup.ts:
 * spill files, `extract`'s partial output), prints one line on stderr and exits
 * with 128 + the signal number (130, 143, 129), as shells report a process a
 * signal ended. Only the CLI installs these handlers; importing the library
 * leaves the host program's signal handling alone.
 */
import { writeSync } from 'node:fs';
import { constants } from 'node:os';
import { runCleanups } from '../io/cleanup';

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** The conventional exit code of a process ended by `sig`: 128 + its number. */
export function signalExitCode(sig: InterruptSignal): number {
  return 128 + constants.signals[sig];
}

let installed = false;
let override: ((sig: InterruptSignal) => void) | null = null;

/**
 * A command that stops in its own way (`romscope worker`: finish the running
 * jobs, then stop; a second signal releases them) takes the signals over with
 * this; null gives them back. The cleanup registry is not run for it.
 */
export function takeOverSignals(fn: ((sig: InterruptSignal) => void) | null): void {
  override = fn;
}

export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of INTERRUPT_SIGNALS) {
    process.on(sig, () => {
      if (override) return override(sig);
      runCleanups();
      // Synchronous, so the line is out before the exit; on a terminal it replaces the progress line.
      const lead = process.stderr.isTTY ? `\r${' '.repeat((process.stderr.columns || 80) - 1)}\r` : '';
      try {
        writeSync(2, `${lead}romscope: interrupted by ${sig}; temporary files and partial output removed\n`);
      } catch {
        /* stderr is gone: the exit code still tells */
      }
      process.exit(signalExitCode(sig));
    });
  }
}
