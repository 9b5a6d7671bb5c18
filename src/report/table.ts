/** Human output: artifact tree, findings and summary as tables. Pure: report in, text out. */
import Table from 'cli-table3';
import type { Artifact, Report, Severity } from './model';
import { IDENTITY_FIELDS } from '../compat/identity';
import { humanSize, terminalSafe as safe, type Colors } from './format';
import { handlerById } from '../formats/registry';
import { besides, fitRows, MIN_WIDTH, textWidth, wrapText } from './layout';

// cli-table3's own width measure (ANSI colours stripped, wide characters counted twice), so widths agree with its layout.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { strlen: tableStrlen } = require('cli-table3/src/utils') as { strlen(s: string): number };
// Printable ASCII, the common case, is one column a character.
const strlen = (s: string): number => (/^[\x20-\x7e]*$/.test(s) ? s.length : tableStrlen(s));

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

/** Info keys a container gives its members (zip compression, tar mode): no part of what the member is. */
const MEMBER_KEYS = new Set(['compression', 'compressedSize', 'mode', 'uid', 'gid', 'mtime']);

/**
 * The details shown for an artifact: what its format's handler picks
 * (`summary` in src/formats/types.ts), else its first scalar info values.
 */
export function artifactDetails(a: Artifact): string {
  // `--no-hash` listed it without reading it (src/pipeline/walk.ts NOT_READ).
  if (typeof a.info.notRead === 'string') return safe(a.info.notRead.replace(/:.*$/, ''));
  const handler = handlerById(a.format);
  if (handler?.summary) {
    try {
      return safe(handler.summary(a.info).join(', '));
    } catch {
      // A summary that trips on odd info falls back to the plain values below.
    }
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(a.info)) {
    if (v === undefined || v === null || typeof v === 'object' || MEMBER_KEYS.has(k)) continue;
    parts.push(safe(`${k}=${v}`));
    if (parts.length >= 4) break;
  }
  return parts.join(' ');
}

const tableChars = { style: { head: [], border: [] } };

/** On a terminal the last column wraps; elsewhere lines stay whole so they can be grepped. */
function wrap(width: number | undefined, columns: number, last: number) {
  if (!width) return {};
  const widths: (number | null)[] = [...Array<null>(columns - 1).fill(null), last];
  return { wordWrap: true, wrapOnWordBoundary: false, colWidths: widths as number[] };
}

/** Rows cli-table3 lays out at once: its layout costs more than linear time in the row count. */
const CHUNK_ROWS = 200;

/**
 * A table drawn as cli-table3 draws it, in linear time: the column widths are
 * measured over all rows first, then the rows are drawn in chunks with those
 * widths fixed, and the chunks joined with the row separator.
 */
export function drawTable(head: string[], rows: string[][], width: number | undefined, last: number): string {
  const opts = { ...tableChars, ...wrap(width, head.length, last) };
  if (rows.length <= CHUNK_ROWS) {
    const t = new Table({ head, ...opts });
    t.push(...rows);
    return t.toString();
  }
  const fixed = (opts as { colWidths?: (number | null)[] }).colWidths;
  const widths = head.map((h, i) => {
    if (fixed?.[i]) return fixed[i];
    let w = strlen(h);
    for (const r of rows) w = Math.max(w, strlen(r[i] ?? ''));
    return w + 2;
  });
  const sep = `├${widths.map((w) => '─'.repeat(w)).join('┼')}┤`;
  if (!fixed) {
    // Nothing wraps: each line is every cell's line padded to its column, as cli-table3 pads it.
    const draw = (cells: string[]): string => {
      const lines = cells.map((c) => c.split('\n'));
      const height = Math.max(...lines.map((l) => l.length));
      const out: string[] = [];
      for (let k = 0; k < height; k++) out.push(`│${lines.map((l, i) => ` ${l[k] ?? ''}${' '.repeat(widths[i] - 2 - strlen(l[k] ?? ''))} `).join('│')}│`);
      return out.join('\n');
    };
    const out = [`┌${widths.map((w) => '─'.repeat(w)).join('┬')}┐`, draw(head)];
    for (const r of rows) out.push(sep, draw(r));
    out.push(`└${widths.map((w) => '─'.repeat(w)).join('┴')}┘`);
    return out.join('\n');
  }
  const out: string[] = [];
  for (let at = 0; at < rows.length; at += CHUNK_ROWS) {
    const t = new Table({ ...(at === 0 ? { head } : {}), ...opts, colWidths: widths });
    // A column cli-table3 would size itself is never wrapped, as it would not be (its wrapping miscounts colour codes).
    const chunk = rows.slice(at, at + CHUNK_ROWS);
    t.push(...(fixed ? chunk.map((r) => r.map((content, i) => (fixed[i] ? content : { content, wordWrap: false }))) : chunk));
    const lines = t.toString().split('\n');
    if (at > 0) lines[0] = sep;
    if (at + CHUNK_ROWS < rows.length) lines.pop();
    out.push(lines.join('\n'));
  }
  return out.join('\n');
}

