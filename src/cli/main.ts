/**
 * The romscope command line: a thin yargs layer over the library.
 * Exit codes (docs/cli.md): 0 nothing at or above --fail-on, 1 findings at or
 * above it (or an extract that failed verification), 2 unreadable input or a
 * bad command line; 128 + the signal number when interrupted (./signals.ts).
 * With several inputs the exit code is the worst of theirs.
 */
import { applyBaseline, countedFindings, readBaseline, renderBaseline } from '../report/baseline';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yargs, { type Options } from 'yargs';
import { inspect, type InspectOptions } from '../pipeline/inspect';
import { extract, ExtractVerifyError } from '../pipeline/extract';
import { ls, renderLs } from '../pipeline/ls';
import { RULES } from '../rules/registry';
import { renderJson } from '../report/json';
import { renderTable } from '../report/table';
import { renderSarif } from '../report/sarif';
import { renderHtml } from '../report/html';
import { loadConfig, normalizeLevel } from './config';
import { validateTarget, type Target } from '../compat/target';
import { ANSI, PLAIN, terminalSafe } from '../report/format';
import { HASH_ALGOS, isHashAlgo, type HashAlgo } from '../io/hash';
import { UsageError, errorMessage } from '../io/errors';
import { SEVERITIES, type Report, type Severity } from '../report/model';
import type { SeverityOverrides } from '../rules/engine';
import { registerCleanup } from '../io/cleanup';
import { nearest, typoDistance } from '../io/suggest';
import { Progress } from './progress';
import { watchOutput } from './output';
import { installSignalHandlers, signalExitCode, takeOverSignals } from './signals';
import { VERSION } from '../version';
import { availableParallelism } from 'node:os';
import { renderSummary, runBatch } from '../batch/run';

const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

export const FORMATS = ['table', 'json', 'jsonl', 'sarif', 'html'] as const;
type Format = (typeof FORMATS)[number];

/** What yargs hands the inspect and check handlers (numbers stay strings: we parse them, and echo them as typed). */
interface Common {
  file: string[];
  json: boolean;
  format?: string | string[];
  'output-file'?: string | string[];
  quiet: boolean;
  color?: boolean;
  /** `--no-hash` gives false (yargs' negation of --hash). */
  hash: string | false | (string | false)[];
  severity: string[];
  config?: string;
  device?: string;
  model?: string;
  board?: string;
  'current-build'?: string;
  'current-patch'?: string;
  'current-timestamp'?: string | string[];
  key?: string[];
  base?: string | string[];
  bootloader?: string;
  'anti-rollback'?: string | string[];
  'max-depth'?: string | string[];
  'max-members'?: string | string[];
  'max-expanded'?: string | string[];
  'max-seconds'?: string | string[];
  'max-memory'?: string | string[];
  'temp-dir'?: string | string[];
  'fail-on'?: string | string[];
  'max-warnings'?: string | string[];
  width?: string | string[];
  baseline?: string | string[];
  'write-baseline'?: string | string[];
}

const TEMP_DIR_OPTION = { type: 'string', describe: 'directory for spill files (default: $TMPDIR or the system temp directory)' } as const satisfies Options;
const JSON_OPTION = { type: 'boolean', default: false, describe: 'print JSON' } as const satisfies Options;

/** The options of `inspect` and `check`, by name: registered with yargs, and what "did you mean" picks from. */
const REPORT_OPTIONS = {
  json: { type: 'boolean', default: false, describe: 'print the report as JSON (docs/report-format.md); same as --format json' },
  format: { alias: 'f', type: 'string', describe: 'output: table (default), json, jsonl (one report per line), sarif (SARIF 2.1.0), or html (one self-contained page)' },
  'output-file': { alias: 'o', type: 'string', describe: 'write the report to this file instead of standard output' },
  config: { type: 'string', describe: 'rule severities from this file instead of the nearest .romscope.json' },
  device: { type: 'string', describe: 'target device codename (ro.product.device, fastboot getvar product)' },
  model: { type: 'string', describe: 'target model (ro.product.model, e.g. SM-T870)' },
  board: { type: 'string', describe: 'target board or SoC platform (ro.product.board, MT6768)' },
  'current-build': { type: 'string', describe: 'fingerprint of the build on the device now (ro.build.fingerprint)' },
  'current-patch': { type: 'string', describe: 'security patch level on the device now, YYYY-MM-DD' },
  'current-timestamp': { type: 'string', describe: 'build time of the build on the device now (ro.build.date.utc, seconds)' },
  bootloader: { type: 'string', describe: 'bootloader version on the device (ro.bootloader; a Samsung version gives its binary revision)' },
  'anti-rollback': { type: 'string', describe: "device's anti-rollback level (fastboot getvar anti, Samsung binary revision, AVB rollback index)" },
  key: { type: 'string', array: true, describe: 'certificate or key (PEM or DER) to check OTA and payload signatures against; repeatable' },
  base: { type: 'string', describe: 'the build an incremental A/B OTA patches (full OTA zip, factory package, super image, or a directory of partition images): apply the delta to it and check every hash' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'only findings and the summary; no progress' },
  color: { type: 'boolean', describe: 'force colour on (--color) or off (--no-color); NO_COLOR turns it off whatever else' },
  hash: {
    type: 'string',
    default: 'sha256',
    describe: `digests to compute: ${HASH_ALGOS.join(',')}; inspect --no-hash computes none and reads only headers and directories (integrity not checked, signatures not verified)`,
  },
  severity: { type: 'string', array: true, default: [] as string[], describe: 'override a rule: RULE=error|warning|info|off (or warn, 2, 1, 0)' },
  'max-depth': { type: 'string', describe: 'deepest container nesting to decode' },
  'max-members': { type: 'string', describe: 'most artifacts to visit' },
  'max-expanded': { type: 'string', describe: 'most decompressed bytes in total (4G, 512M, 64K or bytes)' },
  'max-seconds': { type: 'string', describe: 'most seconds the inspection may take (no limit by default)' },
  'max-memory': { type: 'string', describe: 'most bytes of decoder state held at once (512M, 1G or bytes)' },
  'temp-dir': TEMP_DIR_OPTION,
  width: { type: 'string', describe: 'lay the table output out for this many columns (default: the terminal width; 0: never wrap)' },
  baseline: { type: 'string', describe: 'findings in this baseline (a --write-baseline file, a JSON report or SARIF log) are shown as unchanged and do not count' },
  'write-baseline': { type: 'string', describe: "write this run's findings to this file as a baseline (docs/baselines.md)" },
} as const satisfies Record<string, Options>;

