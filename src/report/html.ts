/**
 * The report as one self-contained HTML page (docs/report-format.md#html):
 * the verdict first, then the findings grouped by severity with a link to
 * each rule's page, then the artifact tree as nested <details> elements.
 *
 * The page loads nothing and runs nothing: no script, font, image or style
 * sheet from anywhere, and a Content-Security-Policy that allows only the one
 * style element (by its hash), so even a string the escaping missed could not
 * load or execute anything. It works from file:// and as an e-mail attachment.
 * Every string from the report passes through `text()` (control and
 * bidirectional characters made visible, then HTML-escaped), attribute values
 * included: member names and properties inside firmware are hostile.
 *
 * A pure function of the report: no time, host or random value, so the same
 * report gives the same bytes.
 */
import { createHash } from 'node:crypto';
import type { Artifact, Finding, Report, Severity } from './model';
import { SEVERITIES } from './model';
import { IDENTITY_FIELDS } from '../compat/identity';
import { humanSize, terminalSafe } from './format';
import { artifactDetails } from './table';
import { RULE_DOCS_BASE_URI } from '../project';

export interface HtmlOptions {
  /** Absolute URI the rule pages hang under (`<base><area>/<name>.md`); default this version's pages on the project's repository. */
  docsBaseUri?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes a string for text and for quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A string from the report as HTML text: control and bidirectional characters made visible (as on a terminal), then escaped. */
function text(s: unknown): string {
  return escapeHtml(terminalSafe(String(s)));
}

/** Nested values shown in an artifact's info are cut at this many characters (the JSON report has them whole). */
const MAX_VALUE_CHARS = 600;

/** Keys of an artifact's info shown at most (the JSON report has them all). */
const MAX_INFO_KEYS = 60;

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--box:#f6f8fa;--link:#0550ae;
--err:#b3261e;--err-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff4d6;--ok:#1a7f37;--ok-bg:#e6f4ea;--info:#3d4f63;--info-bg:#eef1f5}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--box:#161b22;--link:#79b8ff;
--err:#ff8a80;--err-bg:#3b1513;--warn:#f2cc60;--warn-bg:#352a0c;--ok:#7ee2a8;--ok-bg:#0f2e1b;--info:#b6c2cf;--info-bg:#1c232c}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0 auto;max-width:72rem;padding:1rem;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;overflow-wrap:anywhere}
h1{font-size:1.35rem;margin:0 0 .5rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
a{color:var(--link)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.hash{display:block;max-width:100%;overflow-x:auto;white-space:nowrap;background:var(--box);border:1px solid var(--line);border-radius:4px;padding:.1rem .35rem}
dl.kv{display:grid;grid-template-columns:minmax(6rem,max-content) minmax(0,1fr);gap:.2rem .8rem;margin:.4rem 0}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;min-width:0}
.verdict{border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;margin:.8rem 0}
.verdict.bad{border-color:var(--err);background:var(--err-bg)}.verdict.warn{border-color:var(--warn);background:var(--warn-bg)}.verdict.good{border-color:var(--ok);background:var(--ok-bg)}
.headline{font-size:1.1rem;font-weight:600;margin:0 0 .4rem}
.st{font-weight:600}.st.bad{color:var(--err)}.st.warn{color:var(--warn)}.st.good{color:var(--ok)}.st.none{color:var(--muted)}
.sev{display:inline-block;font-size:.8em;font-weight:600;border-radius:3px;padding:0 .35rem;text-transform:uppercase}
.sev.error{color:var(--err);background:var(--err-bg)}.sev.warning{color:var(--warn);background:var(--warn-bg)}.sev.info{color:var(--info);background:var(--info-bg)}
ol.findings{list-style:none;padding:0;margin:0}
ol.findings li{border-left:3px solid var(--line);padding:.3rem .6rem;margin:.4rem 0;background:var(--box)}
ol.findings li.error{border-left-color:var(--err)}ol.findings li.warning{border-left-color:var(--warn)}ol.findings li.info{border-left-color:var(--info)}
.where{color:var(--muted);font-size:.9em}
.msg{margin:.15rem 0 0;white-space:pre-wrap}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.92em}th,td{border:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top}th{background:var(--box)}
details{margin:.15rem 0}
details.artifact{border-left:1px solid var(--line);padding-left:.6rem}
details.artifact>summary{cursor:pointer;padding:.1rem 0}
.tree>details.artifact{border-left:0;padding-left:0}
.children{margin-left:.3rem}
.fmt{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;background:var(--box);border:1px solid var(--line);border-radius:3px;padding:0 .25rem}
.size,.count{color:var(--muted);font-size:.9em}
.body{padding:.2rem 0 .4rem .9rem}
pre.value{margin:0;white-space:pre-wrap;background:var(--box);border:1px solid var(--line);border-radius:4px;padding:.2rem .35rem;font-size:.85em}
footer{margin-top:2rem;color:var(--muted);font-size:.85em}
article+article{margin-top:3rem;border-top:3px solid var(--line)}
@media (max-width:30rem){body{padding:.6rem;font-size:14px}header dl.kv,.verdict dl.kv{grid-template-columns:minmax(0,1fr)}header dl.kv dt,.verdict dl.kv dt{margin-top:.3rem}dl.kv{grid-template-columns:minmax(3.5rem,max-content) minmax(0,1fr);gap:.15rem .5rem}.body{padding-left:.4rem}}
@media print{
:root{--bg:#fff;--fg:#000;--muted:#444;--line:#999;--box:#fff;--link:#000;--err:#000;--err-bg:#fff;--warn:#000;--warn-bg:#fff;--ok:#000;--ok-bg:#fff;--info:#000;--info-bg:#fff;color-scheme:light}
body{max-width:none;padding:0;font-size:10pt}
details::details-content{content-visibility:visible;display:block}
summary{list-style:none}summary::-webkit-details-marker{display:none}
.hash{white-space:normal;word-break:break-all;overflow:visible}.scroll{overflow:visible}
a{text-decoration:none}ol.findings li,.verdict{break-inside:avoid}
}
`.trim();

/** The style element's hash, which the Content-Security-Policy allows (and nothing else). */
const CSS_HASH = createHash('sha256').update(CSS).digest('base64');
const CSP = `default-src 'none'; style-src 'sha256-${CSS_HASH}'; img-src 'none'; font-src 'none'; script-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The input's file name: the last part of its path as given. */
function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1] : path;
}

