/**
 * `--format sarif` is SARIF 2.1.0: every log romscope writes validates
 * against the published JSON schema (test/schemas/, see its README), and
 * carries what code-scanning tools read: rule metadata with a doc page and a
 * default level, one result per finding with a location and a line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { inspect } from '../../src/pipeline/inspect';
import { renderSarif } from '../../src/report/sarif';
import { RULE_DOCS_BASE_URI } from '../../src/project';
import { RULES } from '../../src/rules/registry';
import { buildZip } from '../../fixtures/builders/zip';
import { ROOT, runCli, tempDir } from '../helpers';

const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8'));
// The schema's `language` pattern has a stray "]" that is valid only in a non-unicode RegExp (as JSON Schema draft-04 validators compile it).
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

function assertValid(log: unknown): void {
  const ok = validate(log);
  assert.ok(ok, `not valid SARIF 2.1.0: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`);
}

const DEMO = join(ROOT, 'fixtures', 'demo', 'demo-rom.zip');
const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');

test('the schema validator rejects a log that breaks the schema (so the checks below mean something)', () => {
  assert.equal(validate({ version: '2.1.0' }), false, 'runs is required');
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] }), false, 'bad level');
  assert.equal(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x', rules: [{ id: 'a', helpUri: 'not a uri' }] } } }] }), false, 'helpUri must be a URI');
});

test('sarif of the demo packages (clean and corrupt) validates against the SARIF 2.1.0 schema', () => {
  for (const file of [DEMO, CORRUPT]) {
    const r = runCli(['check', file, '--format', 'sarif']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const log = JSON.parse(r.stdout);
    assertValid(log);
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
  }
});

test('sarif: rule metadata for every registered rule, results with level, location, line and the artifact path', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ota.zip');
  writeFileSync(
    file,
    buildZip([
      { name: 'META-INF/com/android/metadata', data: Buffer.from('ota-type=BLOCK\npost-timestamp=1500000000\npre-device=crespo\n') },
      { name: 'META-INF/com/google/android/updater-script', data: Buffer.from('ui_print("x");\nassert(getprop("ro.product.device") == "crespo");\n') },
    ]),
  );
  const report = await inspect(file, { target: { device: 'raphael' } });
  const log = JSON.parse(renderSarif(report, { rules: RULES }));
  assertValid(log);
  const run = log.runs[0];
  const rules = run.tool.driver.rules;
  assert.deepEqual(
    rules.map((r: { id: string }) => r.id),
    RULES.map((r) => r.id),
  );
  for (const [i, rule] of RULES.entries()) {
    const d = rules[i];
    assert.equal(d.shortDescription.text, rule.description);
    assert.equal(d.defaultConfiguration.level, { error: 'error', warning: 'warning', info: 'note' }[rule.defaultSeverity]);
    assert.ok(d.helpUri.endsWith(`docs/rules/${rule.id}.md`), d.helpUri);
  }
  // helpUri is the page on the project's repository, never a local file; fullDescription is the page's first paragraph.
  for (const [i, rule] of RULES.entries()) {
    const d = rules[i];
    assert.equal(d.helpUri, `${RULE_DOCS_BASE_URI}${rule.id}.md`);
    assert.ok(existsSync(join(ROOT, 'docs', 'rules', `${rule.id}.md`)), rule.id);
    assert.ok(d.fullDescription.text.length > rule.description.length, `${rule.id}: ${d.fullDescription.text}`);
    assert.doesNotMatch(d.fullDescription.text, /\n|\]\(/, rule.id);
  }
  const page = readFileSync(join(ROOT, 'docs', 'rules', 'integrity', 'zip-crc.md'), 'utf8');
  const firstParagraph = page
    .split('## What it detects')[1]
    .trim()
    .split(/\n\s*\n/)[0]
    .replace(/\s*\n\s*/g, ' ');
  assert.equal(rules[RULES.findIndex((r) => r.id === 'integrity/zip-crc')].fullDescription.text, firstParagraph);
  const mirror = JSON.parse(renderSarif(report, { rules: RULES, docsBaseUri: 'https://example.org/romscope/rules' }));
  assert.equal(mirror.runs[0].tool.driver.rules[0].helpUri, `https://example.org/romscope/rules/${RULES[0].id}.md`);
  const results = run.results as {
    ruleId: string;
    ruleIndex: number;
    level: string;
    message: { text: string };
    locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } }; logicalLocations?: { fullyQualifiedName: string }[] }[];
    properties: { artifactPath: string; line?: number };
  }[];
  assert.equal(results.length, report.findings.length);
  const mismatch = results.filter((r) => r.ruleId === 'compat/device-mismatch');
  assert.equal(mismatch.length, 2, JSON.stringify(results, null, 1));
  for (const r of mismatch) {
    assert.equal(r.level, 'error');
    assert.equal(rules[r.ruleIndex].id, r.ruleId);
    assert.equal(r.locations[0].physicalLocation.artifactLocation.uri, new URL(`file://${file}`).href);
    assert.ok(r.locations[0].physicalLocation.region.startLine >= 1);
  }
  const script = mismatch.find((r) => r.properties.artifactPath === 'META-INF/com/google/android/updater-script')!;
  assert.equal(script.properties.line, 2);
  assert.equal(script.locations[0].logicalLocations?.[0].fullyQualifiedName, 'META-INF/com/google/android/updater-script');
  assert.match(script.message.text, /^META-INF\/com\/google\/android\/updater-script: line 2: /);
  assert.equal(run.properties.romscope.summary.compatibility.verdict, 'incompatible');
});

test('sarif: a relative input path stays a relative URI reference; a finding on the input itself gets its line', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'updater-script'), 'assert(getprop("ro.product.device") == "a");\n\n\nassert(getprop("ro.product.device") == "b");\n');
  const r = runCli(['check', 'updater-script', '--device', 'a', '--format', 'sarif'], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  assertValid(log);
  const res = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'compat/device-mismatch');
  assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'updater-script');
  assert.equal(res.locations[0].physicalLocation.region.startLine, 4);
  assert.equal(res.locations[0].logicalLocations, undefined);
});