const CHECK_OPTIONS = {
  ...REPORT_OPTIONS,
  'fail-on': { type: 'string', default: 'error', describe: 'lowest severity that fails the check: error, warning, info, none (or 2, 1, 0)' },
  'max-warnings': { type: 'string', describe: 'also fail when there are more than this many warnings in all (ESLint --max-warnings)' },
} as const satisfies Record<string, Options>;

const EXTRACT_OPTIONS = {
  output: { alias: 'o', type: 'string', demandOption: true, describe: 'output directory (or file name) for the artifact' },
  force: { type: 'boolean', default: false, describe: 'overwrite an existing output file' },
  base: { type: 'string', describe: 'the build an incremental A/B OTA patches: its partitions (payload.bin/system.img) are rebuilt from it' },
  'temp-dir': TEMP_DIR_OPTION,
  json: JSON_OPTION,
} as const satisfies Record<string, Options>;

const QUEUE_OPTION = { type: 'string', demandOption: true, describe: 'the Redis server the jobs are on: redis://host:port[/db] (docs/queue.md)' } as const satisfies Options;

const ENQUEUE_OPTIONS = { queue: QUEUE_OPTION, json: JSON_OPTION } as const satisfies Record<string, Options>;

const WORKER_OPTIONS = {
  queue: QUEUE_OPTION,
  db: { type: 'string', default: 'romscope.db', describe: 'result store: a SQLite file (created if missing) or postgres://user@host/db for one store several machines share' },
  concurrency: { type: 'string', default: '1', describe: 'jobs this worker checks at once (one child process each)' },
  'job-timeout': { type: 'string', default: '1800', describe: "seconds a job may take (download or hashing, then the check); the check's process is killed at the limit" },
  attempts: { type: 'string', default: '3', describe: 'attempts per job (retried with exponential backoff) before it goes on the dead-letter list' },
  backoff: { type: 'string', default: '10', describe: 'seconds before the first retry; each further retry waits twice as long' },
  'stalled-seconds': { type: 'string', default: '30', describe: "a job's lock lasts this long unrenewed: the job of a worker that died goes back on the queue after one to two times this" },
  'max-download': { type: 'string', default: '16G', describe: 'largest URL input the worker downloads (16G, 512M or bytes)' },
  'job-memory': { type: 'string', describe: "heap limit of each check's process (2G, 512M); Node's default when not given" },
  'fail-on': { type: 'string', default: 'error', describe: "lowest severity that makes a row's exit code 1, as check --fail-on" },
  'temp-dir': { type: 'string', describe: 'directory for downloads and spill files (default: $TMPDIR or the system temp directory)' },
  'dead-letters': { type: 'boolean', default: false, describe: 'print the dead-letter list (inputs that failed every attempt) and exit' },
  json: { type: 'boolean', default: false, describe: 'with --dead-letters: print them as JSON' },
} as const satisfies Record<string, Options>;

/** `batch`: check's options that decide a report (not how it is printed), and the run's own. */
const { format: _f, 'output-file': _o, color: _c, width: _w, baseline: _b, 'write-baseline': _wb, json: _j, ...BATCH_CHECK_OPTIONS } = CHECK_OPTIONS;
const BATCH_OPTIONS = {
  ...BATCH_CHECK_OPTIONS,
  jobs: { alias: 'j', type: 'string', describe: 'inputs checked at once, each in its own worker process (default: the number of CPUs, at most 4)' },
  db: { type: 'string', default: 'romscope-batch.db', describe: 'the result store: a SQLite file (created if missing) or a postgres:// URL' },
  out: { type: 'string', describe: 'directory for the JSON reports (default <db>.reports; romscope-batch.reports for PostgreSQL)' },
  resume: { type: 'boolean', default: false, describe: 'continue the interrupted run recorded in the reports directory (counted as one run)' },
  recheck: { type: 'boolean', default: false, describe: 'check every input again, even those unchanged since their stored row' },
  json: { type: 'boolean', default: false, describe: 'print the summary as JSON' },
  html: { type: 'boolean', default: false, describe: 'also write each report as a self-contained HTML page beside its JSON' },
} as const satisfies Record<string, Options>;

