/**
 * Fact kinds are declared once (src/facts/kinds.ts). These tests fail when
 * docs/facts.md, the rules or the derived lists drift from the declarations.
 * That every kind a decoder raises or a rule reads is declared is checked by
 * tsc: `Fact.kind` is the `FactKind` union (see the last test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ALL_FACT_KINDS,
  BAD_BYTES_KINDS,
  FACT_CATEGORIES,
  FACT_KINDS,
  INTEGRITY_CHECK_KINDS,
  INTEGRITY_FAILURE_KINDS,
  PASSED_CHECK_KINDS,
  factKindsIn,
  factKindsReportedBy,
  factSpec,
  isFactKind,
  passedKind,
  signatureKinds,
  type FactKind,
} from '../src/facts';
import { RULES } from '../src/rules/registry';
import { runRules } from '../src/rules/engine';
import { newArtifact, type Artifact, type Fact, type ExpectedDigest } from '../src/report/model';
import { factRule, type RuleContext } from '../src/rules/types';
import { extract, ExtractVerifyError } from '../src/pipeline/extract';
import { buildZip } from '../fixtures/builders/zip';
import { makeTestSigner, signJar } from '../fixtures/builders/ota-sign';
import { tempDir } from './helpers';

/** Compiled to dist/test/facts.test.js: the repository root is two levels up. */
const ROOT = resolve(__dirname, '..', '..');
const FACTS_DOC = readFileSync(join(ROOT, 'docs', 'facts.md'), 'utf8');

/** The rows of the `## Kinds` table of docs/facts.md: kind → its "Read by" cell. */
function documentedKinds(): Map<string, string> {
  const section = FACTS_DOC.split(/^## /m).find((s) => s.startsWith('Kinds'));
  assert.ok(section, 'docs/facts.md has no "## Kinds" section');
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1]), `docs/facts.md has two rows for "${m[1]}"`);
    const cells = m[2].split(' | ');
    rows.set(m[1], cells[cells.length - 1]);
  }
  return rows;
}

function missingAndExtra(want: Iterable<string>, got: Iterable<string>): { missing: string[]; extra: string[] } {
  const w = new Set(want);
  const g = new Set(got);
  return { missing: [...w].filter((k) => !g.has(k)), extra: [...g].filter((k) => !w.has(k)) };
}

test('facts: docs/facts.md documents exactly the declared kinds', () => {
  const { missing, extra } = missingAndExtra(ALL_FACT_KINDS, documentedKinds().keys());
  assert.deepEqual(missing, [], `declared in src/facts/kinds.ts but without a row in docs/facts.md: ${missing.join(', ')}`);
  assert.deepEqual(extra, [], `rows in docs/facts.md for kinds src/facts/kinds.ts does not declare: ${extra.join(', ')}`);
});

test('facts: each row\'s "Read by" links exactly the rules the kind declares', () => {
  for (const [kind, readBy] of documentedKinds()) {
    if (!isFactKind(kind)) continue; // reported by the test above
    const linked = [...readBy.matchAll(/\(rules\/([a-z0-9-]+\/[a-z0-9-]+)\.md\)/g)].map((m) => m[1]);
    const { missing, extra } = missingAndExtra(factSpec(kind).rules, linked);
    assert.deepEqual(missing, [], `docs/facts.md row "${kind}" does not link rules it declares: ${missing.join(', ')}`);
    assert.deepEqual(extra, [], `docs/facts.md row "${kind}" links rules its declaration does not name: ${extra.join(', ')}`);
  }
});

