/**
 * Running commands and measuring them: wall-clock time for every command,
 * and peak RSS for romscope.
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface Command {
  /** Name shown in the table, e.g. `sha256sum`. */
  label: string;
  /** Program and arguments; spawned directly, never through a shell unless argv[0] is one. */
  argv: string[];
  /** Keep stdout to explain a failure. Off for tools whose stdout is the decoded data (it goes to /dev/null). */
  captureStdout?: boolean;
  cwd?: string;
  /** Extra environment variables (e.g. ROMSCOPE_DECODE_THREADS). */
  env?: Record<string, string>;
  /**
   * Also count the bytes the command (and every process it starts) reads and
   * writes through system calls: it runs under a shell that, once the
   * command is done and reaped, copies its own /proc/<pid>/io to this file
   * (Linux adds a reaped child's counts to its parent's). Not with the
   * proc-poll RSS method, which would then watch the shell.
   */
  ioFile?: string;
}

/**
 * How peak RSS is read. GNU time reports the child's ru_maxrss exactly; polling
 * /proc/<pid>/status VmHWM is the fallback (VmHWM only grows, so the last poll
 * before exit is at most ~20 ms stale).
 */
export type RssMethod = { kind: 'gnu-time'; path: string; outFile: string } | { kind: 'proc-poll' } | { kind: 'none' };

export interface Measurement {
  /** Best (minimum) wall-clock time of the timed runs, in seconds. */
  seconds: number;
  /** Every timed run, in seconds, in order. */
  runs: number[];
  /** Largest peak RSS seen over all runs (warm-up included), in KiB; undefined when not measured. */
  peakRssKiB?: number;
  /** Bytes read through read(2) and friends (`rchar`), largest over all runs; files, pipes and node's own modules alike. */
  readBytes?: number;
  /** Bytes written (`wchar`), largest over all runs. */
  writtenBytes?: number;
}

export class CommandFailed extends Error {
  constructor(
    readonly command: Command,
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`${command.label} exited with ${code === null ? 'a signal' : `status ${code}`}${output ? `:\n${output}` : ''}`);
  }
}

interface RunResult {
  seconds: number;
  code: number | null;
  output: string;
  rssKiB?: number;
  io?: { read: number; written: number };
}

const POLL_MS = 20;
/** Commands still running, so an interrupted bench can stop them before deleting their input. */
const active = new Set<ChildProcess>();
/** Only the tail of a failing command's output is worth showing. */
const OUTPUT_CAP = 16 * 1024;

/** Finds `cmd` on PATH without a shell; undefined when it is not installed. */
export function findTool(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this PATH entry
    }
  }
  return undefined;
}

/** Picks the best available RSS method; `scratch` is a file GNU time may write its report to. */
export function detectRssMethod(scratch: string): RssMethod {
  const time = '/usr/bin/time';
  // Probe rather than trust the path: BusyBox time has no -f/-o.
  if (existsSync(time) && spawnSync(time, ['-f', '%M', '-o', scratch, process.execPath, '-e', '']).status === 0) {
    const ok = parseTimeReport(scratch) !== undefined;
    rmSync(scratch, { force: true });
    if (ok) return { kind: 'gnu-time', path: time, outFile: scratch };
  }
  if (existsSync(`/proc/${process.pid}/status`)) return { kind: 'proc-poll' };
  return { kind: 'none' };
}

export function describeRssMethod(m: RssMethod): string {
  if (m.kind === 'gnu-time') return `${m.path} -f %M`;
  if (m.kind === 'proc-poll') return `polling /proc/<pid>/status VmHWM every ${POLL_MS} ms`;
  return 'not available on this system';
}

/**
 * One warm-up run (fills the page cache, loads the binaries), then the best
 * of `runs` timed runs. The minimum is the least noisy estimate of what the
 * tool costs; anything slower is interference from elsewhere on the machine.
 * Throws CommandFailed when any run exits non-zero.
 */
export async function measure(cmd: Command, runs: number, rss: RssMethod | undefined): Promise<Measurement> {
  const times: number[] = [];
  let peak: number | undefined;
  let io: { read: number; written: number } | undefined;
  for (let i = 0; i <= runs; i++) {
    const r = await runOnce(cmd, rss);
    if (r.code !== 0) throw new CommandFailed(cmd, r.code, r.output);
    if (r.rssKiB !== undefined) peak = Math.max(peak ?? 0, r.rssKiB);
    if (r.io) io = { read: Math.max(io?.read ?? 0, r.io.read), written: Math.max(io?.written ?? 0, r.io.written) };
    if (i > 0) times.push(r.seconds); // run 0 is the warm-up
  }
  return { seconds: Math.min(...times), runs: times, ...(peak !== undefined && { peakRssKiB: peak }), ...(io && { readBytes: io.read, writtenBytes: io.written }) };
}

