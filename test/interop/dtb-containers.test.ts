/**
 * The device trees inside the vendor containers (Qualcomm QCDT, Amlogic
 * multi-DTB, Rockchip resource images; a plain dtb.img) agree with dtc:
 * every entry romscope lists, cut out at the offset and size it reports,
 * decompiles with `dtc -I dtb -O dts` to a tree with the same root model,
 * compatible list, node count and property count romscope reports.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import type { Artifact } from '../../src/report/model';
import { buildAmlMultiDtb, buildQcdt, buildRsce } from '../../fixtures/builders/vendor';
import { corpusFile, requireTools, runTool, tempDir } from '../helpers';

/** What dtc says of a blob: root model and compatible, nodes, properties. */
function dtcView(dir: string, blob: Buffer): { model?: string; compatible?: string[]; nodes: number; properties: number } {
  const f = join(dir, 'entry.dtb');
  writeFileSync(f, blob);
  const r = runTool('dtc', ['-q', '-I', 'dtb', '-O', 'dts', f]);
  assert.equal(r.status, 0, r.stderr.toString());
  let nodes = 0;
  let properties = 0;
  let model: string | undefined;
  let compatible: string[] | undefined;
  for (const line of r.stdout.toString().split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('/dts-v1/') || t.startsWith('/memreserve/')) continue;
    if (t.endsWith('{')) nodes++;
    else if (t.endsWith(';') && t !== '};') {
      properties++;
      if (/^\t[^\t]/.test(line)) {
        const m = /^(model|compatible) = (.*);$/.exec(t);
        if (m) {
          const values = m[2]
            .replace(/^"|"$/g, '')
            .split(/\\0|", "/)
            .filter((s) => s !== '');
          if (m[1] === 'model') model = values[0];
          else compatible = values;
        }
      }
    }
  }
  return { model, compatible, nodes, properties };
}

function compare(t: TestContext, dir: string, file: Buffer, entries: Artifact[], at: (a: Artifact) => { offset: number; size: number }) {
  assert.ok(entries.length > 0);
  for (const e of entries) {
    assert.equal(e.format, 'fdt', e.path);
    const { offset, size } = at(e);
    const d = dtcView(dir, file.subarray(offset, offset + size));
    assert.equal(e.info.model, d.model, e.path);
    assert.deepEqual(e.info.compatible, d.compatible, e.path);
    assert.equal(e.info.nodes, d.nodes, e.path);
    assert.equal(e.info.properties, d.properties, e.path);
  }
  t.diagnostic(`${entries.length} entries agree with dtc`);
}

const DTS = (model: string, compat: string) => `/dts-v1/;
/ {
  model = "${model}";
  compatible = ${compat};
  qcom,msm-id = <246 0x10000>;
  #address-cells = <1>;
  #size-cells = <1>;
  soc { serial@1000 { compatible = "ns16550"; reg = <0x1000 0x100>; status = "okay"; }; };
};
`;

function compile(dir: string, name: string, dts: string): Buffer {
  writeFileSync(join(dir, `${name}.dts`), dts);
  const r = runTool('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', join(dir, `${name}.dtb`), join(dir, `${name}.dts`)]);
  assert.equal(r.status, 0, r.stderr.toString());
  return readFileSync(join(dir, `${name}.dtb`));
}

test('QCDT, Amlogic multi-DTB and RSCE entries compiled by dtc read back as dtc reads them', async (t) => {
  if (!requireTools(t, 'dtc')) return;
  const dir = tempDir(t);
  const a = compile(dir, 'a', DTS('Board A', '"qcom,msm8996-mtp", "qcom,msm8996"'));
  const b = compile(dir, 'b', DTS('Board B', '"amlogic, Gxl"'));
  const images: [string, Buffer, (a: Artifact) => { offset: number; size: number }][] = [
    [
      'dt.img',
      buildQcdt(
        3,
        [
          { platformId: 246, variantId: 8, socRev: 0x10000, dtb: 0 },
          { platformId: 246, variantId: 11, socRev: 0x10000, dtb: 1 },
        ],
        [a, b],
      ),
      (e) => e.info as never,
    ],
    [
      'dtb.img',
      buildAmlMultiDtb([
        { soc: 'gxl', platform: 'p212', variant: '2g', dtb: a },
        { soc: 'gxl', platform: 'p212', variant: '1g', dtb: b },
      ]),
      (e) => e.info as never,
    ],
    [
      'resource.img',
      buildRsce([
        { path: 'rk-kernel.dtb', data: a },
        { path: 'second.dtb', data: b },
      ]),
      (e) => e.info as never,
    ],
  ];
  for (const [name, img, at] of images) {
    writeFileSync(join(dir, name), img);
    const r = await inspect(join(dir, name), { sidecars: false });
    assert.deepEqual(r.findings, [], name);
    compare(t, dir, img, r.root.children, at);
  }
});

test('corpus rockchip/rk3399/resource.img: its five device trees agree with dtc', async (t) => {
  const p = corpusFile(t, 'rockchip/rk3399/resource.img');
  if (!p || !requireTools(t, 'dtc')) return;
  const r = await inspect(p, { sidecars: false });
  compare(
    t,
    tempDir(t),
    readFileSync(p),
    r.root.children.filter((c) => c.name.endsWith('.dtb')),
    (e) => e.info as never,
  );
});

test('corpus dtb/l18_dtb.img: a whole dtb.img agrees with dtc', async (t) => {
  const p = corpusFile(t, 'dtb/l18_dtb.img');
  if (!p || !requireTools(t, 'dtc')) return;
  const r = await inspect(p, { sidecars: false });
  compare(t, tempDir(t), readFileSync(p), [r.root], (e) => ({ offset: 0, size: e.size ?? 0 }));
});
