/** Every rule has valid/invalid tests (ESLint's three-file convention; docs are checked in docs.test). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../src/rules/registry';
import { ROOT } from '../helpers';

test('every rule has a test file with valid and invalid cases', () => {
  for (const r of RULES) {
    assert.match(r.id, /^(integrity|signature|compat|rollback|layout|format|security)\/[a-z0-9-]+$/, `rule id ${r.id}`);
    const file = join(ROOT, 'test', 'rules', `${r.id}.test.ts`);
    assert.ok(existsSync(file), `missing ${file}`);
    const src = readFileSync(file, 'utf8');
    assert.ok(src.includes(`'${r.id}'`) && /valid:\s*\[\s*{/.test(src) && /invalid:\s*\[\s*{/.test(src), `${file} needs valid and invalid cases`);
  }
});

test('rule ids are unique', () => {
  assert.equal(new Set(RULES.map((r) => r.id)).size, RULES.length);
});