test('facts: each rule page\'s "Reads facts" line names exactly the kinds that declare the rule', () => {
  for (const rule of RULES) {
    const page = readFileSync(join(ROOT, 'docs', 'rules', `${rule.id}.md`), 'utf8');
    const line = /^- \*\*Reads facts:\*\*(.*)$/m.exec(page);
    assert.ok(line, `docs/rules/${rule.id}.md has no "Reads facts" line`);
    const named = [...line[1].matchAll(/`([a-z][a-z0-9-]*)`/g)].map((m) => m[1]).filter(isFactKind);
    const { missing, extra } = missingAndExtra(factKindsReportedBy(rule.id), named);
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `docs/rules/${rule.id}.md "Reads facts" disagrees with src/facts/kinds.ts`);
  }
});

test('facts: every declaration names existing rules, a known category and a one-line description', () => {
  const ids = new Set(RULES.map((r) => r.id));
  for (const kind of ALL_FACT_KINDS) {
    const spec = factSpec(kind);
    assert.ok(FACT_CATEGORIES.includes(spec.category), `${kind}: unknown category ${spec.category}`);
    assert.ok(spec.description.length > 0 && !spec.description.includes('\n'), `${kind}: description must be one line`);
    for (const r of spec.rules) assert.ok(ids.has(r), `${kind}: names rule "${r}", which is not in RULES`);
  }
});

/** One artifact per declared kind, each carrying one fact of that kind whose message names it. */
function treeWithEveryKind(): Artifact {
  const root = newArtifact('', 'input', 0);
  for (const kind of ALL_FACT_KINDS) {
    const a = newArtifact(kind, kind, 0);
    a.facts.push({ kind, message: `fact:${kind}` });
    root.children.push(a);
  }
  return root;
}

test('facts: the rules that read a kind are the rules its declaration names', () => {
  const root = treeWithEveryKind();
  const all = [root, ...root.children];
  for (const rule of RULES) {
    const declared = new Set<FactKind>(factKindsReportedBy(rule.id));
    // The kinds the rule asks the engine for...
    const asked = new Set<string>();
    const ctx: RuleContext = {
      root,
      artifacts: () => all,
      *facts(...kinds) {
        for (const k of kinds) asked.add(k);
        for (const artifact of all) for (const fact of artifact.facts) if (kinds.includes(fact.kind)) yield { artifact, fact };
      },
      report: () => {},
    };
    rule.check(ctx);
    const undeclared = [...asked].filter((k) => !declared.has(k as FactKind));
    assert.deepEqual(undeclared, [], `${rule.id} reads kinds whose declaration does not name it: ${undeclared.join(', ')}`);
  }
  // ...and the kinds whose message a rule passes on as its finding.
  for (const f of runRules(root)) {
    const m = /^fact:(.*)$/.exec(f.message);
    if (!m) continue;
    assert.ok(factSpec(m[1] as FactKind).rules.includes(f.ruleId), `${f.ruleId} reports "${m[1]}" facts, but FACT_KINDS["${m[1]}"].rules does not name it`);
  }
});

test('facts: the derived lists', () => {
  // Every passed check is the -ok form of a counted failure, and the reverse for checks with a passed form.
  for (const k of PASSED_CHECK_KINDS) {
    const base = k.replace(/-ok$/, '');
    assert.ok(k.endsWith('-ok') && INTEGRITY_FAILURE_KINDS.includes(base as FactKind), `${k} is a passed check without a counted failure "${base}"`);
  }
  assert.deepEqual(
    INTEGRITY_CHECK_KINDS.map((k) => `${k}-ok`),
    [...PASSED_CHECK_KINDS],
  );
  assert.equal(passedKind('zip-crc'), 'zip-crc-ok');
  // Kinds that exist in pairs share a category's meaning: a -ok kind is never a failure.
  for (const k of ALL_FACT_KINDS) if (k.endsWith('-ok')) assert.notEqual(factSpec(k).category, 'integrity-failure', k);
  // What summary.integrity, extract and summary.signature read.
  assert.deepEqual([...factKindsIn('integrity-passed')], [...PASSED_CHECK_KINDS]);
  for (const k of ['zip-crc', 'truncated', 'split-incomplete', 'blockota-short-data', 'avb-hash'] as const) assert.ok(INTEGRITY_FAILURE_KINDS.includes(k), k);
  for (const k of ['zip-crc', 'truncated', 'unreadable', 'budget', 'sparse-crc', 'payload-partition-hash', 'jar-digest'] as const) assert.ok(BAD_BYTES_KINDS.includes(k), k);
  for (const k of ['tar-md5', 'checksum-file', 'duplicate-entry', 'boot-id'] as const) assert.ok(!BAD_BYTES_KINDS.includes(k), k);
  assert.deepEqual(new Set(signatureKinds('avb', 'failed')), new Set(['avb-signature', 'avb-chain-key', 'avb-hash', 'avb-hashtree']));
  assert.deepEqual(new Set(signatureKinds('ota', 'failed')), new Set(['ota-signature', 'jar-signature', 'jar-digest', 'payload-signature']));
  for (const k of signatureKinds('ota', 'verified')) assert.ok(factSpec(k).signature?.what, `${k}: a verified kind says what it verified`);
});

