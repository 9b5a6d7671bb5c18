/**
 * Every format proves itself: each handler in HANDLERS has a mutation seed
 * (test/formats/seeds.ts, built with fixtures/builders) that romscope detects
 * as that format, and a row in docs/formats.md with a status: *verified*,
 * naming the reference tool or real sample a test compares with, or
 * *synthetic*.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HANDLERS, detectFormat } from '../../src/formats/registry';
import { formatSeeds } from './seeds';

const ROOT = join(__dirname, '..', '..', '..');

/** The rows of the "Formats detected today" table: id → status cell. */
function formatRows(): Map<string, string> {
  const md = readFileSync(join(ROOT, 'docs', 'formats.md'), 'utf8');
  const section = md.slice(md.indexOf('## Formats detected today'), md.indexOf('## Derived artifacts'));
  const rows = new Map<string, string>();
  let header: string[] | null = null;
  for (const line of section.split('\n')) {
    if (!line.startsWith('|') || line.startsWith('|---')) continue;
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (!header) {
      header = cells;
      continue;
    }
    const id = /^`([a-z0-9-]+)`$/.exec(cells[0])?.[1];
    assert.ok(id, `docs/formats.md: a row whose first cell is not a format id: ${cells[0]}`);
    // Status is the last column (a code span in a description may hold a `|`).
    rows.set(id, cells[cells.length - 1]);
  }
  assert.equal(header?.at(-1), 'Status', 'docs/formats.md: the formats table ends with a Status column');
  return rows;
}

test('every registered handler has a mutation seed detected as its format', async () => {
  const seeds = await formatSeeds();
  for (const s of seeds) {
    const h = detectFormat({ peek: s.data.subarray(0, 65536), name: s.name, size: s.data.length });
    assert.equal(h?.id ?? 'data', s.format, `seed ${s.name} is tagged ${s.format}`);
  }
  const seeded = new Set(seeds.map((s) => s.format));
  const missing = HANDLERS.map((h) => h.id).filter((id) => !seeded.has(id));
  assert.deepEqual(missing, [], `formats without a mutation seed in test/formats/seeds.ts: ${missing.join(', ')}`);
});

test('every registered handler has a row with a status in docs/formats.md, and every row a handler', () => {
  const rows = formatRows();
  const ids = new Set<string>(HANDLERS.map((h) => h.id));
  for (const id of ids) assert.ok(rows.has(id), `docs/formats.md has no row for ${id}`);
  for (const [id, status] of rows) {
    assert.ok(ids.has(id), `docs/formats.md has a row for ${id}, which no handler has`);
    const m = /^(verified|synthetic)\b(.*)$/.exec(status);
    assert.ok(m, `${id}: the status "${status}" is neither verified nor synthetic`);
    if (m[1] === 'verified') {
      assert.match(m[2], /^: .*`[^`]+`.*\(test\/(interop|corpus)\/[\w.-]+\.test\.ts/, `${id}: a verified row names its tool or sample and the test that compares with it`);
    }
  }
});