/** The width to lay out for, or undefined when lines stay whole (pipes, files). */
function widthOf(o: TableOptions): number | undefined {
  return o.width ? Math.max(MIN_WIDTH, o.width) : undefined;
}

/** A line of prose: wrapped to the width when there is one. */
function para(text: string, o: TableOptions): string {
  const w = widthOf(o);
  return w ? wrapText(text, w).join('\n') : text;
}

/**
 * A table laid out for the terminal: drawn when it fits the width (its
 * `flex` column wrapped at spaces), else `list` lays its rows out as blocks.
 * Without a width the table keeps one row a line.
 */
function layoutTable(head: string[], rows: string[][], o: TableOptions, flex: number, list: (width: number) => string[]): string {
  const w = widthOf(o);
  if (!w) return drawTable(head, rows, undefined, 0);
  const fitted = fitRows(head, rows, w, flex);
  // A list is set off from what surrounds it by blank lines, as a table is by its borders.
  return fitted ? drawTable(head, fitted, undefined, 0) : ['', ...list(w), ''].join('\n');
}

/** Rows as blocks: the `title` column heads each block, then every other non-empty cell beside its column name. */
function rowsAsList(head: string[], rows: string[][], title: number, width: number): string[] {
  const labelWidth = Math.max(...head.map((h, i) => (i === title ? 0 : textWidth(h))));
  const out: string[] = [];
  for (const r of rows) {
    if (r[title]) out.push(...wrapText(r[title], width));
    r.forEach((cell, i) => {
      if (i !== title && cell) out.push(...besides(`  ${head[i].padEnd(labelWidth)}  `, cell, width));
    });
  }
  return out;
}

/** The compatibility verdict, and (unless quiet) the declarations behind it: this opens the output. */
function compatibility(r: Report, o: TableOptions): string[] {
  const c = o.colors;
  const s = r.summary.compatibility;
  if (!s) return [];
  const v = s.verdict === 'compatible' ? c.green('compatible') : s.verdict === 'incompatible' ? c.red('INCOMPATIBLE') : c.yellow('unknown');
  const out = [para(`${c.bold('compatibility')}: ${v} (${safe(s.reason)})`, o)];
  if (o.quiet || s.evidence.length === 0) return out;
  const rows: string[][] = [];
  for (const e of s.evidence) {
    const declares = Object.entries(e.declares)
      .map(([k, vs]) => `${k} ${vs.join(' | ')}`)
      .join('; ');
    const res = e.result === 'match' ? c.green('match') : e.result === 'mismatch' ? c.red('mismatch') : c.dim('unknown');
    rows.push([res, safe(declares), safe(`${e.path || r.root.name}${e.line === undefined ? '' : `:${e.line}`}`), e.source, e.enforced ? 'yes' : 'no']);
  }
  const head = ['result', 'declares', 'where', 'source', 'checked by flasher'];
  out.push(layoutTable(head, rows, o, 1, (w) => rowsAsList(head, rows, 2, w)));
  return out;
}

/**
 * The build's identity from the property files inside the package: one row
 * per field; a field whose files disagree gets one row per value, naming the
 * partitions that give it.
 */
function build(r: Report, o: TableOptions): string[] {
  const b = r.summary.build;
  if (!b) return [];
  const c = o.colors;
  const head = `${c.bold('build')}: ${safe(b.fingerprint ?? b.device ?? 'no fingerprint')} (from ${b.partitions.length} property file${b.partitions.length === 1 ? '' : 's'})`;
  if (o.quiet) return [para(head, o)];
  const rows: string[][] = [];
  for (const [field, label] of IDENTITY_FIELDS) {
    const byValue = new Map<string, string[]>();
    for (const p of b.partitions) {
      const v = p[field];
      if (v === undefined) continue;
      const shown = field === 'buildDate' ? `${p.buildDateUtc} (${v})` : v;
      const list = byValue.get(shown);
      if (list) list.push(p.partition);
      else byValue.set(shown, [p.partition]);
    }
    let firstRow = true;
    for (const [v, parts] of byValue) {
      const name = firstRow ? label : '';
      rows.push([byValue.size > 1 && firstRow ? c.yellow(name) : name, safe(v), safe([...new Set(parts)].join(', '))]);
      firstRow = false;
    }
  }
  const names = ['property', 'value', 'partitions'];
  return [para(head, o), layoutTable(names, rows, o, 1, (w) => rowsAsList(names, rows, 0, w))];
}

