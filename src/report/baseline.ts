/**
 * Baselines (docs/baselines.md): the findings a project has accepted, by
 * fingerprint, so a CI run fails only on new ones. A baseline file is what
 * `--write-baseline` writes; a romscope JSON report (one, or the array of a
 * multi-input run) or a SARIF log from romscope is accepted as one too. A
 * baseline that cannot be read, or that holds no fingerprint list romscope
 * recognises, is an error: never an empty baseline, which would let every
 * finding through as new and look like a clean gate.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../io/errors';
import type { Finding, Report } from './model';

/** The key romscope's fingerprints have in SARIF `partialFingerprints`. */
export const SARIF_FINGERPRINT_KEY = 'romscopeFinding/v2';
/** `romscopeBaseline` in a baseline file: its format version. */
export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  path: string;
  /** The message when the baseline was written, for people reading the file; never compared. */
  message?: string;
}

export interface Baseline {
  file: string;
  fingerprints: Set<string>;
}

const FP = /^[0-9a-f]{32}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fingerprints in a parsed baseline document, or why there are none to take. */
function fingerprintsOf(doc: unknown): string[] | string {
  const fromFindings = (list: unknown, where: string): string[] | string => {
    if (!Array.isArray(list)) return `${where} is not a list`;
    const out: string[] = [];
    for (const [i, f] of list.entries()) {
      if (!isObj(f) || typeof f.fingerprint !== 'string' || !FP.test(f.fingerprint)) return `${where}[${i}] has no fingerprint of 32 hex digits (a report written before fingerprints existed?)`;
      out.push(f.fingerprint);
    }
    return out;
  };
  if (isObj(doc) && doc.romscopeBaseline !== undefined) {
    if (doc.romscopeBaseline !== BASELINE_VERSION) return `baseline format ${JSON.stringify(doc.romscopeBaseline)} is not one this version reads (${BASELINE_VERSION})`;
    return fromFindings(doc.findings, 'findings');
  }
  // A romscope JSON report, or the array a run over several inputs prints.
  const reports = Array.isArray(doc) ? doc : [doc];
  if (reports.length && reports.every((r) => isObj(r) && isObj(r.tool) && r.tool.name === 'romscope' && Array.isArray(r.findings))) {
    const out: string[] = [];
    for (const [i, r] of reports.entries()) {
      const got = fromFindings((r as Record<string, unknown>).findings, reports.length > 1 ? `report ${i + 1}: findings` : 'findings');
      if (typeof got === 'string') return got;
      out.push(...got);
    }
    return out;
  }
  // A SARIF log from romscope.
  if (isObj(doc) && typeof doc.version === 'string' && Array.isArray(doc.runs)) {
    const out: string[] = [];
    for (const run of doc.runs as unknown[]) {
      const driver = isObj(run) && isObj(run.tool) && isObj(run.tool.driver) ? run.tool.driver : null;
      if (!driver || driver.name !== 'romscope') return 'a SARIF log whose runs are not all romscope runs';
      for (const res of Array.isArray((run as Record<string, unknown>).results) ? ((run as Record<string, unknown>).results as unknown[]) : []) {
        const fp = isObj(res) && isObj(res.partialFingerprints) ? res.partialFingerprints[SARIF_FINGERPRINT_KEY] : undefined;
        if (typeof fp !== 'string' || !FP.test(fp)) return `a SARIF result without a "${SARIF_FINGERPRINT_KEY}" fingerprint`;
        out.push(fp);
      }
    }
    return out;
  }
  return 'neither a romscope baseline (romscopeBaseline), a romscope JSON report nor a romscope SARIF log';
}

/** Reads a baseline file; a file that cannot be read or understood is a usage error (exit 2). */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--baseline ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--baseline ${file}: not JSON (${(e as Error).message})`);
  }
  const got = fingerprintsOf(doc);
  if (typeof got === 'string') throw new UsageError(`--baseline ${file}: ${got}`);
  return { file, fingerprints: new Set(got) };
}

/** Marks each finding `new` or `unchanged`, and counts only the new ones in the summary. */
export function applyBaseline(report: Report, baseline: Baseline): Report {
  let suppressed = 0;
  for (const f of report.findings) {
    f.baselineState = baseline.fingerprints.has(f.fingerprint) ? 'unchanged' : 'new';
    if (f.baselineState === 'unchanged') suppressed++;
  }
  const counted = countedFindings(report);
  report.summary.errors = counted.filter((f) => f.severity === 'error').length;
  report.summary.warnings = counted.filter((f) => f.severity === 'warning').length;
  report.summary.infos = counted.filter((f) => f.severity === 'info').length;
  report.summary.baseline = { file: baseline.file, entries: baseline.fingerprints.size, suppressed, new: report.findings.length - suppressed };
  return report;
}

/** The findings that count toward the exit code and the summary: all of them, or with a baseline the new ones. */
export function countedFindings(report: Report): Finding[] {
  return report.findings.filter((f) => f.baselineState !== 'unchanged');
}

/** The baseline file for these reports' findings (`--write-baseline`). */
export function renderBaseline(reports: readonly Report[]): string {
  const seen = new Set<string>();
  const findings: BaselineEntry[] = [];
  for (const r of reports) {
    for (const f of r.findings) {
      if (seen.has(f.fingerprint)) continue;
      seen.add(f.fingerprint);
      findings.push({ fingerprint: f.fingerprint, ruleId: f.ruleId, path: f.path, message: f.message });
    }
  }
  return JSON.stringify({ romscopeBaseline: BASELINE_VERSION, tool: { name: 'romscope' }, findings }, null, 2) + '\n';
}
