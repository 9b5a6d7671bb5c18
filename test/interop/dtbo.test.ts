/**
 * Device trees: FDT blobs read as dtc writes them (interop: dtc compiles the
 * sources, and decompiles our builder's blobs), Android DT tables (dtbo.img)
 * built here and taken from real devices in the shared corpus.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { readFdt } from '../../src/formats/fdt';
import { walkArtifacts } from '../../src/report/model';
import { buildDtTable, buildFdt } from '../../fixtures/builders/fdt';
import { corpusFile, requireTools, runTool, tempDir } from '../helpers';

const BOARD_DTS = `/dts-v1/;
/ {
  model = "Romscope Demo Board";
  compatible = "romscope,demo", "qcom,sm8150";
  qcom,msm-id = <339 0x10000>;
  qcom,board-id = <8 0>;
  #address-cells = <1>;
  #size-cells = <1>;
  soc { uart@1000 { compatible = "ns16550"; reg = <0x1000 0x100>; }; };
};
`;

const OVERLAY_DTS = `/dts-v1/;
/plugin/;
/ {
  fragment@0 { target-path = "/soc"; __overlay__ { status = "okay"; }; };
  fragment@1 { target = <&uart0>; __overlay__ { status = "disabled"; }; };
};
`;

function dtc(dir: string, name: string, dts: string, extra: string[] = []): Buffer {
  writeFileSync(join(dir, `${name}.dts`), dts);
  const r = runTool('dtc', [...extra, '-q', '-I', 'dts', '-O', 'dtb', '-o', join(dir, `${name}.dtb`), join(dir, `${name}.dts`)]);
  assert.equal(r.status, 0, r.stderr.toString());
  return readFileSync(join(dir, `${name}.dtb`));
}

test('a blob dtc compiles: model, compatible, Qualcomm ids, node and property counts', (t) => {
  if (!requireTools(t, 'dtc')) return;
  const dir = tempDir(t);
  const { info, problems } = readFdt(dtc(dir, 'board', BOARD_DTS));
  assert.deepEqual(problems, []);
  assert.equal(info.model, 'Romscope Demo Board');
  assert.deepEqual(info.compatible, ['romscope,demo', 'qcom,sm8150']);
  assert.deepEqual(info.msmId, ['0x153', '0x10000']);
  assert.deepEqual(info.boardId, ['0x8', '0x0']);
  assert.equal(info.nodes, 3);
  assert.equal(info.overlay, undefined);
});

test('an overlay dtc compiles: fragments and their targets', (t) => {
  if (!requireTools(t, 'dtc')) return;
  const dir = tempDir(t);
  const { info, problems } = readFdt(dtc(dir, 'overlay', OVERLAY_DTS, ['-@']));
  assert.deepEqual(problems, []);
  assert.equal(info.overlay, true);
  assert.equal(info.fragments, 2);
  assert.equal((info.targets as string[])[0], '/soc');
  assert.match((info.targets as string[])[1], /^<phandle 0x[0-9a-f]+>$/);
});

test("the builder's blobs decompile with dtc to the same tree", (t) => {
  if (!requireTools(t, 'dtc')) return;
  const dir = tempDir(t);
  const blob = buildFdt({ name: '', props: { model: 'Built', compatible: ['a,b', 'c,d'], 'qcom,pmic-id': [1, 2, 3, 4] }, children: [{ name: 'chosen', props: { bootargs: 'console=ttyS0' } }] });
  writeFileSync(join(dir, 'b.dtb'), blob);
  const r = runTool('dtc', ['-q', '-I', 'dtb', '-O', 'dts', join(dir, 'b.dtb')]);
  assert.equal(r.status, 0, r.stderr.toString());
  const dts = r.stdout.toString();
  assert.match(dts, /model = "Built";/);
  assert.match(dts, /compatible = "a,b(", "|\\0)c,d";/); // dtc 1.6 writes string lists as "a\0b"
  assert.match(dts, /bootargs = "console=ttyS0";/);
  assert.equal(readFdt(blob).info.model, 'Built');
  assert.deepEqual(readFdt(blob).info.pmicId, ['0x1', '0x2', '0x3', '0x4']);
});

test('damaged blobs are findings: cut, lying totalsize, property past the block, unclosed node', () => {
  const good = buildFdt({ name: '', props: { model: 'M' }, children: [{ name: 'n', props: { x: [1] } }] });
  assert.deepEqual(readFdt(good).problems, []);
  assert.equal(readFdt(good.subarray(0, good.length - 20)).problems[0].kind, 'truncated');
  assert.equal(readFdt(buildFdt({ name: '', props: { model: 'M' } }, { totalSizeOverride: 1 << 30 })).problems[0].kind, 'truncated');
  const lying = Buffer.from(good);
  lying.writeUInt32BE(0x7fffffff, 56 + 12 + 4); // the first property's length
  assert.ok(readFdt(lying).problems.some((p) => /claims|outside|past/.test(p.message)));
  const unclosed = Buffer.from(good);
  const end = unclosed.readUInt32BE(8) + unclosed.readUInt32BE(36) - 4;
  unclosed.writeUInt32BE(4, end - 4); // the root's END_NODE becomes a NOP
  assert.ok(readFdt(unclosed).problems.some((p) => /not closed/.test(p.message)));
});

test('a DT table: entries with id/rev/custom, each decoded as a device tree, padding after the table', async (t) => {
  if (!requireTools(t, 'dtc')) return;
  const dir = tempDir(t);
  const a = dtc(dir, 'board', BOARD_DTS);
  const b = dtc(dir, 'overlay', OVERLAY_DTS, ['-@']);
  writeFileSync(
    join(dir, 'dtbo.img'),
    buildDtTable(
      [
        { dtb: a, id: 0x1234, rev: 2 },
        { dtb: b, custom: [0, 0, 0, 7] },
      ],
      { padTo: 64 * 1024 },
    ),
  );
  const r = await inspect(join(dir, 'dtbo.img'), { sidecars: false });
  assert.equal(r.root.format, 'dtbo');
  assert.equal(r.root.info.entryCount, 2);
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format, c.info.id, c.info.model ?? c.info.overlay]),
    [
      ['0.dtbo', 'fdt', '0x1234', 'Romscope Demo Board'],
      ['1.dtbo', 'fdt', '0x0', true],
    ],
  );
  assert.deepEqual(r.findings, []);
});

test('a DT table whose entries lie past the file, or that claims 2^32-1 entries, is a finding', async (t) => {
  const dir = tempDir(t);
  const img = buildDtTable([{ dtb: buildFdt({ name: '', props: { model: 'M' } }) }]);
  const cut = img.subarray(0, img.length - 10);
  writeFileSync(join(dir, 'cut.img'), cut);
  const r1 = await inspect(join(dir, 'cut.img'), { sidecars: false });
  assert.ok(
    r1.findings.some((f) => f.ruleId === 'integrity/truncated'),
    JSON.stringify(r1.findings),
  );
  const many = Buffer.from(img);
  many.writeUInt32BE(0xffffffff, 16);
  writeFileSync(join(dir, 'many.img'), many);
  const r2 = await inspect(join(dir, 'many.img'), { sidecars: false });
  assert.ok(
    r2.findings.some((f) => f.ruleId === 'format/unreadable' && /do not fit/.test(f.message)),
    JSON.stringify(r2.findings),
  );
});

for (const rel of ['dtbo/atoml_dtbo.img', 'dtbo/hp4024_dtbo.img', 'xiaomi-fastboot/begonia/images/dtbo.img']) {
  test(`corpus: ${rel} is a DT table whose entries are device-tree overlays`, async (t) => {
    const p = corpusFile(t, rel);
    if (!p) return;
    const r = await inspect(p, { sidecars: false });
    assert.equal(r.root.format, 'dtbo');
    const entries = r.root.children.filter((c) => /^\d+\.dtbo$/.test(c.name));
    assert.equal(entries.length, r.root.info.entryCount);
    for (const e of entries) {
      assert.equal(e.format, 'fdt', e.path);
      assert.equal(e.size, e.info.size);
      assert.ok((e.info.nodes as number) > 0);
    }
    assert.ok(!r.findings.some((f) => f.severity === 'error'), JSON.stringify(r.findings));
    assert.ok([...walkArtifacts(r.root)].every((a) => a.format !== 'data' || a.name === 'avb_footer'));
    if (rel.startsWith('dtbo/hp4024')) {
      // A 1 MiB partition image: the table, zero padding, and an AVB hash footer whose vbmeta covers it.
      assert.deepEqual(
        r.root.children.filter((c) => !/^\d+\.dtbo$/.test(c.name)).map((c) => [c.name, c.format]),
        [
          ['avb_footer', 'avb-footer'],
          ['vbmeta', 'avb-vbmeta'],
        ],
      );
      const vbmeta = r.root.children.find((c) => c.name === 'vbmeta')!;
      assert.ok(
        vbmeta.facts.some((f) => f.kind === 'avb-hash-ok' && /first 438 bytes/.test(f.message)),
        JSON.stringify(vbmeta.facts),
      );
    }
  });
}
