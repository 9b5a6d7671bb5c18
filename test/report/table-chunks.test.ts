/**
 * Large tables are drawn in chunks (cli-table3's layout is slower than linear
 * in the row count); the result must be the table cli-table3 draws at once.
 * And text from the input never reaches the terminal with a control byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Table from 'cli-table3';
import { drawTable } from '../../src/report/table';
import { ANSI, terminalSafe } from '../../src/report/format';

const SHAPES: Record<string, (i: number) => string[]> = {
  ascii: (i) => [`p${'x'.repeat(i % 37)}`, 'zip', 'm'.repeat(i % 90)],
  colours: (i) => [i % 3 ? ANSI.red('error') : 'warning', ANSI.dim('-'), 'x'.repeat(i % 50)],
  wide: (i) => ['日本語'.repeat(i % 3), 'é'.repeat(i % 4), 'x'.repeat(i % 70)],
  lines: (i) => ['a\nb'.slice(0, i % 4), 'multi\nline', 'y'.repeat(i % 80)],
};

test('a table of many rows drawn in chunks is the table cli-table3 draws at once', () => {
  for (const width of [undefined, 120]) {
    for (const [shape, row] of Object.entries(SHAPES)) {
      const rows = Array.from({ length: 750 }, (_, i) => row(i));
      const head = ['one', 'two', 'three'];
      const t = new Table({ head, style: { head: [], border: [] }, ...(width ? { wordWrap: true, wrapOnWordBoundary: false, colWidths: [null, null, 40] as unknown as number[] } : {}) });
      t.push(...rows);
      assert.equal(drawTable(head, rows, width, 40), t.toString(), `${shape}, width ${width}`);
    }
  }
});

test('terminalSafe escapes control characters and keeps printable Unicode', () => {
  assert.equal(terminalSafe('a\x1b[2Kb\x07c\r\n\t\x7f\x9b'), 'a\\x1b[2Kb\\x07c\\r\\n\\t\\x7f\\x9b');
  assert.equal(terminalSafe('x\u202eexe.txt'), 'x\\u202eexe.txt');
  assert.equal(terminalSafe('ünïcødé 日本語 \ufffd'), 'ünïcødé 日本語 \ufffd');
});
