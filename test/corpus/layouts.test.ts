/**
 * Corpus: every partition table / flash layout in the shared corpus (Samsung
 * PITs, MTK scatter files, Qualcomm rawprogram/patch XML) is recognised,
 * decodes with no error findings, and yields the expected number of entries,
 * both in its info and in the layout fact the layout/* rules read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { detectFormat } from '../../src/formats/registry';
import type { DocumentHandler } from '../../src/formats/types';
import { isLayoutFact } from '../../src/formats/layout';
import type { Fact } from '../../src/report/model';
import { CORPUS, corpusFile, ofFormat } from '../helpers';
import { describe, errors } from '../interop/util';

interface Case {
  file: string;
  format: string;
  /** Info key holding the count, and its value. */
  count: [string, number];
  /** Entries of the layout fact (null: the file records no layout, a patch list). */
  layout: number | null;
}

const CASES: Case[] = [
  { file: 'samsung-pit/grim_I9100_2GiB_stock.pit', format: 'samsung-pit', count: ['partitionCount', 15], layout: 14 },
  { file: 'samsung-pit/ebadi_I9100_1.5GB-System_6GB-Data_512MB-Preload_by-the.gangster.pit', format: 'samsung-pit', count: ['partitionCount', 15], layout: 14 },
  { file: 'mtk-scatter/carlitoshsh_MT6768_Android_scatter.txt', format: 'mtk-scatter', count: ['partitionCount', 58], layout: 58 },
  { file: 'mtk-scatter/tb350fu_MT6789_Android_scatter.txt', format: 'mtk-scatter', count: ['partitionCount', 132], layout: 132 },
  { file: 'mtk-scatter/vivo_y12s_MT6765_Android_scatter.txt', format: 'mtk-scatter', count: ['partitionCount', 50], layout: 50 },
  { file: 'qcom-edl-xml/op6_rawprogram0.xml', format: 'qcom-rawprogram', count: ['programCount', 19], layout: 19 },
  { file: 'qcom-edl-xml/op6_rawprogram4.xml', format: 'qcom-rawprogram', count: ['programCount', 75], layout: 75 },
  { file: 'qcom-edl-xml/op6_patch0.xml', format: 'qcom-rawprogram', count: ['patchCount', 26], layout: null },
  { file: 'qcom-edl-xml/uz801_nand_rawprogram0.xml', format: 'qcom-rawprogram', count: ['programCount', 29], layout: 29 },
  { file: 'qcom-edl-xml/uz801_nand_patch0.xml', format: 'qcom-rawprogram', count: ['patchCount', 0], layout: null },
];

test('corpus layouts: the cases cover every file of the three corpus folders', (t) => {
  const dirs = ['samsung-pit', 'mtk-scatter', 'qcom-edl-xml'];
  if (!dirs.every((d) => existsSync(join(CORPUS, d)))) return void t.skip(`shared corpus not present (${CORPUS})`);
  const all = dirs.flatMap((d) => readdirSync(join(CORPUS, d)).map((f) => `${d}/${f}`)).sort();
  assert.deepEqual(CASES.map((c) => c.file).sort(), all);
});

for (const c of CASES) {
  test(`corpus ${c.file}: ${c.format}, no errors, ${c.count[1]} ${c.count[0]}`, async (t) => {
    const path = corpusFile(t, c.file);
    if (!path) return;
    const r = await inspect(path);
    assert.equal(r.root.format, c.format);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.equal((r.root.info as Record<string, unknown>)[c.count[0]], c.count[1]);

    // The layout fact itself (facts are not in the report: decode directly).
    const bytes = readFileSync(path);
    const name = c.file.split('/').pop()!;
    const h = detectFormat({ peek: bytes.subarray(0, 65536), name, size: bytes.length }) as DocumentHandler;
    const facts: Fact[] = [];
    h.decode(bytes, { budget: undefined as never, fact: (f) => void facts.push(f) }, name);
    const layouts = facts.filter(isLayoutFact);
    // Problems only: the layout, and the declarations the decoder records (platform, project), are not.
    assert.deepEqual(
      facts.filter((f) => f.kind !== 'layout' && f.kind !== 'declaration'),
      [],
    );
    if (c.layout === null) assert.equal(layouts.length, 0);
    else {
      assert.equal(layouts.length, 1);
      assert.equal(layouts[0].layout, c.format);
      assert.equal(layouts[0].entries.length, c.layout);
    }
  });
}

test('corpus PIT sizes: block count × 512 (FACTORYFS 512 MiB stock, 1.5 GiB in the resized PIT)', async (t) => {
  const stock = corpusFile(t, 'samsung-pit/grim_I9100_2GiB_stock.pit');
  const resized = corpusFile(t, 'samsung-pit/ebadi_I9100_1.5GB-System_6GB-Data_512MB-Preload_by-the.gangster.pit');
  if (!stock || !resized) return;
  const size = (file: string, part: string) => {
    const facts: Fact[] = [];
    const h = detectFormat({ peek: readFileSync(file), name: 'x.pit', size: null }) as DocumentHandler;
    h.decode(readFileSync(file), { budget: undefined as never, fact: (f) => void facts.push(f) }, 'x.pit');
    return facts.filter(isLayoutFact)[0].entries.find((e) => e.partition === part)?.sizeBytes;
  };
  assert.equal(size(stock, 'FACTORYFS'), 512 << 20);
  assert.equal(size(resized, 'FACTORYFS'), 1536 << 20);
  assert.equal(size(resized, 'DATAFS'), 6 * 1024 ** 3);
  assert.equal(size(stock, 'EFS'), 20 << 20);
});

test('corpus scatter v2: both storage sections are read, each on its own devices', async (t) => {
  const path = corpusFile(t, 'mtk-scatter/tb350fu_MT6789_Android_scatter.txt');
  if (!path) return;
  const r = await inspect(path);
  assert.deepEqual(ofFormat(r.root, 'mtk-scatter').info.storage, ['EMMC', 'UFS']);
  const parts = ofFormat(r.root, 'mtk-scatter').info.partitions as { name: string; section: string }[];
  assert.equal(parts.filter((p) => p.section === 'EMMC').length, 66);
  assert.equal(parts.filter((p) => p.section === 'UFS').length, 66);
});
