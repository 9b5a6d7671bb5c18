/**
 * The docs are part of the public API: every rule has its page, every format
 * id is in docs/formats.md, every field of the JSON report is documented in
 * docs/report-format.md. These tests fail when code and docs drift apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { RULES, PASSED_CHECK_KINDS } from '../src/rules/registry';
import { HANDLERS } from '../src/formats/registry';
import { inspect } from '../src/pipeline/inspect';
import { renderJson } from '../src/report/json';
import { buildZip } from '../fixtures/builders/zip';
import { buildLz4Frame } from '../fixtures/builders/lz4';

/** Compiled to dist/test/docs.test.js: the repository root is two levels up. */
const ROOT = resolve(__dirname, '..', '..');
const DOCS = join(ROOT, 'docs');

function readDoc(rel: string): string {
  const p = join(DOCS, rel);
  assert.ok(existsSync(p), `missing doc: docs/${rel}`);
  return readFileSync(p, 'utf8');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `name` in backticks, alone or as the last part of a dotted path (`summary.integrity.status`). */
function mentionsCode(doc: string, name: string): boolean {
  return new RegExp('`(?:[A-Za-z0-9_]+\\.)*' + escapeRe(name) + '`').test(doc);
}

function firstHeading(doc: string): string | undefined {
  return doc.split(/\r?\n/).find((l) => /^#{1,6}\s/.test(l));
}

/** Every object key anywhere in a parsed JSON value. */
function collectKeys(v: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(v)) for (const x of v) collectKeys(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      collectKeys(x, out);
    }
  }
  return out;
}

function listMarkdown(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...listMarkdown(p));
    else if (n.endsWith('.md')) out.push(p);
  }
  return out;
}

test('docs: the registries are not empty (so the checks below check something)', () => {
  assert.ok(RULES.length > 0, 'RULES is empty');
  assert.ok(HANDLERS.length > 0, 'HANDLERS is empty');
});

test('docs: every rule has docs/rules/<id>.md titled with its id and naming its default severity', () => {
  for (const rule of RULES) {
    const doc = readDoc(`rules/${rule.id}.md`);
    const heading = firstHeading(doc);
    assert.ok(heading, `docs/rules/${rule.id}.md has no heading`);
    assert.ok(heading.includes(rule.id), `first heading of docs/rules/${rule.id}.md is "${heading}", not the rule id`);
    assert.match(doc, new RegExp(`default severity[^\\n]*\\b${rule.defaultSeverity}\\b`, 'i'), `docs/rules/${rule.id}.md does not state its default severity "${rule.defaultSeverity}"`);
  }
});

test('docs: the rules index links every rule, and no page documents a rule that does not exist', () => {
  const index = readDoc('rules/README.md');
  for (const rule of RULES) assert.ok(index.includes(`(${rule.id}.md)`), `docs/rules/README.md does not link ${rule.id}`);
  const ids = new Set(RULES.map((r) => r.id));
  for (const p of listMarkdown(join(DOCS, 'rules'))) {
    const rel = relative(join(DOCS, 'rules'), p).split(sep).join('/');
    if (rel === 'README.md') continue;
    assert.ok(ids.has(rel.replace(/\.md$/, '')), `docs/rules/${rel} documents no registered rule`);
  }
});

test('docs: every format handler id has a row in the table of docs/formats.md', () => {
  const doc = readDoc('formats.md');
  for (const h of HANDLERS) {
    assert.match(doc, new RegExp('^\\|\\s*`' + escapeRe(h.id) + '`\\s*\\|', 'm'), `format id "${h.id}" (${h.description}) has no row in docs/formats.md`);
  }
});

test('docs: every passed-check fact kind is described in docs/facts.md', () => {
  const doc = readDoc('facts.md');
  for (const k of PASSED_CHECK_KINDS) assert.ok(mentionsCode(doc, k), `fact kind "${k}" is not in docs/facts.md`);
});

test('docs: every field of a real JSON report is documented in docs/report-format.md', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'romscope-docs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // A package that exercises most of the report: a nested lz4 stream with a
  // broken content checksum (a finding with an offset), a shipped checksum
  // list naming a missing file, a zip comment and a sidecar checksum file.
  const image = Buffer.from('ANDROID! not really a boot image\n'.repeat(64));
  const lz4 = await buildLz4Frame(image, { contentChecksum: true, contentSize: true });
  lz4[lz4.length - 1] ^= 0xff;
  const sums = `${createHash('sha256').update(lz4).digest('hex')}  boot.img.lz4\n${'0'.repeat(64)}  vendor.img\n`;
  const zip = buildZip(
    [
      { name: 'boot.img.lz4', data: lz4 },
      { name: 'SHA256SUMS', data: Buffer.from(sums), method: 'deflate' },
      { name: 'README.txt', data: Buffer.from('flash with fastboot\n') },
    ],
    { comment: 'demo' },
  );
  const file = join(dir, 'pkg.zip');
  writeFileSync(file, zip);
  writeFileSync(join(dir, 'pkg.zip.sha256'), `${createHash('sha256').update(zip).digest('hex')}\n`);

  const json = renderJson(await inspect(file));
  const keys = collectKeys(JSON.parse(json), new Set());
  // The fixture must reach the parts of the report it is meant to cover.
  for (const k of ['schemaVersion', 'tool', 'input', 'summary', 'findings', 'root', 'integrity', 'signature', 'ruleId', 'offset', 'children', 'sidecarChecksumFiles']) {
    assert.ok(keys.has(k), `fixture report has no "${k}" field: ${json}`);
  }
  const doc = readDoc('report-format.md');
  const missing = [...keys].filter((k) => !mentionsCode(doc, k));
  assert.deepEqual(missing, [], `fields emitted by renderJson but not documented in docs/report-format.md: ${missing.join(', ')}`);

  // The example in the doc is a real report shape.
  const example = /```json\n([\s\S]*?)```/.exec(doc);
  assert.ok(example, 'docs/report-format.md has no ```json example');
  const parsed = JSON.parse(example[1]) as Record<string, unknown>;
  assert.equal(parsed.schemaVersion, 1);
  assert.deepEqual(Object.keys(parsed), Object.keys(JSON.parse(json)), 'the example does not have the top-level fields renderJson writes, in order');
});
