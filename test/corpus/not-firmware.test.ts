/**
 * Corpus: no false alarms. Every real file of the shared corpus that
 * romscope identifies (its top-level format is not `data`) gets no
 * format/not-firmware finding of any severity; every file it does not
 * identify gets exactly one, on the input, and never an error (the corpus
 * holds untouched files under their real names). Also prints the share of
 * corpus files reported as `data`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { CORPUS } from '../helpers';

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (e !== 'MANIFEST.tsv' && e !== 'README.md') out.push(p);
  }
  return out;
}

test('corpus: identified files get no format/not-firmware finding; unidentified ones one warning on the input', async (t) => {
  if (!existsSync(CORPUS)) {
    if (process.env.CI === 'true') throw new Error(`corpus missing: ${CORPUS}`);
    t.skip(`shared corpus not present (${CORPUS})`);
    return;
  }
  const all = files(CORPUS);
  assert.ok(all.length > 100, 'the corpus is there');
  let data = 0;
  const wrong: string[] = [];
  for (const f of all) {
    const r = await inspect(f);
    const rel = relative(CORPUS, f);
    const found = r.findings.filter((x) => x.ruleId === 'format/not-firmware');
    if (r.root.format === 'data' && r.root.children.length === 0) {
      data++;
      if (found.length !== 1 || found[0].path !== '' || found[0].severity !== 'warning') wrong.push(`${rel} (data): ${JSON.stringify(found)}`);
    } else if (found.length) wrong.push(`${rel} (${r.root.format}): ${JSON.stringify(found)}`);
  }
  t.diagnostic(`corpus files reported as data: ${data}/${all.length} (${((100 * data) / all.length).toFixed(1)}%)`);
  assert.deepEqual(wrong, []);
});
