/**
 * ESLint-style rule tests: each rule gets `valid` cases (packages on which it
 * must stay silent) and `invalid` cases (where it must report, at a path).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, type InspectOptions } from '../../src/pipeline/inspect';
import { tempDir } from '../helpers';

export interface RuleCase {
  name: string;
  /** File name of the input (names are hints for some formats). */
  file: string;
  build: () => Buffer | Promise<Buffer>;
  /** Other files to place next to the input (sidecar checksum files). */
  siblings?: Record<string, string>;
  options?: InspectOptions;
  /** A reason to skip the case (visibly), e.g. when it needs the shared corpus and it is absent. */
  skip?: () => string | false;
}

export interface InvalidCase extends RuleCase {
  /** Expected findings of this rule: artifact path and a piece of the message. */
  errors: { path: string; message?: string | RegExp }[];
}

export function ruleTester(ruleId: string, cases: { valid: RuleCase[]; invalid: InvalidCase[] }): void {
  const run = async (t: TestContext, c: RuleCase) => {
    const why = c.skip?.();
    if (why) {
      t.skip(why);
      return null;
    }
    const dir = tempDir(t);
    const file = join(dir, c.file);
    writeFileSync(file, await c.build());
    for (const [n, text] of Object.entries(c.siblings ?? {})) writeFileSync(join(dir, n), text);
    const report = await inspect(file, c.options);
    return report.findings.filter((f) => f.ruleId === ruleId);
  };
  for (const c of cases.valid) {
    test(`${ruleId} valid: ${c.name}`, async (t) => {
      const found = await run(t, c);
      if (!found) return;
      assert.deepEqual(found, [], `unexpected ${ruleId} findings`);
    });
  }
  for (const c of cases.invalid) {
    test(`${ruleId} invalid: ${c.name}`, async (t) => {
      const found = await run(t, c);
      if (!found) return;
      assert.equal(found.length, c.errors.length, `findings: ${JSON.stringify(found, null, 1)}`);
      c.errors.forEach((e, i) => {
        assert.equal(found[i].path, e.path);
        if (e.message instanceof RegExp) assert.match(found[i].message, e.message);
        else if (e.message) assert.ok(found[i].message.includes(e.message), found[i].message);
      });
    });
  }
}
