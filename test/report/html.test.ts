/**
 * `--format html` and `format(report, 'html')`: one self-contained page whose
 * every string from the report is escaped (member names and properties are
 * hostile), with the verdict first, the findings grouped by severity and
 * linked to their rule pages, and the artifact tree. The page in a real
 * browser: html-browser.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, inspect } from '../../src/api';
import { renderHtml } from '../../src/report/html';
import { RULE_DOCS_BASE_URI } from '../../src/project';
import type { Report } from '../../src/report/public';
import { ROOT, runCli, runTool, tempDir } from '../helpers';
import { HOSTILE, hostilePackage } from './html-fixture';

/** Every finding group appears: one rule moved to info. */
const SEVERITY = { 'format/unsafe-path': 'info' } as const;

async function hostileReport(): Promise<Report> {
  return inspect(hostilePackage(), { name: 'hostile.zip', severity: SEVERITY });
}

/** Escaped as the HTML spec's serialisation escapes attribute values and text, written out by hand. */
const ESCAPED: Record<string, string> = {
  '<script>window.__pwned=1</script>': '&lt;script&gt;window.__pwned=1&lt;/script&gt;',
  '"><img src=x onerror="window.__pwned=2">': '&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;',
  [`a&b 'single' "double" &amp; <b>`]: 'a&amp;b &#39;single&#39; &quot;double&quot; &amp;amp; &lt;b&gt;',
  "'><svg onload=window.__pwned=3>": '&#39;&gt;&lt;svg onload=window.__pwned=3&gt;',
};

const TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'article',
  'header',
  'h1',
  'h2',
  'h3',
  'dl',
  'dt',
  'dd',
  'code',
  'span',
  'section',
  'p',
  'details',
  'summary',
  'ul',
  'ol',
  'li',
  'a',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'pre',
  'br',
  'footer',
]);
const ATTRS = new Set(['lang', 'charset', 'http-equiv', 'content', 'name', 'class', 'id', 'aria-label', 'href', 'rel', 'open']);

/** Every tag of the page: since escaped text holds no `<`, each `<` opens a real tag; each must be known and carry only known attributes. */
function assertOnlyKnownMarkup(html: string): void {
  const body = html.replace(/<style>[^<]*<\/style>/, '<style></style>').replace(/^<!DOCTYPE html>/, '');
  for (const m of body.matchAll(/<(\/?)([^\s>/]*)([^>]*)>/g)) {
    const [whole, , tag, attrs] = m;
    assert.ok(TAGS.has(tag.toLowerCase()), `unexpected tag in ${whole}`);
    const rest = attrs.replace(/\s+([a-z-]+)(="[^"<>]*")?/g, (_s, name: string) => {
      assert.ok(ATTRS.has(name), `unexpected attribute ${name} in ${whole}`);
      return '';
    });
    assert.equal(rest.trim(), '', `attributes that do not parse cleanly in ${whole}`);
  }
}

test('html: hostile member names, properties and messages are escaped, in text and attributes', async () => {
  const r = await hostileReport();
  // The payloads reach the report (else this test would prove nothing).
  const json = JSON.stringify(r);
  for (const h of HOSTILE) assert.ok(json.includes(JSON.stringify(h).slice(1, -1)), `payload not in the report: ${h}`);
  const html = format(r, 'html');
  for (const [raw, escaped] of Object.entries(ESCAPED)) {
    assert.ok(html.includes(escaped), `not shown escaped: ${raw}`);
    assert.ok(!html.includes(raw), `shown raw: ${raw}`);
  }
  assert.doesNotMatch(html, /<script|<img|<svg|<b>|<iframe|<object|<embed|<link/i);
  // No event handler attribute on any tag (the payloads' text, escaped, stays outside tags).
  for (const tag of html.match(/<[^>]*>/g) ?? []) assert.doesNotMatch(tag, /\son[a-z]+=/i);
  assertOnlyKnownMarkup(html);
});

