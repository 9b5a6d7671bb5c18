/**
 * One input checked as `romscope check` checks it, and its result-store row.
 * The input's sha256 comes from the same read that inspects it (the root
 * artifact's digest), so a check reads the file once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { format, inspect, verdict, type FailOn, type InspectCallOptions } from '../api';
import { UsageError } from '../io/errors';
import type { Report } from '../report/public';
import type { ResultRow } from '../store/index';
import { VERSION } from '../version';

export interface CheckOneOptions extends Omit<InspectCallOptions, 'name' | 'noHash'> {
  /** As `check --fail-on` (default 'error'): decides `row.exitCode`. */
  failOn?: FailOn;
  /** As `check --max-warnings`. */
  maxWarnings?: number;
  /** The row's `path` (default the input's absolute path); the queue gives the URL it downloaded. */
  rowPath?: string;
  /** The row's `mtimeMs` (default the file's; the queue gives null for a URL). */
  mtimeMs?: number | null;
}

/** The row for a report: its verdict words, counts and exit code under `failOn`/`maxWarnings`. */
export function rowOf(report: Report, o: { path: string; mtimeMs: number | null; sha256: string; failOn?: FailOn; maxWarnings?: number; checkedAt?: string }): ResultRow {
  const s = report.summary;
  return {
    path: o.path,
    size: report.input.size,
    mtimeMs: o.mtimeMs,
    sha256: o.sha256,
    compatibility: s.compatibility.verdict,
    integrity: s.integrity.status,
    signature: s.signature.status,
    errors: s.errors,
    warnings: s.warnings,
    infos: s.infos,
    exitCode: verdict(report, { failOn: o.failOn ?? 'error', ...(o.maxWarnings === undefined ? {} : { maxWarnings: o.maxWarnings }) }).exitCode,
    report: format(report, 'json'),
    checkedAt: o.checkedAt ?? new Date().toISOString(),
    romscopeVersion: VERSION,
  };
}

/** The sha256 of a whole file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Checks one file. Rejects only as `inspect` does: a `UsageError` for an
 * input that cannot be read (`romscope check` exits 2 for it), an
 * `AbortError` when `signal` fires.
 */
export async function checkFile(path: string, opts: CheckOneOptions = {}): Promise<{ row: ResultRow; report: Report }> {
  const { failOn, maxWarnings, rowPath, mtimeMs, ...inspectOpts } = opts;
  const abs = resolve(path);
  let st;
  try {
    st = await stat(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code})`);
  }
  const hashes = inspectOpts.hashes?.includes('sha256') ? inspectOpts.hashes : [...(inspectOpts.hashes ?? []), 'sha256' as const];
  const report = await inspect(abs, { ...inspectOpts, hashes });
  // The root's digest is the whole input's; were it missing (it is computed whenever sha256 is asked for), the file is read again for it.
  const sha256 = report.root.hashes.sha256 ?? (await sha256File(abs, opts.signal));
  const row = rowOf(report, { path: rowPath ?? abs, mtimeMs: mtimeMs === undefined ? st.mtimeMs : mtimeMs, sha256, failOn, maxWarnings });
  return { row, report };
}
