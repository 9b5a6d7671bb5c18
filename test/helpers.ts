/** Shared test helpers: temp dirs, the CLI, reference tools, the shared corpus. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ArtifactFormat } from '../src/formats/ids';
import type { ArtifactOf } from '../src/report/public';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'romscope.js');
export const CORPUS = resolve(ROOT, '..', 'shared', 'corpus');

/** A temp dir removed when the test ends. */
export function tempDir(t: TestContext): string {
  const d = mkdtempSync(join(tmpdir(), 'romscope-test-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/romscope.js as a user would. */
export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a reference tool; throws with its stderr when it fails. */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): SpawnSyncReturns<Buffer> {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 1 << 30, env: toolEnv() });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString()}`);
  return r;
}

export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { env: toolEnv() }).status === 0;
}

/**
 * The reference tools' environment: sbin on the PATH, and a UTF-8 locale
 * (tar and zip turn non-ASCII names into bytes through the locale; under the
 * C locale of a bare environment they would not write UTF-8 names).
 */
export function toolEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: toolPath(), LC_ALL: 'C.UTF-8' };
}

/** PATH with the sbin directories (sgdisk, sfdisk live there) for users whose PATH lacks them. */
function toolPath(): string {
  return [process.env.PATH ?? '', '/usr/sbin', '/sbin'].filter(Boolean).join(':');
}

/**
 * Interop tests need real tools. Locally a missing tool skips the test with a
 * visible message; under CI=true it fails, so CI cannot go green without them.
 */
export function requireTools(t: TestContext, ...cmds: string[]): boolean {
  const missing = cmds.filter((c) => !hasTool(c));
  if (missing.length === 0) return true;
  const msg = `reference tool(s) not installed: ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI must install them: see .ci/run)`);
  t.skip(msg);
  return false;
}

/** Path of a corpus file, or null (with a visible skip) when the corpus is absent. */
export function corpusFile(t: TestContext, rel: string): string | null {
  const p = join(CORPUS, rel);
  if (existsSync(p)) return p;
  if (process.env.CI === 'true' && existsSync(CORPUS)) throw new Error(`corpus file missing: ${p}`);
  t.skip(`shared corpus not present (${p})`);
  return null;
}

/** The artifact, checked to be of `format` and narrowed to its typed `info` (src/report/public.ts). */
export function ofFormat<F extends ArtifactFormat>(a: { format: string }, format: F): ArtifactOf<F> {
  assert.equal(a.format, format, 'format');
  return a as ArtifactOf<F>;
}

/** The blocks of an LZ4 frame (one frame, from its magic): [compressed?, the block's data]. */
export function frameBlocks(frame: Buffer): [boolean, Buffer][] {
  assert.equal(frame.readUInt32LE(0), 0x184d2204);
  const flg = frame[4];
  let p = 6 + (flg & 8 ? 8 : 0) + (flg & 1 ? 4 : 0) + 1;
  const out: [boolean, Buffer][] = [];
  for (;;) {
    const w = frame.readUInt32LE(p);
    p += 4;
    if (w === 0) break;
    const n = w & 0x7fffffff;
    out.push([!(w & 0x80000000), frame.subarray(p, p + n)]);
    p += n + (flg & 0x10 ? 4 : 0);
  }
  return out;
}