/**
 * Artifacts as blocks, indented by depth: the path, then format, size and
 * digest, then the details, each wrapped to the width.
 */
function artifactList(rows: string[][], depths: number[], hash: string, width: number): string[] {
  const out: string[] = [];
  rows.forEach(([label, format, size, digest, details], i) => {
    const ind = ' '.repeat(Math.min(2 * depths[i], width / 2));
    out.push(...besides(ind, label.trimStart(), width));
    out.push(...besides(`${ind}  `, `${format} · ${size} · ${hash} ${digest}`, width));
    if (details) out.push(...besides(`${ind}  `, details, width));
  });
  return out;
}

/**
 * Findings as ESLint's stylish lays them out, grouped by artifact: the
 * artifact's path, then each finding's severity and rule aligned, and its
 * message in a column beside them.
 */
function findingList(rows: string[][], width: number): string[] {
  const out: string[] = [];
  let last: string | undefined;
  const sevWidth = Math.max(...rows.map((r) => textWidth(r[0])));
  for (const [sev, rule, artifact, message] of rows) {
    if (artifact !== last) {
      if (last !== undefined) out.push('');
      out.push(...wrapText(artifact, width));
      last = artifact;
    }
    const indent = `  ${' '.repeat(sevWidth)}  `;
    out.push(...besides(`  ${sev}${' '.repeat(sevWidth - textWidth(sev))}  `, rule, width));
    out.push(...besides(indent, message, width));
  }
  return out;
}

export function renderTable(r: Report, o: TableOptions): string {
  const c = o.colors;
  const out: string[] = [...compatibility(r, o), ...build(r, o)];
  const hash = o.hash ?? 'sha256';
  if (!o.quiet) {
    const rows: string[][] = [];
    const depths: number[] = [];
    const add = (a: Artifact, depth: number) => {
      const label = depth === 0 ? r.root.name : `${'  '.repeat(depth - 1)}${a.path}`;
      const h = a.hashes[hash as keyof typeof a.hashes];
      rows.push([safe(label), a.format, humanSize(a.size), h ? (h.length > 16 ? `${h.slice(0, 16)}…` : h) : c.dim('-'), artifactDetails(a)]);
      depths.push(depth);
      for (const ch of a.children) add(ch, depth + 1);
    };
    add(r.root, 0);
    const head = ['artifact', 'format', 'size', hash, 'details'];
    out.push(layoutTable(head, rows, o, 4, (w) => artifactList(rows, depths, hash, w)));
  }
  const shown = r.findings.filter((f) => f.baselineState !== 'unchanged');
  if (shown.length) {
    const rows = shown.map((f) => [sevColor(c, f.severity), f.ruleId, safe(f.path || r.root.name), safe(f.message)]);
    out.push(layoutTable(['severity', 'rule', 'artifact', 'message'], rows, o, 3, (w) => findingList(rows, w)));
  } else {
    out.push(c.green(r.summary.baseline ? 'No new findings.' : 'No findings.'));
  }
  const s = r.summary;
  if (s.baseline?.suppressed) out.push(para(c.dim(`${s.baseline.suppressed} finding${s.baseline.suppressed === 1 ? '' : 's'} in the baseline (${safe(s.baseline.file)}) not shown`), o));
  const integ = s.integrity.status === 'failed' ? c.red('FAILED') : s.integrity.status === 'verified' ? c.green('verified') : c.yellow(s.integrity.reason ? 'not checked (--no-hash)' : 'unchecked');
  const n = s.notUnderstood?.members ?? 0;
  const unknown = n ? c.yellow(` — ${n} member${n === 1 ? '' : 's'} not understood`) : '';
  const integrity = `${c.bold('integrity')}: ${integ} (${s.integrity.checks} checks, ${s.integrity.failed} failed)${unknown}`;
  const signature = `${c.bold('signature')}: ${s.signature.status} (${safe(s.signature.reason)})`;
  // Piped, the two stay on one line (as scripts grep them); on a terminal each is a paragraph.
  out.push(o.width ? `${para(integrity, o)}\n${para(signature, o)}` : `${integrity}   ${signature}`);
  out.push(para(`${s.artifacts} artifacts, ${s.errors} errors, ${s.warnings} warnings, ${s.infos} info`, o));
  // Two lists in a row are set off by one blank line, not two.
  return o.width ? out.join('\n').replace(/\n{3,}/g, '\n\n') : out.join('\n');
}