test('html: the input path, a finding message and a rule id from a hostile report are escaped; control and bidi characters shown as escapes', async () => {
  const r = await hostileReport();
  const evil = '"><img src=x onerror=alert(1)>';
  const bent: Report = {
    ...r,
    input: { ...r.input, path: `/tmp/${evil}\u202e.zip` },
    findings: r.findings.map((f, i) => (i === 0 ? { ...f, message: `${evil} & <script>alert(2)</script>\x1b[31m` } : f)),
  };
  bent.root = { ...r.root, name: `${evil}\u202e.zip` };
  const html = renderHtml(bent);
  assert.ok(!html.includes(evil));
  assert.ok(html.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\\u202e.zip'));
  assert.ok(html.includes('&amp; &lt;script&gt;alert(2)&lt;/script&gt;\\x1b[31m'));
  assert.ok(!html.includes('\u202e') && !html.includes('\x1b'));
  assertOnlyKnownMarkup(html);
});

test('html: one self-contained page: a CSP that allows only its own style (by hash), nothing loaded', async () => {
  const html = format(await hostileReport(), 'html');
  const styles = [...html.matchAll(/<style>([^<]*)<\/style>/g)];
  assert.equal(styles.length, 1);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(csp, 'no CSP meta');
  const policy = csp[1].replace(/&#39;/g, "'");
  assert.match(policy, /default-src 'none'/);
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|https?:/);
  const hash = createHash('sha256').update(styles[0][1]).digest('base64');
  assert.ok(policy.includes(`style-src 'sha256-${hash}'`), `the CSP does not allow the style element's hash ${hash}`);
  // The CSP is in <head> before anything that could load.
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style>'));
  // No reference that would load: no src, no url(), no @import, no <link>; links only to the rule pages and in-page anchors.
  for (const tag of html.match(/<[^>]*>/g) ?? []) assert.doesNotMatch(tag, /\ssrc=|<link/i);
  assert.doesNotMatch(styles[0][1], /url\(|@import/);
  for (const m of html.matchAll(/href="([^"]*)"/g)) assert.ok(m[1].startsWith('#') || m[1].startsWith(RULE_DOCS_BASE_URI), `unexpected link ${m[1]}`);
});

test('html: verdict first, then findings by severity (error, warning, info) linked to rule pages that exist, then the artifact tree', async () => {
  const r = await hostileReport();
  const html = format(r, 'html');
  const at = (s: string) => {
    const i = html.indexOf(s);
    assert.ok(i >= 0, `missing ${s}`);
    return i;
  };
  assert.ok(at('id="verdict"') < at('id="findings"') && at('id="findings"') < at('id="artifacts"'));
  assert.ok(at('id="findings-error"') < at('id="findings-warning"') && at('id="findings-warning"') < at('id="findings-info"'));
  const verdict = html.slice(at('id="verdict"'), at('id="findings"'));
  assert.match(verdict, /1 error, 1 warning, 1 info/);
  assert.match(verdict, /integrity<\/dt><dd><span class="st bad">failed<\/span>/);
  assert.match(verdict, /compatibility<\/dt><dd><span class="st warn">unknown<\/span>/);
  assert.match(verdict, /signature<\/dt><dd><span class="st warn">unverifiable<\/span>/);
  // Each group holds its findings; each finding links its rule page, which exists in docs/rules/.
  for (const [sev, rule] of [
    ['error', 'integrity/zip-crc'],
    ['warning', 'integrity/listed-file-missing'],
    ['info', 'format/unsafe-path'],
  ]) {
    const start = at(`id="findings-${sev}"`);
    const group = html.slice(start, html.indexOf('</section>', start));
    assert.ok(group.includes(`<a href="${RULE_DOCS_BASE_URI}${rule}.md" rel="noopener noreferrer">${rule}</a>`), `${sev} group has no link to ${rule}`);
  }
  for (const m of html.matchAll(/href="([^"#][^"]*)"/g)) {
    const rel = m[1].slice(RULE_DOCS_BASE_URI.length);
    assert.ok(existsSync(join(ROOT, 'docs', 'rules', rel)), `no docs/rules/${rel}`);
  }
  // In-page links from findings point at artifacts in the tree.
  for (const m of html.matchAll(/href="#([^"]*)"/g)) assert.ok(html.includes(`id="${m[1]}"`), `dangling anchor #${m[1]}`);
  // The tree: nested details, the root open, the nested zip's member inside the nested zip's element.
  const tree = html.slice(at('id="artifacts"'));
  assert.match(tree, /^id="artifacts"><h2>Artifacts \(12\)<\/h2><div class="tree"><details class="artifact" id="r0-a0" open>/);
  const inner = tree.indexOf('<code>nested/inner.zip</code>');
  assert.ok(inner > 0 && tree.indexOf('<code>deep-member.txt</code>', inner) > inner);
  // Key fields as the table shows them, format and size.
  assert.match(tree, /<dt>details<\/dt><dd>2 requirements<\/dd>/);
  assert.match(tree, /<span class="fmt">checksum-file<\/span>/);
});

test('html: the header names the input with its size and sha256 (as sha256sum computes it)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'hostile.zip');
  writeFileSync(file, hostilePackage());
  const sum = runTool('sha256sum', [file]).stdout.toString().split(' ')[0];
  const r = runCli(['inspect', file, '--format', 'html']);
  assert.equal(r.code, 0, r.stderr);
  const header = r.stdout.slice(r.stdout.indexOf('<header>'), r.stdout.indexOf('</header>'));
  assert.ok(header.includes('<span class="mono">hostile.zip</span>'));
  assert.ok(header.includes(`<code class="hash">${sum}</code>`), 'no sha256 of the input');
  assert.ok(header.includes(`(${readFileSync(file).length} bytes)`));
  // Without a sha256 the header says so.
  const md5 = runCli(['inspect', file, '--format', 'html', '--hash', 'md5']);
  assert.match(md5.stdout, /<dt>sha256<\/dt><dd><span class="st none">not computed/);
  assert.ok(md5.stdout.includes(`<dt>md5</dt><dd><code class="hash">${runTool('md5sum', [file]).stdout.toString().split(' ')[0]}</code>`));
});

test('html: deterministic (same package, same bytes); format() and renderHtml() agree; docsBaseUri moves the links', async () => {
  const a = format(await hostileReport(), 'html');
  const b = format(await hostileReport(), 'html');
  assert.equal(a, b);
  assert.equal(a, renderHtml(await hostileReport()));
  const moved = format(await hostileReport(), 'html', { docsBaseUri: 'https://mirror.example/rules' });
  assert.ok(moved.includes('href="https://mirror.example/rules/integrity/zip-crc.md"'));
  assert.ok(!moved.includes(RULE_DOCS_BASE_URI));
});

test('html from the CLI: -o writes what stdout shows; several inputs give one page with one article each; baseline suppressions in the verdict', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'hostile.zip');
  writeFileSync(file, hostilePackage());
  const out = join(dir, 'report.html');
  const toStdout = runCli(['check', file, '--format', 'html']);
  const toFile = runCli(['check', file, '--format', 'html', '-o', out]);
  assert.equal(toStdout.code, 1);
  assert.equal(toFile.code, 1);
  assert.equal(toFile.stdout, '');
  assert.equal(readFileSync(out, 'utf8'), toStdout.stdout);
  const demo = join(ROOT, 'fixtures', 'demo', 'demo-rom.zip');
  const two = runCli(['check', file, demo, '-f', 'html']);
  assert.equal(two.stdout.match(/<article class="report">/g)?.length, 2);
  assert.equal(two.stdout.match(/<!DOCTYPE html>/g)?.length, 1);
  assert.ok(two.stdout.indexOf('hostile.zip') < two.stdout.indexOf('demo-rom.zip'));
  // Ids stay unique across articles.
  const ids = [...two.stdout.matchAll(/ id="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(ids.includes('verdict') && ids.includes('r1-verdict') && ids.includes('r1-a0'));
  assert.equal(new Set(ids).size, ids.length);
  const baseline = join(dir, 'baseline.json');
  assert.equal(runCli(['check', file, '--write-baseline', baseline]).code, 1);
  const suppressed = runCli(['check', file, '--baseline', baseline, '-f', 'html']);
  assert.equal(suppressed.code, 0, suppressed.stderr);
  assert.match(suppressed.stdout, /<dt>baseline<\/dt><dd><code>[^<]*baseline\.json<\/code>: 3 suppressed/);
  assert.match(suppressed.stdout, /<p>No new findings\.<\/p>/);
  assert.match(suppressed.stdout, /<summary>In the baseline, not counted \(3\)<\/summary>/);
  assert.match(runCli(['check', file, '-f', 'htm']).stderr, /did you mean html/);
});