function docsBase(o: HtmlOptions): string {
  if (o.docsBaseUri === undefined) return RULE_DOCS_BASE_URI;
  return o.docsBaseUri.endsWith('/') ? o.docsBaseUri : `${o.docsBaseUri}/`;
}

/** A rule's doc page: `<base><area>/<name>.md`, each part URL-encoded. */
function ruleHref(base: string, ruleId: string): string {
  return base + ruleId.split('/').map(encodeURIComponent).join('/') + '.md';
}

type Tone = 'bad' | 'warn' | 'good' | 'none';

const status = (tone: Tone, word: string) => `<span class="st ${tone}">${escapeHtml(word)}</span>`;

/** Ids of the artifacts in the tree, by path: in walk order, so they do not depend on names. */
function artifactIds(r: Report, prefix: string): Map<string, string> {
  const ids = new Map<string, string>();
  let n = 0;
  const visit = (a: Artifact) => {
    if (!ids.has(a.path)) ids.set(a.path, `${prefix}a${n}`);
    n++;
    for (const c of a.children) visit(c);
  };
  visit(r.root);
  return ids;
}

function header(r: Report): string {
  const name = baseName(r.input.path);
  const h = r.root.hashes;
  const rows: string[] = [
    `<dt>path</dt><dd><code>${text(r.input.path)}</code></dd>`,
    `<dt>size</dt><dd>${escapeHtml(humanSize(r.input.size))}${r.input.size >= 1024 ? ` (${r.input.size} bytes)` : ''}</dd>`,
    `<dt>sha256</dt><dd>${h.sha256 ? `<code class="hash">${text(h.sha256)}</code>` : '<span class="st none">not computed (--no-hash, or --hash without sha256)</span>'}</dd>`,
  ];
  for (const [algo, hex] of Object.entries(h)) if (algo !== 'sha256' && hex) rows.push(`<dt>${text(algo)}</dt><dd><code class="hash">${text(hex)}</code></dd>`);
  return `<header><h1>romscope report: <span class="mono">${text(name)}</span></h1><dl class="kv">${rows.join('')}</dl></header>`;
}

