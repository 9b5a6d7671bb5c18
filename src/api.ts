/**
 * The library's front door (docs/library.md): inspect a path, a Buffer or a
 * readable stream, with an AbortSignal; format a report by name; decide pass
 * or fail with the CLI's `--fail-on` / `--max-warnings` semantics.
 */
import { countedFindings } from './report/baseline';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inspect as inspectPath, type InspectOptions } from './pipeline/inspect';
import { AbortError, UsageError } from './io/errors';
import { renderJson } from './report/json';
import { renderTable, type TableOptions } from './report/table';
import { renderSarif, type SarifOptions } from './report/sarif';
import { renderHtml } from './report/html';
import { ANSI, PLAIN } from './report/format';
import { SEVERITIES, type Severity } from './report/model';
import { typedReport, type Report } from './report/public';
import { RULES } from './rules/registry';
import { HANDLERS, detectFormat as detectHandler } from './formats/registry';
import type { DetectConfidence, DetectInput, FormatRole } from './formats/types';
import type { FormatId } from './formats/ids';

/** What `inspect` reads: a file path, the bytes of a package, or a stream of them (spilled to a temporary file first). */
export type InspectInput = string | Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export interface InspectCallOptions extends InspectOptions {
  /** Stops the inspection; the promise then rejects with an `AbortError` (code `ROMSCOPE_ABORTED`). */
  signal?: AbortSignal;
  /** The name the report gives a Buffer or stream input (`report.input.path`; default `input`). */
  name?: string;
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError();
}

/**
 * Inspects a firmware package: decodes every layer, checks every checksum and
 * signature it can, runs the rules. Bad input gives findings, not
 * exceptions; it rejects only for a usage problem (`UsageError`: no such
 * file...) or an abort (`AbortError`).
 */
export async function inspect(input: InspectInput, opts: InspectCallOptions = {}): Promise<Report> {
  const { signal, name, ...rest } = opts;
  aborted(signal);
  const run = async (path: string): Promise<Report> => {
    const report = await inspectPath(path, { ...rest, budget: { ...rest.budget, ...(signal ? { signal } : {}) } });
    aborted(signal);
    return typedReport(report);
  };
  if (typeof input === 'string') return run(input);
  const dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'romscope-input-'));
  try {
    const file = join(dir, 'input');
    if (input instanceof Uint8Array) await writeFile(file, input);
    else if (isAsyncIterable(input)) await pipeline(input, createWriteStream(file), signal ? { signal } : {});
    else throw new UsageError('inspect: the input must be a path, a Buffer or a readable stream');
    const report = await run(file);
    return { ...report, input: { ...report.input, path: name ?? 'input' } };
  } catch (e) {
    if ((e as Error).name === 'AbortError' && !(e instanceof AbortError)) throw new AbortError();
    throw e;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

/** Output formats `format` knows (the CLI's `--format`). */
export type FormatName = 'table' | 'json' | 'sarif' | 'html';

export interface FormatOptions {
  /** table: ANSI colours (default false). */
  color?: boolean;
  /** table: findings and the summary only (the CLI's `--quiet`). */
  quiet?: boolean;
  /** table: the digest column to show (default the first one computed). */
  hash?: string;
  /** table: wrap long messages to this many columns (default: no wrapping). */
  width?: number;
  /** sarif: the rules listed in `tool.driver.rules` (default every registered rule). */
  rules?: SarifOptions['rules'];
  /** sarif and html: where the rule pages are (default this version's pages on the project's repository). */
  docsBaseUri?: string;
}

/** The report as the CLI prints it with `--format <name>`. */
export function format(report: Report, name: FormatName = 'table', o: FormatOptions = {}): string {
  switch (name) {
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report, { rules: o.rules ?? RULES, ...(o.docsBaseUri === undefined ? {} : { docsBaseUri: o.docsBaseUri }) });
    case 'html':
      return renderHtml(report, o.docsBaseUri === undefined ? {} : { docsBaseUri: o.docsBaseUri });
    case 'table': {
      const t: TableOptions = { colors: o.color ? ANSI : PLAIN, quiet: o.quiet, hash: o.hash, width: o.width };
      return renderTable(report, t);
    }
    default:
      throw new UsageError(`unknown format "${String(name)}" (table, json, sarif or html)`);
  }
}