const LS_OPTIONS = { 'temp-dir': TEMP_DIR_OPTION, json: JSON_OPTION } as const satisfies Record<string, Options>;
const RULES_OPTIONS = { json: JSON_OPTION } as const satisfies Record<string, Options>;

/** Every command and its options (help and version are everyone's). */
const COMMANDS: Record<string, Record<string, Options>> = {
  inspect: REPORT_OPTIONS,
  check: CHECK_OPTIONS,
  batch: BATCH_OPTIONS,
  extract: EXTRACT_OPTIONS,
  ls: LS_OPTIONS,
  rules: RULES_OPTIONS,
  enqueue: ENQUEUE_OPTIONS,
  worker: WORKER_OPTIONS,
  completion: {},
};
const GLOBAL_OPTIONS: Record<string, Options> = { help: { alias: 'h' }, version: { alias: 'v' } };
const USAGE: Record<string, string> = {
  inspect: 'romscope inspect <file..>',
  check: 'romscope check <file..>',
  batch: 'romscope batch <dir|list-file>',
  extract: 'romscope extract <file> <artifact> -o <out>',
  ls: 'romscope ls <file> <path>',
  rules: 'romscope rules',
  enqueue: 'romscope enqueue --queue redis://host:port <path|url..>',
  worker: 'romscope worker --queue redis://host:port [--db FILE|postgres://...]',
  completion: 'romscope completion',
};

/**
 * `-` (standard input) as yargs receives it: yargs drops a bare `-` from the
 * positionals, so it is renamed before parsing (a NUL cannot be in a path) and
 * read back by withInput().
 */
const STDIN = '\0-';