type SectionId = (name: string) => string;

function verdict(r: Report, sec: SectionId): string {
  const s = r.summary;
  const c = s.compatibility;
  const compatTone: Tone = c.verdict === 'compatible' ? 'good' : c.verdict === 'incompatible' ? 'bad' : 'warn';
  const integTone: Tone = s.integrity.status === 'verified' ? 'good' : s.integrity.status === 'failed' ? 'bad' : 'warn';
  const integWord = s.integrity.status === 'unchecked' && s.integrity.reason ? 'not checked' : s.integrity.status;
  const sigTone: Tone = s.signature.status === 'verified' ? 'good' : s.signature.status === 'failed' ? 'bad' : 'warn';
  const overall: Tone = s.errors > 0 || compatTone === 'bad' || integTone === 'bad' || sigTone === 'bad' ? 'bad' : s.warnings > 0 || compatTone === 'warn' || integTone === 'warn' || sigTone === 'warn' ? 'warn' : 'good';
  const counts = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${s.infos} info`;
  const rows: string[] = [
    `<dt>compatibility</dt><dd>${status(compatTone, c.verdict)} — ${text(c.reason)}${compatibilityEvidence(r)}</dd>`,
    `<dt>integrity</dt><dd>${status(integTone, integWord)} — ${plural(s.integrity.checks, 'check')}, ${s.integrity.failed} failed${s.integrity.reason ? ` (${text(s.integrity.reason)})` : ''}</dd>`,
    `<dt>signature</dt><dd>${status(sigTone, s.signature.status)} — ${text(s.signature.reason)}</dd>`,
    `<dt>findings</dt><dd>${counts}</dd>`,
    `<dt>artifacts</dt><dd>${s.artifacts}</dd>`,
  ];
  const nu = s.notUnderstood;
  if (nu && nu.members > 0) {
    const list = nu.paths.map((p) => `<li><code>${text(p)}</code></li>`).join('');
    rows.push(`<dt>not understood</dt><dd>${status('warn', plural(nu.members, 'member'))}${list ? `<details><summary>paths</summary><ul>${list}</ul></details>` : ''}</dd>`);
  }
  if (s.baseline) {
    const b = s.baseline;
    rows.push(`<dt>baseline</dt><dd><code>${text(b.file)}</code>: ${b.suppressed} suppressed (not counted above), ${b.new} new, ${plural(b.entries, 'entry', 'entries')} in the file</dd>`);
  }
  return `<section class="verdict ${overall}" id="${sec('verdict')}" aria-label="verdict"><p class="headline">${counts}</p><dl class="kv">${rows.join('')}</dl></section>`;
}

function compatibilityEvidence(r: Report): string {
  const c = r.summary.compatibility;
  const target = Object.entries(c.target);
  const parts: string[] = [];
  if (target.length) parts.push(`<p>target: ${target.map(([k, v]) => `${text(k)} <code>${text(v)}</code>`).join(', ')}</p>`);
  if (c.evidence.length) {
    const rows = c.evidence.map((e) => {
      const declares = Object.entries(e.declares)
        .map(([k, vs]) => `${text(k)} ${vs.map((v) => `<code>${text(v)}</code>`).join(' | ')}`)
        .join('; ');
      const tone: Tone = e.result === 'match' ? 'good' : e.result === 'mismatch' ? 'bad' : 'none';
      const where = `${e.path || r.root.name}${e.line === undefined ? '' : `:${e.line}`}`;
      return `<tr><td>${status(tone, e.result)}</td><td>${declares}</td><td><code>${text(where)}</code></td><td>${text(e.source)}</td><td>${e.enforced ? 'yes' : 'no'}</td></tr>`;
    });
    parts.push(`<div class="scroll"><table><thead><tr><th>result</th><th>declares</th><th>where</th><th>source</th><th>checked by flasher</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`);
  }
  return parts.length ? `<details><summary>evidence (${c.evidence.length})</summary>${parts.join('')}</details>` : '';
}

/** The build's identity from the property files: one row per field, one line per differing value with the partitions giving it. */
function build(r: Report, sec: SectionId): string {
  const b = r.summary.build;
  if (!b) return '';
  const rows: string[] = [];
  for (const [field, label] of IDENTITY_FIELDS) {
    const byValue = new Map<string, string[]>();
    for (const p of b.partitions) {
      const v = p[field];
      if (v === undefined) continue;
      const shown = field === 'buildDate' ? `${p.buildDateUtc} (${v})` : String(v);
      const list = byValue.get(shown);
      if (list) list.push(p.partition);
      else byValue.set(shown, [p.partition]);
    }
    if (byValue.size === 0) continue;
    const values = [...byValue].map(([v, parts]) => `<code>${text(v)}</code> <span class="where">(${text([...new Set(parts)].join(', '))})</span>`);
    rows.push(`<dt>${byValue.size > 1 ? status('warn', label) : escapeHtml(label)}</dt><dd>${values.join('<br>')}</dd>`);
  }
  const files = plural(b.partitions.length, 'property file');
  return `<section id="${sec('build')}"><h2>Build</h2><p>From ${files}${b.differ.length ? `; differing: ${b.differ.map(text).join(', ')}` : ''}.</p><dl class="kv">${rows.join('')}</dl></section>`;
}

const SEV_TITLE: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Info' };

function finding(f: Finding, r: Report, ids: Map<string, string>, base: string): string {
  const where = f.path || r.root.name;
  const id = ids.get(f.path);
  const place = [f.offset === undefined ? '' : ` at offset ${f.offset} (0x${f.offset.toString(16)})`, f.line === undefined ? '' : ` line ${f.line}`].join('');
  const target = id ? `<a href="#${id}"><code>${text(where)}</code></a>` : `<code>${text(where)}</code>`;
  const state = f.baselineState === 'new' ? ' <span class="sev info">new</span>' : '';
  return (
    `<li class="${f.severity}"><span class="sev ${f.severity}">${f.severity}</span> ` +
    `<a href="${escapeHtml(ruleHref(base, f.ruleId))}" rel="noopener noreferrer">${text(f.ruleId)}</a>${state}` +
    `<div class="where">${target}${escapeHtml(place)}</div><p class="msg">${text(f.message)}</p></li>`
  );
}

function findings(r: Report, ids: Map<string, string>, base: string, sec: SectionId): string {
  const shown = r.findings.filter((f) => f.baselineState !== 'unchanged');
  const suppressed = r.findings.filter((f) => f.baselineState === 'unchanged');
  const out: string[] = [`<section id="${sec('findings')}"><h2>Findings</h2>`];
  if (shown.length === 0) out.push(`<p>${r.summary.baseline ? 'No new findings.' : 'No findings.'}</p>`);
  for (const sev of SEVERITIES) {
    const list = shown.filter((f) => f.severity === sev);
    if (list.length === 0) continue;
    out.push(`<section class="group ${sev}" id="${sec(`findings-${sev}`)}"><h3>${SEV_TITLE[sev]} (${list.length})</h3><ol class="findings">${list.map((f) => finding(f, r, ids, base)).join('')}</ol></section>`);
  }
  if (suppressed.length) {
    out.push(`<details class="suppressed"><summary>In the baseline, not counted (${suppressed.length})</summary><ol class="findings">${suppressed.map((f) => finding(f, r, ids, base)).join('')}</ol></details>`);
  }
  out.push('</section>');
  return out.join('');
}

/** An info value as shown: scalars as they are, structures as compact JSON cut at MAX_VALUE_CHARS. */
function infoValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return `<code>${text(typeof v === 'bigint' ? v.toString() : v)}</code>`;
  let json: string;
  try {
    json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? '';
  } catch {
    json = '(not shown)';
  }
  const cut = json.length > MAX_VALUE_CHARS ? `${json.slice(0, MAX_VALUE_CHARS)}… (${json.length - MAX_VALUE_CHARS} more characters in the JSON report)` : json;
  return `<pre class="value">${text(cut)}</pre>`;
}

/** The counted findings (not suppressed by a baseline) on each artifact path. */
function findingsByPath(r: Report): Map<string, Finding[]> {
  const by = new Map<string, Finding[]>();
  for (const f of r.findings) {
    if (f.baselineState === 'unchanged') continue;
    const list = by.get(f.path);
    if (list) list.push(f);
    else by.set(f.path, [f]);
  }
  return by;
}

interface TreeContext {
  r: Report;
  ids: Map<string, string>;
  own: Map<string, Finding[]>;
}

function artifactBody(a: Artifact, own: Finding[]): string {
  const rows: string[] = [`<dt>path</dt><dd><code>${text(a.path === '' ? '(the input)' : a.path)}</code></dd>`, `<dt>format</dt><dd><code>${text(a.format)}</code></dd>`];
  rows.push(`<dt>size</dt><dd>${a.size === null ? 'unknown (not all readable)' : `${escapeHtml(humanSize(a.size))}${a.size >= 1024 ? ` (${a.size} bytes)` : ''}`}</dd>`);
  for (const [algo, hex] of Object.entries(a.hashes)) if (hex) rows.push(`<dt>${text(algo)}</dt><dd><code class="hash">${text(hex)}</code></dd>`);
  const details = artifactDetails(a);
  if (details) rows.push(`<dt>details</dt><dd>${escapeHtml(details)}</dd>`);
  if (own.length)
    rows.push(
      `<dt>findings</dt><dd>${SEVERITIES.filter((s) => own.some((f) => f.severity === s))
        .map((s) => `<span class="sev ${s}">${own.filter((f) => f.severity === s).length} ${s}</span>`)
        .join(' ')}</dd>`,
    );
  const entries = Object.entries(a.info).filter(([, v]) => v !== undefined);
  let info = '';
  if (entries.length) {
    const shown = entries.slice(0, MAX_INFO_KEYS).map(([k, v]) => `<dt>${text(k)}</dt><dd>${infoValue(v)}</dd>`);
    const more = entries.length > MAX_INFO_KEYS ? `<p>${entries.length - MAX_INFO_KEYS} more keys in the JSON report.</p>` : '';
    info = `<details class="info"><summary>info (${entries.length})</summary><dl class="kv">${shown.join('')}</dl>${more}</details>`;
  }
  return `<div class="body"><dl class="kv">${rows.join('')}</dl>${info}</div>`;
}

function artifactNode(a: Artifact, t: TreeContext, depth: number): string {
  const name = depth === 0 ? t.r.root.name : a.name;
  const id = t.ids.get(a.path);
  const own = t.own.get(a.path) ?? [];
  const worst = SEVERITIES.find((s) => own.some((f) => f.severity === s));
  const badge = worst ? ` <span class="sev ${worst}">${own.length}</span>` : '';
  const kids = a.children.length ? ` <span class="count">${plural(a.children.length, 'child', 'children')}</span>` : '';
  const summary = `<summary><code>${text(name)}</code> <span class="fmt">${text(a.format)}</span> <span class="size">${escapeHtml(humanSize(a.size))}</span>${kids}${badge}</summary>`;
  const children = a.children.length ? `<div class="children">${a.children.map((c) => artifactNode(c, t, depth + 1)).join('')}</div>` : '';
  return `<details class="artifact"${id ? ` id="${id}"` : ''}${depth === 0 ? ' open' : ''}>${summary}${artifactBody(a, own)}${children}</details>`;
}

function article(r: Report, index: number, o: HtmlOptions): string {
  const ids = artifactIds(r, `r${index}-`);
  // The first report's sections have short ids (report.html#findings); the others' are prefixed, so ids stay unique.
  const sec = (name: string) => (index === 0 ? name : `r${index}-${name}`);
  return [
    `<article class="report">`,
    header(r),
    verdict(r, sec),
    build(r, sec),
    findings(r, ids, docsBase(o), sec),
    `<section id="${sec('artifacts')}"><h2>Artifacts (${r.summary.artifacts})</h2><div class="tree">${artifactNode(r.root, { r, ids, own: findingsByPath(r) }, 0)}</div></section>`,
    `<footer>${text(r.tool.name)} ${text(r.tool.version)}, report schema ${r.schemaVersion}. The JSON report (<code>--format json</code>) holds every field.</footer>`,
    `</article>`,
  ].join('\n');
}

/**
 * The HTML page for one report, or for several (one article each, in order,
 * as `romscope check a b --format html` writes them).
 */
export function renderHtml(reports: Report | readonly Report[], o: HtmlOptions = {}): string {
  const list = Array.isArray(reports) ? (reports as readonly Report[]) : [reports as Report];
  const title = list.length === 1 ? `romscope: ${baseName(list[0].input.path)}` : `romscope: ${list.length} inputs`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${text(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...list.map((r, i) => article(r, i, o)),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
