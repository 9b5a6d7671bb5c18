/**
 * `romscope batch` (docs/batch.md): checks every input of a directory or a
 * list file in worker processes, N at a time, writes a JSON report per input
 * and a row per input in the result store, skips inputs unchanged since their
 * row, and can resume an interrupted run.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { verdict } from '../api';
import { registerCleanup } from '../io/cleanup';
import { errorMessage, UsageError } from '../io/errors';
import type { Report } from '../report/public';
import { renderHtml } from '../report/html';
import { isPostgresSpec, openStore, type ResultRow, type ResultStore } from '../store/index';
import { VERSION } from '../version';
import { sha256File } from './check-one';
import { findInputs } from './inputs';
import type { WorkerCheckOptions } from './messages';
import { WorkerPool, type JobAnswer } from './pool';
import { BatchProgress } from './progress';

/** The verdict words of a row whose check did not finish (its worker died, or inspect failed inside): such rows are checked again on the next run. */
export const FAILED = 'error';
/** Exit codes (docs/cli.md): the worst input's; 3 is batch's own, for an input whose check did not finish. */
export const BATCH_EXIT = { ok: 0, findings: 1, usage: 2, notFinished: 3 } as const;

/** Report formats `writeReports` writes. */
export type ReportFormat = 'json' | 'html';

export interface BatchOptions {
  /** A directory or a list file. */
  input: string;
  jobs: number;
  /** A SQLite file or a postgres:// URL. */
  db: string;
  /** Where reports go (default `<db>.reports`, or `romscope-batch.reports` for PostgreSQL). */
  out?: string;
  resume?: boolean;
  /** Check every input, even unchanged ones. */
  recheck?: boolean;
  check: WorkerCheckOptions;
  formats?: ReportFormat[];
  /** Show the progress line (the CLI: stderr is a terminal and no --quiet). */
  progress?: boolean;
  /** One line of news for stderr (a failed input, a note about the run). */
  note?: (line: string) => void;
}

export type InputStatus = 'checked' | 'skipped' | 'failed';

export interface InputOutcome {
  path: string;
  status: InputStatus;
  /** The input's exit code under this run's --fail-on/--max-warnings (3: the check did not finish; 2: unreadable). */
  exitCode: number;
  /** Why it failed. */
  error?: string;
  /** The input's row without its report text (kept for the summary; a run over many inputs must not hold every report). */
  row?: Omit<ResultRow, 'report'>;
}

function brief(row: ResultRow): Omit<ResultRow, 'report'> {
  const { report: _report, ...rest } = row;
  return rest;
}

export interface BatchSummary {
  input: string;
  kind: 'directory' | 'list';
  db: string;
  out: string;
  /** True when this run continued an interrupted one. */
  resumed: boolean;
  inputs: number;
  checked: number;
  skipped: number;
  failed: number;
  /** Inputs by exit code: pass (0), findings (1), unreadable (2), not finished (3). */
  byExitCode: Record<string, number>;
  /** Inputs with a row, by `integrity`, `signature` and `compatibility` word. */
  integrity: Record<string, number>;
  signature: Record<string, number>;
  compatibility: Record<string, number>;
  exitCode: number;
  outcomes: InputOutcome[];
}

/** The run journal in the reports directory: what --resume continues. */
interface Journal {
  input: string;
  db: string;
  startedAt: string;
  finishedAt: string | null;
  inputs: number;
}
export const JOURNAL = 'batch-run.json';

/** The reports directory a store spec gets by default. */
export function defaultOut(db: string): string {
  return isPostgresSpec(db) ? resolve('romscope-batch.reports') : `${resolve(db)}.reports`;
}

/** A report's file name without extension: the input's base name (safe characters only) and 16 hex digits of the sha256 of its path, so two inputs with one base name never share a file. */
export function reportName(path: string): string {
  const base =
    basename(path)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 100) || 'input';
  return `${base}.${createHash('sha256').update(path).digest('hex').slice(0, 16)}`;
}