test('facts: the prose lists of docs/facts.md are the derived ones', () => {
  const check = (start: string, end: string, want: readonly string[]) => {
    const i = FACTS_DOC.indexOf(start);
    assert.ok(i >= 0, `docs/facts.md no longer says "${start}"`);
    const j = FACTS_DOC.indexOf(end, i + start.length);
    assert.ok(j >= 0, `docs/facts.md no longer says "${end}" after "${start}"`);
    const listed = [...FACTS_DOC.slice(i + start.length, j).matchAll(/`([a-z][a-z0-9-]*)`/g)].map((m) => m[1]);
    const { missing, extra } = missingAndExtra(want, listed);
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `the list after "${start}" in docs/facts.md`);
  };
  check('`PASSED_CHECK_KINDS`:', ').', PASSED_CHECK_KINDS);
  check('is one failed check.', '. Because', INTEGRITY_FAILURE_KINDS);
  check('when any of these kinds is present:', '(the kinds declared', BAD_BYTES_KINDS);
});

test('facts: tsc rejects an undeclared kind (a Fact, an expected digest, a rule query)', () => {
  // @ts-expect-error 'no-such-kind' is not a FactKind
  const f: Fact = { kind: 'no-such-kind', message: '' };
  // @ts-expect-error an expected digest's kind needs a declared `-ok` form
  const e: ExpectedDigest = { algo: 'sha256', hex: '', kind: 'truncated', from: '' };
  // @ts-expect-error a rule reads declared kinds only
  const r = factRule('x/y', 'z', 'error', ['no-such-kind']);
  assert.ok(f && e && r && FACT_KINDS);
});

test('facts: extract refuses a JAR-signed member that MANIFEST.MF does not vouch for (jar-digest is badBytes)', async (t) => {
  const dir = tempDir(t);
  const signed = signJar(
    [
      { name: 'META-INF/com/android/metadata', data: Buffer.from('ota-type=BLOCK\npre-device=demo\npost-timestamp=1\n') },
      { name: 'system.new.dat', data: Buffer.alloc(8192, 7) },
      { name: 'boot.img', data: Buffer.alloc(4096, 1) },
    ],
    await makeTestSigner({ cn: 'facts test' }),
  );
  // Changed after signing: the zip CRC is right, the manifest digest is not.
  const zip = join(dir, 'ota.zip');
  writeFileSync(zip, buildZip(signed.map((e) => (e.name === 'system.new.dat' ? { ...e, data: Buffer.alloc(8192, 8) } : e))));
  await assert.rejects(extract(zip, 'system.new.dat', join(dir, 'out.dat')), (e: Error) => e instanceof ExtractVerifyError && /MANIFEST\.MF/.test(e.message));
  const ok = await extract(zip, 'boot.img', join(dir, 'boot.img'));
  assert.equal(ok.bytes, 4096);
});