/** A flag given several times: the last one counts (as in most command lines). */
function last<T>(v: T | T[] | undefined): T | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** `--temp-dir`, which must be an existing directory (a usage error otherwise, before any work). */
function tempDirOf(raw: string | string[] | undefined): { tempDir?: string } {
  const dir = last(raw);
  if (dir === undefined) return {};
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--temp-dir ${dir}: not an existing directory`);
  return { tempDir: dir };
}

/** `--base`: the last one given (the library opens it, and says when it cannot). */
function baseOf(raw: string | string[] | undefined): { base?: string } {
  const b = last(raw);
  return b === undefined ? {} : { base: b };
}

/** `--format`, with `--json` as an alias of `--format json` (and harmless with `jsonl`). */
function outputFormat(a: Common): Format {
  const f = last(a.format);
  if (f === undefined) return a.json ? 'json' : 'table';
  if (!(FORMATS as readonly string[]).includes(f)) {
    const near = nearest(f, FORMATS, { maxDistance: typoDistance(f) });
    throw new UsageError(`--format wants ${FORMATS.join(', ')}, got "${f}"${near.length ? ` (did you mean ${near[0]}?)` : ''}`);
  }
  if (a.json && f !== 'json' && f !== 'jsonl') throw new UsageError(`--json asks for JSON but --format asks for ${f}; give one of them`);
  return f as Format;
}

/** A whole number of 0 or more, echoed as typed when it is not one. */
function wholeNumber(flag: string, raw: string | string[] | undefined): number | undefined {
  const s = last(raw);
  if (s === undefined) return undefined;
  const v = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`--${flag} wants a whole number of 0 or more, got "${s}"`);
  return v;
}

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size in bytes: `4294967296`, or with a binary suffix `4G`, `512M`, `64K`, `1T` (`4GiB`, `4GB` too; all powers of 1024). */
export function parseSize(flag: string, raw: string | string[] | undefined): number | undefined {
  const s = last(raw);
  if (s === undefined) return undefined;
  const m = /^(\d+)([kmgt]?)(?:i?b)?$/i.exec(s);
  const v = m ? Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`--${flag} wants a size in bytes such as 4G, 512M, 64K or 1048576, got "${s}"`);
  return v;
}

/** The target flags; a malformed value is a usage error (checked by inspect's validateTarget too). */
function targetOf(a: Common): Target | undefined {
  const t: Target = {
    device: a.device,
    model: a.model,
    board: a.board,
    currentBuild: a['current-build'],
    currentPatch: a['current-patch'],
    currentTimestamp: wholeNumber('current-timestamp', a['current-timestamp']),
    bootloader: a.bootloader,
    antiRollback: wholeNumber('anti-rollback', a['anti-rollback']),
  };
  const given = Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Target;
  return Object.keys(given).length ? validateTarget(given) : undefined;
}

/** `--hash`, or null for `--no-hash` (the last of them counts). */
function parseHashes(raw: Common['hash']): HashAlgo[] | null {
  const value = last(raw);
  if (value === false) return null;
  const list = (value ?? '')
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
  for (const a of list) if (!isHashAlgo(a)) throw new UsageError(`unknown hash "${a}" (choose from ${HASH_ALGOS.join(', ')})`);
  if (!list.length) throw new UsageError(`--hash wants one or more of ${HASH_ALGOS.join(', ')}`);
  return list as HashAlgo[];
}

function parseSeverity(list: string[]): SeverityOverrides {
  const out: SeverityOverrides = {};
  for (const item of list) {
    const m = /^([a-z]+\/[a-z0-9-]+)=(.*)$/.exec(item);
    const level = m ? normalizeLevel(m[2]) : null;
    if (!m || level === null) throw new UsageError(`--severity wants RULE=error|warning|info|off (or warn, 2, 1, 0), got "${item}"`);
    if (!RULES.some((r) => r.id === m[1])) {
      const near = nearest(
        m[1],
        RULES.map((r) => r.id),
        { maxDistance: typoDistance(m[1]) },
      );
      throw new UsageError(`unknown rule "${m[1]}"${near.length ? ` (did you mean ${near[0]}?)` : ''} (see romscope rules)`);
    }
    out[m[1]] = level;
  }
  return out;
}

/** `--fail-on`: a severity, `none`, or ESLint's numbers (2 error, 1 warning, 0 none). */
function parseFailOn(raw: string | string[] | undefined): Severity | 'none' {
  const s = last(raw) ?? 'error';
  if (s === 'none') return 'none';
  const level = normalizeLevel(s);
  if (level === null) throw new UsageError(`--fail-on wants error, warning, info or none (or warn, 2, 1, 0), got "${s}"`);
  return level === 'off' ? 'none' : level;
}

/** `--max-warnings`: a whole number, or -1 for no limit (ESLint's default). */
function parseMaxWarnings(raw: string | string[] | undefined): number | undefined {
  const s = last(raw);
  if (s === '-1') return undefined;
  return wholeNumber('max-warnings', s);
}

/**
 * Columns to lay the human output out for: --width (0: none), else on a
 * terminal COLUMNS or the terminal's width; piped output is not wrapped.
 */
export function outputWidth(flag: number | undefined, isTTY = !!process.stdout.isTTY, columns = process.stdout.columns, env = process.env.COLUMNS): number | undefined {
  if (flag !== undefined) {
    if (!Number.isSafeInteger(flag) || flag < 0) throw new UsageError(`--width wants a whole number of columns (0 for no wrapping)${Number.isNaN(flag) ? '' : `, got ${flag}`}`);
    return flag || undefined;
  }
  if (!isTTY) return undefined;
  const fromEnv = env !== undefined && /^[1-9][0-9]*$/.test(env) ? Number(env) : undefined;
  return fromEnv ?? (columns || 80);
}

/**
 * Colour: `NO_COLOR` (non-empty) turns it off whatever else is given; then
 * `--color`/`--no-color`; then `FORCE_COLOR` (on unless `0` or `false`); then
 * whether the output is a terminal.
 */
export function useColor(flag: boolean | undefined, tty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (flag !== undefined) return flag;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return tty;
}

/** Everything inspect needs from the flags; every bad flag is a usage error here, before any input is read. */
function inspectOptions(a: Common, isCheck = false): InspectOptions {
  const hashes = parseHashes(a.hash);
  // A check that computes no digest could pass what it never compared: refused, not run half-blind.
  if (!hashes && isCheck) throw new UsageError('check cannot run with --no-hash: it verifies digests and signatures, which needs them (use inspect --no-hash to list the structure only)');
  // The config file first, then --severity on top of it: the command line wins.
  const config = loadConfig(
    a.config,
    RULES.map((r) => r.id),
  );
  const severity = { ...config.rules, ...parseSeverity(a.severity) };
  const target = targetOf(a);
  return {
    ...(hashes ? { hashes } : { noHash: true }),
    severity,
    ...(target ? { target } : {}),
    budget: Object.fromEntries(
      Object.entries({
        maxDepth: wholeNumber('max-depth', a['max-depth']),
        maxMembers: wholeNumber('max-members', a['max-members']),
        maxExpandedBytes: parseSize('max-expanded', a['max-expanded']),
        maxSeconds: wholeNumber('max-seconds', a['max-seconds']),
        maxMemoryBytes: parseSize('max-memory', a['max-memory']),
      }).filter(([, v]) => v !== undefined),
    ),
    ...tempDirOf(a['temp-dir']),
    ...(a.key?.length ? { keys: a.key } : {}),
    ...baseOf(a.base),
  };
}

/**
 * `-` as the input: standard input is copied to a file in a fresh directory
 * under `--temp-dir` (it must be read more than once, and from anywhere), which
 * is removed when `fn` is done, at exit and on an interrupt (src/io/cleanup.ts).
 */
async function withInput<T>(file: string, tempDir: string | undefined, fn: (path: string, fromStdin: boolean) => Promise<T>): Promise<T> {
  if (file !== STDIN) return fn(file, false);
  if (process.stdin.isTTY) throw new UsageError('"-" reads the package from standard input, which is a terminal here; pipe or redirect a file into it');
  const dir = mkdtempSync(join(tempDir ?? tmpdir(), 'romscope-'));
  const unregister = registerCleanup(() => rmSync(dir, { recursive: true, force: true }));
  try {
    const path = join(dir, 'stdin');
    try {
      await pipeline(process.stdin, createWriteStream(path, { mode: 0o600 }));
    } catch (e) {
      throw new UsageError(`cannot read standard input into ${dir}: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
    }
    return await fn(path, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    unregister();
  }
}

