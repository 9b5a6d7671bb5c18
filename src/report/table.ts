/** Human output: artifact tree, findings and summary as tables. Pure: report in, text out. */
import Table from 'cli-table3';
import type { Artifact, Report, Severity } from './model';
import { humanSize, type Colors } from './format';

export interface TableOptions {
  colors: Colors;
  /** Leave out the artifact table (--quiet). */
  quiet?: boolean;
  /** Digest column to show (the first requested). */
  hash?: string;
  /** Terminal width to wrap long messages to; no wrapping when absent (pipes, files). */
  width?: number;
}

function sevColor(c: Colors, s: Severity): string {
  return s === 'error' ? c.red(s) : s === 'warning' ? c.yellow(s) : c.dim(s);
}

function infoSummary(a: Artifact): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(a.info)) {
    if (v === undefined || v === null || typeof v === 'object') continue;
    parts.push(`${k}=${v}`);
    if (parts.length >= 4) break;
  }
  return parts.join(' ');
}

const tableChars = { style: { head: [], border: [] } };

/** On a terminal the last column wraps; elsewhere lines stay whole so they can be grepped. */
function wrap(width: number | undefined, columns: number, last: number) {
  if (!width) return {};
  const widths: (number | null)[] = [...Array(columns - 1).fill(null), last];
  return { wordWrap: true, wrapOnWordBoundary: false, colWidths: widths as number[] };
}

/** The compatibility verdict, and (unless quiet) the declarations behind it: this opens the output. */
function compatibility(r: Report, o: TableOptions): string[] {
  const c = o.colors;
  const s = r.summary.compatibility;
  if (!s) return [];
  const v = s.verdict === 'compatible' ? c.green('compatible') : s.verdict === 'incompatible' ? c.red('INCOMPATIBLE') : c.yellow('unknown');
  const out = [`${c.bold('compatibility')}: ${v} (${s.reason})`];
  if (o.quiet || s.evidence.length === 0) return out;
  const t = new Table({ head: ['result', 'declares', 'where', 'source', 'checked by flasher'], ...tableChars, ...wrap(o.width, 5, 20) });
  for (const e of s.evidence) {
    const declares = Object.entries(e.declares)
      .map(([k, vs]) => `${k} ${vs.join(' | ')}`)
      .join('; ');
    const res = e.result === 'match' ? c.green('match') : e.result === 'mismatch' ? c.red('mismatch') : c.dim('unknown');
    t.push([res, declares, `${e.path || r.root.name}${e.line === undefined ? '' : `:${e.line}`}`, e.source, e.enforced ? 'yes' : 'no']);
  }
  out.push(t.toString());
  return out;
}

export function renderTable(r: Report, o: TableOptions): string {
  const c = o.colors;
  const out: string[] = [...compatibility(r, o)];
  const hash = o.hash ?? 'sha256';
  if (!o.quiet) {
    const t = new Table({ head: ['artifact', 'format', 'size', hash, 'details'], ...tableChars, ...wrap(o.width, 5, 40) });
    const add = (a: Artifact, depth: number) => {
      const label = depth === 0 ? r.root.name : `${'  '.repeat(depth - 1)}${a.path}`;
      const h = a.hashes[hash as keyof typeof a.hashes];
      t.push([label, a.format, humanSize(a.size), h ? (h.length > 16 ? `${h.slice(0, 16)}…` : h) : c.dim('-'), infoSummary(a)]);
      for (const ch of a.children) add(ch, depth + 1);
    };
    add(r.root, 0);
    out.push(t.toString());
  }
  if (r.findings.length) {
    const t = new Table({ head: ['severity', 'rule', 'artifact', 'message'], ...tableChars, ...wrap(o.width, 4, 64) });
    for (const f of r.findings) t.push([sevColor(c, f.severity), f.ruleId, f.path || r.root.name, f.message]);
    out.push(t.toString());
  } else {
    out.push(c.green('No findings.'));
  }
  const s = r.summary;
  const integ = s.integrity.status === 'failed' ? c.red('FAILED') : s.integrity.status === 'verified' ? c.green('verified') : c.yellow('unchecked');
  out.push(`${c.bold('integrity')}: ${integ} (${s.integrity.checks} checks, ${s.integrity.failed} failed)   ` + `${c.bold('signature')}: ${s.signature.status} (${s.signature.reason})`);
  out.push(`${s.artifacts} artifacts, ${s.errors} errors, ${s.warnings} warnings, ${s.infos} info`);
  return out.join('\n');
}