/** The shell wrapper behind Command.ioFile: runs the command, then saves its own io counters, which now include the command's. */
const IO_WRAPPER = 'f="$1"; shift; "$@"; rc=$?; cat "/proc/$$/io" > "$f"; exit $rc';

function withIo(cmd: Command, rss: RssMethod | undefined): Command {
  if (!cmd.ioFile || rss?.kind === 'proc-poll') return cmd;
  rmSync(cmd.ioFile, { force: true });
  return { ...cmd, argv: ['sh', '-c', IO_WRAPPER, 'io', cmd.ioFile, ...cmd.argv] };
}

/** rchar and wchar from a saved /proc/<pid>/io; undefined when it is missing or unreadable. */
function parseIo(file: string | undefined): { read: number; written: number } | undefined {
  if (!file) return undefined;
  try {
    const text = readFileSync(file, 'utf8');
    const read = /^rchar:\s+(\d+)/m.exec(text);
    const written = /^wchar:\s+(\d+)/m.exec(text);
    return read && written ? { read: Number(read[1]), written: Number(written[1]) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command once, asynchronously (unlike spawnSync this leaves the event
 * loop free to handle Ctrl-C). Returns its exit code and output tail.
 */
export function runCommand(cmd: Command): Promise<{ code: number | null; output: string }> {
  return spawnTimed(cmd, () => undefined);
}

/** Runs a command once; with `rss`, also reads its peak RSS. */
async function runOnce(original: Command, rss: RssMethod | undefined): Promise<RunResult> {
  const cmd = withIo(original, rss);
  const r = await runMeasured(cmd, rss);
  return cmd === original ? r : { ...r, io: parseIo(original.ioFile) };
}

async function runMeasured(cmd: Command, rss: RssMethod | undefined): Promise<RunResult> {
  if (rss?.kind === 'gnu-time') {
    rmSync(rss.outFile, { force: true });
    const wrapped: Command = { ...cmd, argv: [rss.path, '-f', '%M', '-o', rss.outFile, ...cmd.argv] };
    const r = await spawnTimed(wrapped, () => undefined);
    return { ...r, rssKiB: parseTimeReport(rss.outFile) };
  }
  if (rss?.kind === 'proc-poll') {
    let hwm: number | undefined;
    const r = await spawnTimed(cmd, (pid) => {
      const poll = () => {
        const v = readVmHwm(pid);
        if (v !== undefined) hwm = Math.max(hwm ?? 0, v);
      };
      poll();
      const timer = setInterval(poll, POLL_MS);
      return () => clearInterval(timer);
    });
    return { ...r, rssKiB: hwm };
  }
  return spawnTimed(cmd, () => undefined);
}

/**
 * Spawns the command and times it from spawn to exit. `onStart` gets the pid
 * (this is the measured process itself, since argv[0] is spawned directly) and
 * may return a function to call when it ends.
 */
function spawnTimed(cmd: Command, onStart: (pid: number) => (() => void) | undefined): Promise<Omit<RunResult, 'rssKiB' | 'io'>> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = ['ignore', cmd.captureStdout ? 'pipe' : 'ignore', 'pipe'];
    const start = process.hrtime.bigint();
    // detached: its own process group, so stopAll() also reaches what it spawned (time's child, a pipeline).
    const child = spawn(cmd.argv[0], cmd.argv.slice(1), { cwd: cmd.cwd, stdio, detached: true, env: { ...process.env, NO_COLOR: '1', ...cmd.env } });
    active.add(child);
    let output = '';
    const keep = (b: Buffer) => {
      output = (output + b.toString()).slice(-OUTPUT_CAP);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const stop = child.pid !== undefined ? onStart(child.pid) : undefined;
    child.on('error', (e) => {
      active.delete(child);
      stop?.();
      reject(e);
    });
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      active.delete(child);
      stop?.();
      resolve({ seconds, code, output: output.trim() });
    });
  });
}

/** Kills every running command's process group and waits (up to `ms`) for them to go. */
export async function stopAll(ms = 2000): Promise<void> {
  const gone = [...active].map((c) => new Promise<void>((res) => c.once('close', () => res())));
  for (const c of active) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already exited
    }
  }
  await Promise.race([Promise.all(gone), new Promise((res) => setTimeout(res, ms))]);
}

/** VmHWM in KiB, or undefined once the process is gone (a zombie has no Vm* lines). */
function readVmHwm(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** GNU time's -o file: the %M value (KiB) is the last line, after any "Command exited with ..." note. */
function parseTimeReport(file: string): number | undefined {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const last = lines[lines.length - 1]?.trim() ?? '';
    return /^\d+$/.test(last) ? Number(last) : undefined;
  } catch {
    return undefined;
  }
}