/** Writes a file whole or not at all (a temp file renamed over it). */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Writes the report of one input under `outDir` in each format, named by
 * reportName(row.path); returns the files written. HTML is rendered from
 * `report`, or from the row's JSON report when `report` is null; a row whose
 * check did not finish has no HTML page (its JSON file says why).
 */
export function writeReports(report: Report | null, row: ResultRow, outDir: string, formats: ReportFormat[] = ['json']): string[] {
  const out: string[] = [];
  const name = reportName(row.path);
  for (const f of formats) {
    switch (f) {
      case 'json': {
        // row.report is the JSON report (or, for a check that did not finish, the error record).
        const file = join(outDir, `${name}.json`);
        writeAtomic(file, row.report.endsWith('\n') ? row.report : row.report + '\n');
        out.push(file);
        break;
      }
      case 'html': {
        if (row.integrity === FAILED) break;
        const file = join(outDir, `${name}.html`);
        writeAtomic(file, renderHtml(report ?? (JSON.parse(row.report) as Report)));
        out.push(file);
        break;
      }
    }
  }
  return out;
}

/** The row of an input whose check did not finish: the verdict words `error`, exit code 3, the reason as the report. */
export function failedRow(path: string, size: number, mtimeMs: number, sha256: string, why: string): ResultRow {
  return {
    path,
    size,
    mtimeMs,
    sha256,
    compatibility: FAILED,
    integrity: FAILED,
    signature: FAILED,
    errors: 1,
    warnings: 0,
    infos: 0,
    exitCode: BATCH_EXIT.notFinished,
    report: JSON.stringify({ error: `the check did not finish: ${why}`, input: { path, size }, tool: { name: 'romscope', version: VERSION } }, null, 2),
    checkedAt: new Date().toISOString(),
    romscopeVersion: VERSION,
  };
}

function readJournal(file: string): Journal | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Journal;
  } catch {
    return null;
  }
}

