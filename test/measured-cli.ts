/**
 * The built CLI in a child process that reports its own CPU time and peak
 * RSS (from `process.resourceUsage()` at exit, on file descriptor 3), with a
 * heap cap and a wall-clock kill: how the fuzz reproducers and the fuzz
 * harness's --isolate mode bound a run.
 */
import { spawn } from 'node:child_process';
import { BIN } from './helpers';

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** CPU time (user + system) in ms; NaN when the child died before reporting. */
  cpuMs: number;
  /** Peak RSS in bytes; NaN when the child died before reporting. */
  maxRss: number;
  wallMs: number;
}

export function runCliMeasured(args: string[], o: { heapMiB: number; timeoutMs: number; killSignal?: NodeJS.Signals }): Promise<MeasuredRun> {
  const wrapper = `process.on('exit', () => { const u = process.resourceUsage(); require('fs').writeSync(3, JSON.stringify({ cpu: (u.userCPUTime + u.systemCPUTime) / 1000, rss: u.maxRSS * 1024 })); }); require(${JSON.stringify(BIN)});`;
  const started = Date.now();
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [`--max-old-space-size=${o.heapMiB}`, '-e', wrapper, BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
      timeout: o.timeoutMs,
      killSignal: o.killSignal ?? 'SIGTERM',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const usage: Buffer[] = [];
    p.stdout!.on('data', (b: Buffer) => out.push(b));
    p.stderr!.on('data', (b: Buffer) => err.push(b));
    (p.stdio[3] as NodeJS.ReadableStream).on('data', (b: Buffer) => usage.push(b));
    p.on('error', fail);
    p.on('close', (code, signal) => {
      const u = usage.length ? (JSON.parse(Buffer.concat(usage).toString()) as { cpu: number; rss: number }) : { cpu: NaN, rss: NaN };
      done({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), cpuMs: u.cpu, maxRss: u.rss, wallMs: Date.now() - started });
    });
  });
}