async function inspectOne(file: string, a: Common, opts: InspectOptions): Promise<Report> {
  const progress = new Progress(!a.quiet && !!process.stderr.isTTY);
  try {
    return await withInput(file, opts.tempDir, async (path, fromStdin) => {
      const report = await inspect(path, { ...opts, onProgress: (b, p) => progress.update(b, p), onInput: (pos, size) => progress.input(pos, size), ...(fromStdin ? { sidecars: false } : {}) });
      if (fromStdin) report.input.path = '-';
      return report;
    });
  } finally {
    progress.done();
  }
}

/** Several SARIF logs as one: their runs, in order. */
function mergeSarif(reports: Report[]): string {
  const logs = reports.map((r) => JSON.parse(renderSarif(r, { rules: RULES })) as { runs: unknown[] });
  return JSON.stringify({ ...logs[0], runs: logs.flatMap((l) => l.runs) }, null, 2);
}

/** `inspect` and `check` over one or more inputs: one report each, the exit code the worst of theirs. */
async function runReports(a: Common, isCheck: boolean): Promise<number> {
  const files = a.file.map(String);
  if (files.filter((f) => f === STDIN).length > 1) throw new UsageError('"-" (standard input) can be given only once');
  const format = outputFormat(a);
  const opts = inspectOptions(a, isCheck);
  const failOn = isCheck ? parseFailOn(a['fail-on']) : 'none';
  const maxWarnings = isCheck ? parseMaxWarnings(a['max-warnings']) : undefined;
  const given = last(a['output-file']);
  // `-o -` is standard output, as in most tools.
  const outFile = given === STDIN ? undefined : given;
  if (outFile === '') throw new UsageError('--output-file wants a file name');
  const tty = outFile === undefined && !!process.stdout.isTTY;
  const colors = useColor(a.color, tty) ? ANSI : PLAIN;
  const hash = opts.hashes?.[0];
  const collected: string[] = [];
  const emit = (s: string): void => void (outFile === undefined ? process.stdout.write(s) : collected.push(s));
  const reports: Report[] = [];
  const baselineFile = last(a.baseline);
  if (baselineFile === '') throw new UsageError('--baseline wants a file name');
  const baseline = baselineFile === undefined ? null : readBaseline(baselineFile);
  const writeBaseline = last(a['write-baseline']);
  if (writeBaseline === '') throw new UsageError('--write-baseline wants a file name');
  const rank = (s: string) => SEVERITIES.indexOf(s as Severity);
  let code: number = EXIT.ok;
  let warnings = 0;
  for (const file of files) {
    let report: Report;
    try {
      report = await inspectOne(file, a, opts);
    } catch (e) {
      // One input that cannot be read does not stop the others: its line on stderr, exit 2 at the end.
      if (!(e instanceof UsageError) || files.length === 1) throw e;
      process.stderr.write(`romscope: ${terminalSafe(errorMessage(e))}\n`);
      code = EXIT.usage;
      continue;
    }
    if (baseline) applyBaseline(report, baseline);
    reports.push(report);
    // With a baseline, only the findings not in it count.
    const counted = countedFindings(report);
    warnings += counted.filter((f) => f.severity === 'warning').length;
    if (failOn !== 'none' && counted.some((f) => rank(f.severity) <= rank(failOn))) code = Math.max(code, EXIT.findings);
    if (format === 'table') {
      const heading = files.length > 1 ? `${reports.length > 1 ? '\n' : ''}${terminalSafe(file === STDIN ? '- (standard input)' : file)}\n` : '';
      emit(heading + renderTable(report, { colors, quiet: a.quiet, hash, width: outputWidth(wholeNumber('width', a.width), tty) }) + '\n');
    } else if (format === 'jsonl') emit(JSON.stringify(JSON.parse(renderJson(report))) + '\n');
  }
  if (reports.length > 0 || files.length > 1) {
    if (format === 'json') emit((files.length === 1 ? renderJson(reports[0]) : `[${reports.map((r) => '\n' + renderJson(r)).join(',')}\n]`) + '\n');
    else if (format === 'sarif' && reports.length) emit((reports.length === 1 ? renderSarif(reports[0], { rules: RULES }) : mergeSarif(reports)) + '\n');
    else if (format === 'html' && reports.length) emit(renderHtml(reports));
  }
  if (maxWarnings !== undefined && warnings > maxWarnings) {
    process.stderr.write(`romscope: ${warnings} warning${warnings === 1 ? '' : 's'}, more than --max-warnings ${maxWarnings}\n`);
    code = Math.max(code, EXIT.findings);
  }
  if (writeBaseline !== undefined) {
    try {
      writeFileSync(writeBaseline, renderBaseline(reports));
    } catch (e) {
      throw new UsageError(`--write-baseline ${writeBaseline}: cannot write it (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
    }
  }
  if (outFile !== undefined) {
    try {
      writeFileSync(outFile, collected.join(''));
    } catch (e) {
      throw new UsageError(`--output-file ${outFile}: cannot write it (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
    }
  }
  return code;
}

interface WorkerArgs {
  queue: string | string[];
  db: string | string[];
  concurrency: string | string[];
  'job-timeout': string | string[];
  attempts: string | string[];
  backoff: string | string[];
  'stalled-seconds': string | string[];
  'max-download': string | string[];
  'job-memory'?: string | string[];
  'fail-on': string | string[];
  'temp-dir'?: string | string[];
  'dead-letters': boolean;
  json: boolean;
}

/** A whole number of 1 or more. */
function positiveWhole(flag: string, raw: string | string[] | undefined): number | undefined {
  const v = wholeNumber(flag, raw);
  if (v === 0) throw new UsageError(`--${flag} wants a whole number of 1 or more, got "0"`);
  return v;
}

/**
 * `romscope worker`: runs until SIGTERM or SIGINT. The first signal lets the
 * running checks finish (no new jobs are taken), then exits 0; a second one
 * kills them and puts their jobs back on the queue; a third exits at once.
 */
async function runWorker(a: WorkerArgs): Promise<number> {
  const { parseSeconds } = await import('../queue/common');
  const queue = String(last(a.queue));
  if (a['dead-letters']) {
    const { listDeadLetters } = await import('../queue/worker');
    const letters = await listDeadLetters(queue);
    if (a.json) process.stdout.write(JSON.stringify(letters, null, 2) + '\n');
    else if (!letters.length) process.stdout.write('No dead letters.\n');
    else for (const d of letters) process.stdout.write(`${d.failedAt}  ${terminalSafe(d.input)}  after ${d.attempts} attempt(s): ${terminalSafe(d.reason)}  [job ${d.jobId.slice(0, 16)}, ${d.worker}]\n`);
    return EXIT.ok;
  }
  const heap = parseSize('job-memory', a['job-memory']);
  const opts = {
    queue,
    db: String(last(a.db)),
    concurrency: positiveWhole('concurrency', a.concurrency) ?? 1,
    jobTimeoutMs: (parseSeconds('job-timeout', last(a['job-timeout'])) ?? 1800) * 1000,
    attempts: positiveWhole('attempts', a.attempts) ?? 3,
    backoffMs: (parseSeconds('backoff', last(a.backoff)) ?? 10) * 1000,
    stalledMs: (parseSeconds('stalled-seconds', last(a['stalled-seconds'])) ?? 30) * 1000,
    maxDownloadBytes: parseSize('max-download', a['max-download']) ?? 16 * 1024 ** 3,
    ...(heap !== undefined ? { heapMiB: Math.max(16, Math.floor(heap / 1024 ** 2)) } : {}),
    failOn: parseFailOn(a['fail-on']),
    ...tempDirOf(a['temp-dir']),
    log: (line: string) => void process.stdout.write(`${new Date().toISOString()} ${terminalSafe(line)}\n`),
  };
  const { startWorker } = await import('../queue/worker');
  const worker = await startWorker(opts);
  let signals = 0;
  takeOverSignals((sig) => {
    if (++signals >= 3) {
      process.stderr.write(`romscope: ${sig} a third time: exiting now; the running jobs go back on the queue when their locks expire\n`);
      process.exit(signalExitCode(sig));
    }
    void worker.stop();
  });
  try {
    await worker.stopped;
  } finally {
    takeOverSignals(null);
  }
  return EXIT.ok;
}

interface BatchArgs extends Common {
  input: string;
  jobs?: string | string[];
  db: string | string[];
  out?: string | string[];
  resume: boolean;
  recheck: boolean;
  html: boolean;
}

/** `romscope batch`: docs/batch.md. Exit code: the worst input's (0, 1, 2 unreadable, 3 a check that did not finish). */
async function runBatchCommand(a: BatchArgs): Promise<number> {
  const input = String(a.input);
  if (input === STDIN) throw new UsageError('batch reads a directory or a list file, not standard input');
  const opts = inspectOptions(a, true);
  const jobs = wholeNumber('jobs', a.jobs) ?? Math.min(4, availableParallelism());
  if (jobs < 1) throw new UsageError('--jobs wants a whole number of 1 or more, got "0"');
  const db = last(a.db) ?? 'romscope-batch.db';
  if (db === '') throw new UsageError('--db wants a file name or a postgres:// URL');
  const out = last(a.out);
  if (out === '') throw new UsageError('--out wants a directory');
  const failOn = parseFailOn(a['fail-on']);
  const maxWarnings = parseMaxWarnings(a['max-warnings']);
  const summary = await runBatch({
    input,
    jobs,
    db,
    ...(out === undefined ? {} : { out }),
    resume: a.resume,
    recheck: a.recheck,
    formats: a.html ? ['json', 'html'] : ['json'],
    check: { ...opts, keys: opts.keys?.map(String), failOn, ...(maxWarnings === undefined ? {} : { maxWarnings }) },
    progress: !a.quiet && !!process.stderr.isTTY,
    note: (line) => process.stderr.write(`romscope: ${terminalSafe(line)}\n`),
  });
  if (a.json) {
    const { outcomes, ...rest } = summary;
    const list = outcomes.map((x) => ({ path: x.path, status: x.status, exitCode: x.exitCode, ...(x.row ? { sha256: x.row.sha256 } : {}), ...(x.error ? { error: x.error } : {}) }));
    process.stdout.write(JSON.stringify({ ...rest, outcomes: list }, null, 2) + '\n');
  } else process.stdout.write(renderSummary(summary).split('\n').map(terminalSafe).join('\n'));
  return summary.exitCode;
}

/** The long names of a command's options (and their one-letter aliases), for "did you mean". */
function optionNames(cmd: string | undefined): { long: string[]; all: Set<string> } {
  const opts = { ...(cmd && COMMANDS[cmd] ? COMMANDS[cmd] : {}), ...GLOBAL_OPTIONS };
  const all = new Set<string>();
  for (const [name, o] of Object.entries(opts)) {
    all.add(name);
    for (const al of ([] as string[]).concat((o.alias as string | string[] | undefined) ?? [])) all.add(al);
  }
  return { long: Object.keys(opts), all };
}

/** `romscope chek x`: the unknown command, and the nearest known one. */
function unknownCommand(argv: string[]): string | null {
  const first = argv[0];
  const names = Object.keys(COMMANDS);
  if (first === undefined || first.startsWith('-') || names.includes(first)) return null;
  const near = nearest(first, names, { maxDistance: typoDistance(first) });
  return `unknown command "${first}"${near.length ? `; did you mean "${near[0]}"?` : ''} (commands: ${names.join(', ')})`;
}

/** yargs' "Unknown arguments: a, b" as romscope says it: each option with its nearest known one, each stray word. */
function unknownArguments(names: string[], argv: string[]): string {
  const cmd = argv[0] && COMMANDS[argv[0]] ? argv[0] : undefined;
  const { long } = optionNames(cmd);
  const asOption = (n: string): string | null => {
    for (const tok of argv) {
      if (tok === '--') break;
      if (tok === `--${n}` || tok.startsWith(`--${n}=`) || tok === `--no-${n}`) return `--${n}`;
      if (n.length === 1 && /^-[^-]/.test(tok) && tok.includes(n)) return `-${n}`;
    }
    return null;
  };
  return names
    .map((n) => {
      const opt = asOption(n);
      if (opt === null) return `unexpected argument "${n}"${cmd ? ` (usage: ${USAGE[cmd]})` : ''}`;
      const near = nearest(n, long, { maxDistance: typoDistance(n) });
      return `unknown option ${opt}${cmd ? ` for ${cmd}` : ''}${near.length ? `; did you mean --${near[0]}?` : ''}`;
    })
    .join('; ');
}

/** yargs' own messages, each as one line in romscope's words. */
function usageMessage(msg: string, argv: string[]): string {
  const cmd = argv[0] && COMMANDS[argv[0]] ? argv[0] : undefined;
  let m = /^Unknown arguments?: ([^]*)$/.exec(msg);
  if (m) return unknownArguments(m[1].split(STDIN).join('-').split(', '), argv);
  m = /^Missing required arguments?: ([^\n]*)/.exec(msg);
  // yargs reports a missing option before an unknown one; a misspelt `--outptu` is the likelier story.
  const { all } = optionNames(cmd);
  const stray = argv
    .slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
    .filter((x) => x.startsWith('--') && x.length > 2)
    .map((x) => x.slice(2).split('=')[0])
    .filter((n) => !all.has(n) && !(n.startsWith('no-') && all.has(n.slice(3))));
  if (m && stray.length) return unknownArguments(stray, argv);
  if (m)
    return `missing ${m[1]
      .split(', ')
      .map((n) => (n.length === 1 ? `-${n}` : `--${n}`))
      .join(', ')}${cmd ? ` (usage: ${USAGE[cmd]})` : ''}`;
  if (/^Not enough non-option arguments/.test(msg) && cmd) return `${cmd} needs more arguments (usage: ${USAGE[cmd]})`;
  if (/^Too many non-option arguments/.test(msg) && cmd) return `${cmd} got too many arguments (usage: ${USAGE[cmd]})`;
  return msg
    .split(STDIN)
    .join('-')
    .replace(/\s*\n\s*/g, '; ')
    .trim();
}

export async function main(argv: string[]): Promise<number> {
  watchOutput();
  installSignalHandlers();
  let code: number = EXIT.ok;
  const parser = yargs(argv.map((x) => (x === '-' ? STDIN : x)))
    .scriptName('romscope')
    // Only the names as they are written: no camelCase twins in argv or in error messages.
    .parserConfiguration({ 'camel-case-expansion': false })
    .version(VERSION)
    .alias('v', 'version')
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command: inspect, check, batch, extract, ls, rules, enqueue, worker or completion')
    .command(
      'inspect <file..>',
      'describe firmware packages: their artifacts, formats, digests and findings (- reads standard input)',
      (y) => y.options(REPORT_OPTIONS),
      async (a) => {
        code = await runReports(a as unknown as Common, false);
      },
    )
    .command(
      'check <file..>',
      'validate firmware packages; exit 1 when findings reach --fail-on (the worst input decides)',
      (y) => y.options(CHECK_OPTIONS),
      async (a) => {
        code = await runReports(a as unknown as Common, true);
      },
    )
    .command(
      'batch <input>',
      'check every package in a directory or list file, in worker processes; rows in a result store, a JSON report each, unchanged inputs skipped',
      (y) => y.positional('input', { type: 'string', describe: 'a directory (every regular file under it) or a file listing paths, one a line' }).options(BATCH_OPTIONS),
      async (a) => {
        code = await runBatchCommand(a as unknown as BatchArgs);
      },
    )
    .command(
      'extract <file> <artifact>',
      'write one artifact (a path from inspect) to a file or directory',
      (y) => y.positional('artifact', { type: 'string', describe: 'artifact path as shown by inspect' }).options(EXTRACT_OPTIONS),
      async (a) => {
        const output = last(a.output as string | string[]) ?? '';
        const tmp = tempDirOf(a['temp-dir']);
        const progress = new Progress(!!process.stderr.isTTY);
        const r = await withInput(String(a.file), tmp.tempDir, (path) =>
          extract(path, String(a.artifact), output, { force: a.force, ...tmp, ...baseOf(a.base as string | string[] | undefined), onProgress: (n, size) => progress.written(n, size, String(a.artifact)) }),
        ).finally(() => progress.done());
        process.stdout.write(a.json ? JSON.stringify(r, null, 2) + '\n' : `wrote ${terminalSafe(r.output)} (${r.bytes} bytes, sha256 ${r.hashes.sha256})\n`);
      },
    )
    .command(
      'ls <file> <path>',
      'list a directory (or a file) inside a file system image in the package',
      (y) => y.positional('path', { type: 'string', describe: "the image's artifact path, then the directory inside it" }).options(LS_OPTIONS),
      async (a) => {
        const tmp = tempDirOf(a['temp-dir']);
        const entries = await withInput(String(a.file), tmp.tempDir, (path) => ls(path, String(a.path), tmp));
        process.stdout.write(a.json ? JSON.stringify(entries, null, 2) + '\n' : renderLs(entries));
      },
    )
    .command(
      'rules',
      'list the rules romscope checks',
      (y) => y.options(RULES_OPTIONS),
      (a) => {
        if (a.json) {
          process.stdout.write(
            JSON.stringify(
              RULES.map((r) => ({ id: r.id, severity: r.defaultSeverity, description: r.description, docs: `docs/rules/${r.id}.md` })),
              null,
              2,
            ) + '\n',
          );
        } else {
          for (const r of RULES) process.stdout.write(`${r.id.padEnd(32)} ${r.defaultSeverity.padEnd(8)} ${r.description}\n`);
        }
      },
    )
    .command(
      'enqueue <input..>',
      'put firmware packages (paths on storage every worker sees, or http(s) URLs) on a queue for romscope worker (docs/queue.md)',
      (y) => y.positional('input', { type: 'string', describe: 'a path or an http(s) URL' }).options(ENQUEUE_OPTIONS),
      async (a) => {
        const { enqueue } = await import('../queue/enqueue');
        const results = await enqueue(String(last(a.queue as string | string[])), (a.input as unknown as string[]).map(String));
        if (a.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
        else for (const r of results) process.stdout.write(`${r.added ? (r.state === 'retried' ? 'queued again' : 'queued') : `already queued (${r.state})`} ${terminalSafe(r.input)} (job ${r.jobId.slice(0, 16)})\n`);
      },
    )
    .command(
      'worker',
      'check the jobs on a queue and store one result row per input sha256; any number of workers on any number of machines (docs/queue.md)',
      (y) => y.options(WORKER_OPTIONS),
      async (a) => {
        code = await runWorker(a);
      },
    )
    .completion('completion', 'print a bash/zsh completion script (romscope completion >> ~/.bashrc)')
    .fail((msg, err) => {
      // Our own errors pass through; yargs' validation messages become one line each.
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(usageMessage(msg ?? err?.message ?? 'bad command line', argv));
    })
    .help();
  try {
    if (argv.some((x) => x.includes('\0'))) throw new UsageError('an argument holds a NUL character');
    const wrong = unknownCommand(argv);
    if (wrong) throw new UsageError(wrong);
    await parser.parseAsync();
  } catch (e) {
    process.stderr.write(`romscope: ${terminalSafe(errorMessage(e).split(STDIN).join('-')).replace(/\s*\n\s*/g, '; ')}\n`);
    if (e instanceof ExtractVerifyError) return EXIT.findings;
    return EXIT.usage;
  }
  return code;
}