export async function runBatch(o: BatchOptions): Promise<BatchSummary> {
  const note = o.note ?? (() => undefined);
  if (!Number.isSafeInteger(o.jobs) || o.jobs < 1) throw new UsageError(`--jobs wants a whole number of 1 or more, got ${o.jobs}`);
  const pg = isPostgresSpec(o.db);
  const db = pg ? o.db : resolve(o.db);
  const out = resolve(o.out ?? defaultOut(o.db));
  const input = resolve(o.input);
  const set = findInputs(o.input, { files: pg ? [] : [db, `${db}-wal`, `${db}-shm`, `${db}-journal`], dirs: [out] });
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new UsageError(`--out ${out}: cannot create it (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
  }
  let store: ResultStore;
  try {
    store = await openStore(db);
  } catch (e) {
    throw new UsageError(`--db ${pg ? 'postgres URL' : db}: cannot open the result store (${errorMessage(e)})`);
  }
  const journalFile = join(out, JOURNAL);
  const previous = readJournal(journalFile);
  let resumed = false;
  let journal: Journal = { input, db: pg ? 'postgres' : db, startedAt: new Date().toISOString(), finishedAt: null, inputs: set.paths.length };
  if (o.resume) {
    if (previous && previous.finishedAt === null) {
      if (previous.input !== input) throw new UsageError(`--resume: the interrupted run in ${out} was over ${previous.input}, not ${input}`);
      journal = { ...previous, inputs: set.paths.length };
      resumed = true;
    } else note(`no interrupted run to resume in ${out}; starting a new run`);
  } else if (previous && previous.finishedAt === null && previous.input === input) {
    note(`the run of ${previous.startedAt} did not finish; this new run skips what it checked (--resume would count it as part of that run)`);
  }
  writeAtomic(journalFile, JSON.stringify(journal, null, 2) + '\n');

  const formats = o.formats ?? ['json'];
  /** A skipped or resumed input's report files, written again where one is missing (a format asked for the first time). */
  const writeMissing = (row: ResultRow) => {
    const missing = formats.filter((f) => !existsSync(join(out, `${reportName(row.path)}.${f}`)));
    if (missing.length) writeReports(null, row, out, missing);
  };
  const sizes = new Map<string, number>();
  for (const p of set.paths) sizes.set(p, statSync(p, { throwIfNoEntry: false })?.size ?? 0);
  const progress = new BatchProgress(
    !!o.progress,
    set.paths.length,
    [...sizes.values()].reduce((a, b) => a + b, 0),
  );
  const say = (line: string): void => {
    progress.clear();
    note(line);
  };
  const byId = new Map<number, string>();
  const pool = new WorkerPool((id, pos) => progress.position(byId.get(id) ?? '', pos));
  const unregister = registerCleanup(() => pool.kill());
  const outcomes: InputOutcome[] = new Array<InputOutcome>(set.paths.length);
  const exitOf = (row: ResultRow): number => {
    if (row.integrity === FAILED) return row.exitCode;
    try {
      return verdict(JSON.parse(row.report) as Report, { failOn: o.check.failOn ?? 'error', ...(o.check.maxWarnings === undefined ? {} : { maxWarnings: o.check.maxWarnings }) }).exitCode;
    } catch {
      return row.exitCode;
    }
  };

  const one = async (i: number): Promise<InputOutcome> => {
    const path = set.paths[i];
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st || !st.isFile()) {
      const error = !st ? 'no such file' : 'not a regular file';
      say(`${path}: ${error}`);
      return { path, status: 'failed', exitCode: BATCH_EXIT.usage, error };
    }
    const old = await store.get(path);
    // Written earlier in the run being resumed, and the file has not changed since (size and mtime): done.
    if (resumed && old && old.checkedAt >= journal.startedAt && old.size === st.size && old.mtimeMs === st.mtimeMs) {
      writeMissing(old);
      return { path, status: old.integrity === FAILED ? 'failed' : 'checked', exitCode: exitOf(old), row: brief(old) };
    }
    const verify = !o.recheck && old !== null && old.size === st.size && old.romscopeVersion === VERSION && old.integrity !== FAILED;
    if (verify) {
      // Size unchanged since the stored row: hash (far cheaper than a check, and done here, so a rerun with nothing changed starts no worker).
      let sha256: string;
      try {
        sha256 = await sha256File(path);
      } catch (e) {
        say(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
        return { path, status: 'failed', exitCode: BATCH_EXIT.usage, error: errorMessage(e) };
      }
      if (sha256 === old.sha256) {
        let row = old;
        const exitCode = exitOf(row);
        // Touched but identical: the row takes the new mtime (and this run's exit code), in one write.
        if (row.mtimeMs !== st.mtimeMs || row.exitCode !== exitCode) {
          row = { ...row, mtimeMs: st.mtimeMs, exitCode };
          await store.put(row);
        }
        writeMissing(row);
        const here = resumed && row.checkedAt >= journal.startedAt;
        return { path, status: here ? 'checked' : 'skipped', exitCode, row: brief(row) };
      }
    }
    byId.set(i, path);
    progress.begin(path);
    const answer: JobAnswer = await pool.run({ id: i, path, options: o.check });
    switch (answer.type) {
      case 'result': {
        const row = answer.row;
        // The report first, then the row: a row always has its report file.
        // The parsed report only for formats that render it (JSON is row.report as it is).
        writeReports(formats.some((f) => f !== 'json') ? (JSON.parse(row.report) as Report) : null, row, out, formats);
        await store.put(row);
        return { path, status: 'checked', exitCode: row.exitCode, row: brief(row) };
      }
      case 'error':
        if (answer.usage) {
          say(`${path}: ${answer.message}`);
          return { path, status: 'failed', exitCode: BATCH_EXIT.usage, error: answer.message };
        }
        return recordFailed(path, st.size, st.mtimeMs, `inspect failed: ${answer.message}`);
      case 'died':
        return recordFailed(path, st.size, st.mtimeMs, `its worker process ${answer.how}`);
    }
  };

  const recordFailed = async (path: string, size: number, mtimeMs: number, why: string): Promise<InputOutcome> => {
    say(`${path}: ${why}; recorded as not finished (exit code 3)`);
    let sha256: string;
    try {
      sha256 = await sha256File(path);
    } catch (e) {
      return { path, status: 'failed', exitCode: BATCH_EXIT.usage, error: `${why}; then unreadable (${errorMessage(e)})` };
    }
    const row = failedRow(path, size, mtimeMs, sha256, why);
    writeReports(null, row, out, formats);
    await store.put(row);
    return { path, status: 'failed', exitCode: BATCH_EXIT.notFinished, error: why, row: brief(row) };
  };

  try {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < set.paths.length) {
        const i = next++;
        outcomes[i] = await one(i);
        progress.finish(set.paths[i], sizes.get(set.paths[i]) ?? 0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, Math.max(1, set.paths.length)) }, lane));
    journal.finishedAt = new Date().toISOString();
    writeAtomic(journalFile, JSON.stringify(journal, null, 2) + '\n');
  } finally {
    progress.clear();
    pool.close();
    unregister();
    await store.close();
  }
  return summarize(o, set.kind, pg ? 'postgres' : db, out, resumed, outcomes);
}

function summarize(o: BatchOptions, kind: 'directory' | 'list', db: string, out: string, resumed: boolean, outcomes: InputOutcome[]): BatchSummary {
  const tally = (xs: string[]): Record<string, number> => {
    const r: Record<string, number> = {};
    for (const x of xs) r[x] = (r[x] ?? 0) + 1;
    return r;
  };
  const rows = outcomes.flatMap((x) => (x.row ? [x.row] : []));
  return {
    input: resolve(o.input),
    kind,
    db,
    out,
    resumed,
    inputs: outcomes.length,
    checked: outcomes.filter((x) => x.status === 'checked').length,
    skipped: outcomes.filter((x) => x.status === 'skipped').length,
    failed: outcomes.filter((x) => x.status === 'failed').length,
    byExitCode: tally(outcomes.map((x) => String(x.exitCode))),
    integrity: tally(rows.map((r) => r.integrity)),
    signature: tally(rows.map((r) => r.signature)),
    compatibility: tally(rows.map((r) => r.compatibility)),
    exitCode: outcomes.reduce((m, x) => Math.max(m, x.exitCode), 0),
    outcomes,
  };
}

/** The summary as `romscope batch` prints it: a table of counts. */
export function renderSummary(s: BatchSummary): string {
  const lines: [string, string][] = [
    ['inputs', String(s.inputs)],
    ['checked', String(s.checked)],
    ['skipped (unchanged)', String(s.skipped)],
    ['failed', String(s.failed)],
  ];
  const group = (title: string, r: Record<string, number>): void => {
    for (const [k, v] of Object.entries(r).sort(([a], [b]) => a.localeCompare(b))) lines.push([`${title} ${k}`, String(v)]);
  };
  const names: Record<string, string> = { 0: 'pass', 1: 'findings', 2: 'unreadable', 3: 'not finished' };
  for (const [k, v] of Object.entries(s.byExitCode).sort(([a], [b]) => Number(a) - Number(b))) lines.push([`exit ${k} (${names[k] ?? '?'})`, String(v)]);
  group('integrity', s.integrity);
  group('signature', s.signature);
  group('compatibility', s.compatibility);
  const w = Math.max(...lines.map(([k]) => k.length));
  const head = `romscope batch: ${s.input} (${s.kind})${s.resumed ? ', resumed' : ''}`;
  const tail = [`store:   ${s.db}`, `reports: ${s.out}`, `exit code ${s.exitCode}`];
  return [head, ...lines.map(([k, v]) => `  ${k.padEnd(w)}  ${v.padStart(6)}`), ...tail].join('\n') + '\n';
}
