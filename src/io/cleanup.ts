/**
 * The process-wide registry of things to undo when a run stops early: spill
 * files (src/io/spill.ts) and `extract`'s partial output (src/pipeline/extract.ts)
 * register a cleanup while they exist and unregister it once they are gone or
 * kept. Cleanups are synchronous, so they can run from a signal handler or an
 * `exit` listener, where nothing asynchronous completes.
 *
 * The library only ever adds an `exit` listener (a process that exits any
 * other way than through a signal still removes its temp files). Signal
 * handlers are the command line's business (src/cli/signals.ts): a library
 * must not change what SIGINT does to the program that imports it.
 */

type Cleanup = () => void;

const pending = new Set<Cleanup>();
let exitHookInstalled = false;

/** Registers `fn` to run at exit or on an interrupt; returns the function that unregisters it (without running it). */
export function registerCleanup(fn: Cleanup): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', runCleanups);
  }
  // A wrapper per registration, so the same function registered twice is two entries.
  const entry: Cleanup = () => fn();
  pending.add(entry);
  return () => {
    pending.delete(entry);
  };
}

/** Runs every registered cleanup once (best effort: one failing does not stop the others) and empties the registry. */
export function runCleanups(): void {
  const all = [...pending];
  pending.clear();
  for (const fn of all) {
    try {
      fn();
    } catch {
      /* best effort: the process is stopping */
    }
  }
}

/** How many cleanups are registered now (for tests: 0 after a run that finished). */
export function pendingCleanups(): number {
  return pending.size;
}
