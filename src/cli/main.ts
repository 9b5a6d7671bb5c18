/**
 * The romscope command line: a thin yargs layer over the library.
 * Exit codes (docs/cli.md): 0 nothing at or above --fail-on, 1 findings at or
 * above it (or an extract that failed verification), 2 unreadable input or a
 * bad command line; 128 + the signal number when interrupted (./signals.ts).
 */
import { statSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { inspect, type InspectOptions } from '../pipeline/inspect';
import { extract, ExtractVerifyError } from '../pipeline/extract';
import { ls, renderLs } from '../pipeline/ls';
import { RULES } from '../rules/registry';
import { renderJson } from '../report/json';
import { renderTable } from '../report/table';
import { renderSarif } from '../report/sarif';
import { loadConfig } from './config';
import { validateTarget, type Target } from '../compat/target';
import { ANSI, PLAIN, terminalSafe } from '../report/format';
import { HASH_ALGOS, isHashAlgo, type HashAlgo } from '../io/hash';
import { UsageError, errorMessage } from '../io/errors';
import { SEVERITIES, type Report, type Severity } from '../report/model';
import type { SeverityOverrides } from '../rules/engine';
import { Progress } from './progress';
import { watchOutput } from './output';
import { installSignalHandlers } from './signals';
import { VERSION } from '../version';

const EXIT = { ok: 0, findings: 1, usage: 2 } as const;

interface Common {
  json: boolean;
  quiet: boolean;
  color: boolean;
  hash: string;
  'max-depth'?: number;
  'max-members'?: number;
  'max-expanded'?: number;
  'max-seconds'?: number;
  'max-memory'?: number;
  'temp-dir'?: string;
  severity: string[];
  format?: string;
  config?: string;
  device?: string;
  model?: string;
  board?: string;
  'current-build'?: string;
  'current-patch'?: string;
  'current-timestamp'?: number;
  key?: string[];
  bootloader?: string;
  'anti-rollback'?: number;
  width?: number;
}

const TEMP_DIR_OPTION = { type: 'string', describe: 'directory for spill files (default: $TMPDIR or the system temp directory)' } as const;

/** `--temp-dir`, which must be an existing directory (a usage error otherwise, before any work). */
function tempDirOf(dir: string | undefined): { tempDir?: string } {
  if (dir === undefined) return {};
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--temp-dir ${dir}: not an existing directory`);
  return { tempDir: dir };
}

export const FORMATS = ['table', 'json', 'sarif'] as const;

/** `--format`, with `--json` as an alias of `--format json`. */
function outputFormat(a: Common): (typeof FORMATS)[number] {
  if (a.format !== undefined && a.json && a.format !== 'json') throw new UsageError(`--json asks for JSON but --format asks for ${a.format}; give one of them`);
  return (a.format as (typeof FORMATS)[number] | undefined) ?? (a.json ? 'json' : 'table');
}

/** The target flags; a malformed value is a usage error (checked by inspect's validateTarget too). */
function targetOf(a: Common): Target | undefined {
  const t: Target = {
    device: a.device,
    model: a.model,
    board: a.board,
    currentBuild: a['current-build'],
    currentPatch: a['current-patch'],
    currentTimestamp: a['current-timestamp'],
    bootloader: a.bootloader,
    antiRollback: a['anti-rollback'],
  };
  const given = Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Target;
  return Object.keys(given).length ? validateTarget(given) : undefined;
}

function parseHashes(s: string): HashAlgo[] {
  const list = s
    .split(',')
    .map((x) => x.trim().toLowerCase())
    .filter(Boolean);
  for (const a of list) if (!isHashAlgo(a)) throw new UsageError(`unknown hash "${a}" (choose from ${HASH_ALGOS.join(', ')})`);
  return list as HashAlgo[];
}

function parseSeverity(list: string[]): SeverityOverrides {
  const out: SeverityOverrides = {};
  for (const item of list) {
    const m = /^([a-z]+\/[a-z0-9-]+)=(error|warning|info|off)$/.exec(item);
    if (!m) throw new UsageError(`--severity wants RULE=error|warning|info|off, got "${item}"`);
    if (!RULES.some((r) => r.id === m[1])) throw new UsageError(`unknown rule "${m[1]}" (see romscope rules)`);
    out[m[1]] = m[2] as Severity | 'off';
  }
  return out;
}

function limit(flag: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || v < 0) throw new UsageError(`--${flag} wants a whole number of 0 or more, got ${v}`);
  return v;
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

function useColor(a: Common): boolean {
  return a.color && !process.env.NO_COLOR && !!process.stdout.isTTY;
}

async function runInspect(file: string, a: Common): Promise<Report> {
  const hashes = parseHashes(a.hash);
  outputFormat(a);
  // The config file first, then --severity on top of it: the command line wins.
  const config = loadConfig(
    a.config,
    RULES.map((r) => r.id),
  );
  const severity = { ...config.rules, ...parseSeverity(a.severity) };
  const target = targetOf(a);
  const progress = new Progress(!a.quiet && !!process.stderr.isTTY);
  const opts: InspectOptions = {
    hashes,
    severity,
    ...(target ? { target } : {}),
    budget: Object.fromEntries(
      Object.entries({
        maxDepth: limit('max-depth', a['max-depth']),
        maxMembers: limit('max-members', a['max-members']),
        maxExpandedBytes: limit('max-expanded', a['max-expanded']),
        maxSeconds: limit('max-seconds', a['max-seconds']),
        maxMemoryBytes: limit('max-memory', a['max-memory']),
      }).filter(([, v]) => v !== undefined),
    ),
    onProgress: (b, p) => progress.update(b, p),
    onInput: (pos, size) => progress.input(pos, size),
    ...tempDirOf(a['temp-dir']),
    ...(a.key?.length ? { keys: a.key } : {}),
  };
  try {
    return await inspect(file, opts);
  } finally {
    progress.done();
  }
}

function print(report: Report, a: Common): void {
  const hashes = parseHashes(a.hash);
  const format = outputFormat(a);
  process.stdout.write(
    (format === 'json'
      ? renderJson(report)
      : format === 'sarif'
        ? renderSarif(report, { rules: RULES })
        : renderTable(report, { colors: useColor(a) ? ANSI : PLAIN, quiet: a.quiet, hash: hashes[0], width: outputWidth(a.width) })) + '\n',
  );
}

function common<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (docs/report-format.md); same as --format json' })
    .option('format', { choices: FORMATS, describe: 'output: table (default), json, or sarif (SARIF 2.1.0 for code scanning)' })
    .option('config', { type: 'string', describe: `rule severities from this file instead of ./.romscope.json ({"rules": {"RULE": "off"}})` })
    .option('device', { type: 'string', describe: 'target device codename (ro.product.device, fastboot getvar product)' })
    .option('model', { type: 'string', describe: 'target model (ro.product.model, e.g. SM-T870)' })
    .option('board', { type: 'string', describe: 'target board or SoC platform (ro.product.board, MT6768)' })
    .option('current-build', { type: 'string', describe: 'fingerprint of the build on the device now (ro.build.fingerprint)' })
    .option('current-patch', { type: 'string', describe: 'security patch level on the device now, YYYY-MM-DD' })
    .option('current-timestamp', { type: 'number', describe: 'build time of the build on the device now (ro.build.date.utc, seconds)' })
    .option('bootloader', { type: 'string', describe: 'bootloader version on the device (ro.bootloader; a Samsung version gives its binary revision)' })
    .option('anti-rollback', { type: 'number', describe: "device's anti-rollback level (fastboot getvar anti, Samsung binary revision, AVB rollback index)" })
    .option('key', { type: 'string', array: true, describe: 'certificate or key (PEM or DER) to check OTA and payload signatures against; repeatable' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'only findings and the summary; no progress' })
    .option('color', { type: 'boolean', default: true, describe: 'colour output (--no-color or NO_COLOR to disable)' })
    .option('hash', { type: 'string', default: 'sha256', describe: `digests to compute: ${HASH_ALGOS.join(',')}` })
    .option('severity', { type: 'string', array: true, default: [] as string[], describe: 'override a rule: RULE=error|warning|info|off' })
    .option('max-depth', { type: 'number', describe: 'deepest container nesting to decode' })
    .option('max-members', { type: 'number', describe: 'most artifacts to visit' })
    .option('max-expanded', { type: 'number', describe: 'most decompressed bytes in total' })
    .option('max-seconds', { type: 'number', describe: 'most seconds the inspection may take (no limit by default)' })
    .option('max-memory', { type: 'number', describe: 'most bytes of decoder state (tables, member lists, manifests) held at once' })
    .option('temp-dir', TEMP_DIR_OPTION)
    .option('width', { type: 'number', describe: 'lay the table output out for this many columns (default: the terminal width; 0: never wrap)' });
}

export async function main(argv: string[]): Promise<number> {
  watchOutput();
  installSignalHandlers();
  let code: number = EXIT.ok;
  const parser = yargs(argv)
    .scriptName('romscope')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'name a command: inspect, check, extract, ls or rules')
    .command(
      'inspect <file>',
      'describe a firmware package: its artifacts, formats, digests and findings',
      (y) => common(y.positional('file', { type: 'string', demandOption: true })),
      async (a) => {
        print(await runInspect(a.file, a), a);
      },
    )
    .command(
      'check <file>',
      'validate a firmware package; exit 1 when findings reach --fail-on',
      (y) =>
        common(y.positional('file', { type: 'string', demandOption: true })).option('fail-on', {
          choices: [...SEVERITIES, 'none'] as const,
          default: 'error' as const,
          describe: 'lowest severity that fails the check',
        }),
      async (a) => {
        const report = await runInspect(a.file, a);
        print(report, a);
        const rank = (s: string) => SEVERITIES.indexOf(s as Severity);
        const failOn = a['fail-on'];
        if (failOn !== 'none' && report.findings.some((f) => rank(f.severity) <= rank(failOn))) code = EXIT.findings;
      },
    )
    .command(
      'extract <file> <artifact>',
      'write one artifact (a path from inspect) to a file or directory',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .positional('artifact', { type: 'string', demandOption: true, describe: 'artifact path as shown by inspect' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output directory (or file name)' })
          .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing output file' })
          .option('temp-dir', TEMP_DIR_OPTION)
          .option('json', { type: 'boolean', default: false }),
      async (a) => {
        const progress = new Progress(!!process.stderr.isTTY);
        const r = await extract(a.file, a.artifact, a.output, {
          force: a.force,
          ...tempDirOf(a['temp-dir']),
          onProgress: (n, size) => progress.written(n, size, a.artifact),
        }).finally(() => progress.done());
        process.stdout.write(a.json ? JSON.stringify(r, null, 2) + '\n' : `wrote ${terminalSafe(r.output)} (${r.bytes} bytes, sha256 ${r.hashes.sha256})\n`);
      },
    )
    .command(
      'ls <file> <path>',
      'list a directory (or a file) inside a file system image in the package',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .positional('path', { type: 'string', demandOption: true, describe: "the image's artifact path, then the directory inside it" })
          .option('temp-dir', TEMP_DIR_OPTION)
          .option('json', { type: 'boolean', default: false }),
      async (a) => {
        const entries = await ls(a.file, a.path, tempDirOf(a['temp-dir']));
        process.stdout.write(a.json ? JSON.stringify(entries, null, 2) + '\n' : renderLs(entries));
      },
    )
    .command(
      'rules',
      'list the rules romscope checks',
      (y) => y.option('json', { type: 'boolean', default: false }),
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
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help();
  try {
    await parser.parseAsync();
  } catch (e) {
    process.stderr.write(`romscope: ${terminalSafe(errorMessage(e))}\n`);
    if (e instanceof ExtractVerifyError) return EXIT.findings;
    return EXIT.usage;
  }
  return code;
}