/** The lowest severity that fails (`--fail-on`), or 'none'. */
export type FailOn = Severity | 'none';

export interface VerdictOptions {
  /** Findings at or above this severity fail (default 'error'), as `--fail-on`. */
  failOn?: FailOn;
  /** More warnings than this fail, whatever `failOn` says (as ESLint's and the CLI's `--max-warnings`; default: no limit). */
  maxWarnings?: number;
}

export interface Verdict {
  /** True when the report passes. */
  ok: boolean;
  /** The CLI's exit code for it: 0 pass, 1 fail. */
  exitCode: 0 | 1;
  /** Why it failed, in plain words; empty when it passes. */
  reasons: string[];
}

/** Pass or fail, with the CLI's semantics: exit code 1 when a finding reaches `failOn` or the warnings exceed `maxWarnings`. */
export function verdict(report: Report, o: VerdictOptions = {}): Verdict {
  // A report made with `noHash` compared no digest: passing it would pass what was never checked (the CLI's `check` refuses --no-hash too).
  if (report.summary.integrity.reason !== undefined) throw new UsageError(`no verdict on a report made with noHash: ${report.summary.integrity.reason}`);
  const failOn = o.failOn ?? 'error';
  const reasons: string[] = [];
  if (failOn !== 'none') {
    const limit = SEVERITIES.indexOf(failOn);
    if (limit < 0) throw new UsageError(`failOn must be error, warning, info or none, not "${String(failOn)}"`);
    const n = countedFindings(report).filter((f) => SEVERITIES.indexOf(f.severity) <= limit).length;
    if (n > 0) reasons.push(`${n} finding${n === 1 ? '' : 's'} at or above ${failOn}`);
  }
  if (o.maxWarnings !== undefined) {
    if (!Number.isInteger(o.maxWarnings) || o.maxWarnings < 0) throw new UsageError(`maxWarnings must be a whole number of 0 or more, not ${String(o.maxWarnings)}`);
    const w = countedFindings(report).filter((f) => f.severity === 'warning').length;
    if (w > o.maxWarnings) reasons.push(`${w} warnings, more than the ${o.maxWarnings} allowed`);
  }
  return { ok: reasons.length === 0, exitCode: reasons.length ? 1 : 0, reasons };
}

/** `verdict(report, o).ok`. */
export function passes(report: Report, o: VerdictOptions = {}): boolean {
  return verdict(report, o).ok;
}

/** A format romscope recognises (docs/formats.md), as the library describes it. */
export interface FormatDescription {
  /** The format id artifacts of this format carry (`Artifact.format`). */
  id: FormatId;
  description: string;
  /** What the format is: `archive`, `compression`, `partition-image`, `partition-table`... */
  role: FormatRole;
  /** How much a match proves: `magic`, `weak-magic` or `name` (docs/formats.md#how-detection-works). */
  confidence: DetectConfidence;
}

/** Every format romscope recognises, one entry per id, in the order detection tries them. */
export const FORMATS: readonly FormatDescription[] = Object.freeze(
  HANDLERS.filter((h, i) => HANDLERS.findIndex((x) => x.id === h.id) === i).map((h) => Object.freeze({ id: h.id, description: h.description, role: h.traits.role, confidence: h.traits.confidence })),
);

/**
 * The format of some bytes, as `inspect` would name them, from their first
 * bytes (`peek`: up to 64 KiB), a name hint and the size if known; null when
 * no format matches (`data`).
 */
export function detectFormat(input: DetectInput): FormatId | null {
  return detectHandler(input)?.id ?? null;
}
