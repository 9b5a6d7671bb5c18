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

/** A minimal arm zImage: the magic at 0x24, start and end addresses at 0x28/0x2c, then code (with a stray d00dfeed, as real zImages have). */
function zImage(size: number): Buffer {
  const z = Buffer.alloc(size, 0x5a);
  z.writeUInt32LE(0x016f2818, 0x24);
  z.writeUInt32LE(0, 0x28);
  z.writeUInt32LE(size, 0x2c);
  z.writeUInt32BE(0xd00dfeed, 0x100);
  return z;
}

/** A minimal arm64 Image: the magic at 56 and code holding a stray FDT-looking header that chains to nothing. */
function arm64Image(size: number): Buffer {
  const k = Buffer.alloc(size, 0x11);
  k.write('ARM\x64', 56, 'latin1');
  k.writeUInt32BE(0xd00dfeed, 0x200);
  k.writeUInt32BE(64, 0x204);
  return k;
}

test('device trees appended to a kernel (Image-dtb, zImage-dtb) and concatenated in a dtb.img are listed and agree with dtc', async (t) => {
  if (!requireTools(t, 'dtc')) return;
  const dir = tempDir(t);
  const a = compile(dir, 'a', DTS('Board A', '"qcom,msm8996-mtp", "qcom,msm8996"'));
  const b = compile(dir, 'b', DTS('Board B', '"qcom,msm8996-cdp"'));
  const pad = (x: Buffer, n: number) => Buffer.concat([x, Buffer.alloc(n)]);
  const cases: [string, Buffer, string, number][] = [
    ['Image-dtb', Buffer.concat([arm64Image(8192), a, b]), 'linux-kernel', 8192],
    ['zImage-dtb', Buffer.concat([zImage(6000), a, pad(b, 0)]), 'linux-kernel', 6000],
    ['kernel', Buffer.concat([zImage(6000), pad(a, 4), b, Buffer.alloc(100)]), 'linux-kernel', 6000],
    ['dtb.img', Buffer.concat([pad(a, 12), pad(b, 2048)]), 'fdt', 0],
  ];
  for (const [name, img, format, kernelSize] of cases) {
    writeFileSync(join(dir, name), img);
    const r = await inspect(join(dir, name), { sidecars: false });
    assert.equal(r.root.format, format, name);
    assert.deepEqual(r.findings, [], name);
    const entries = r.root.children;
    if (format === 'fdt') {
      assert.equal(r.root.info.trees, 2);
      assert.equal(r.root.info.model, 'Board A');
      assert.deepEqual(
        entries.map((c) => c.name),
        ['1.dtb'],
      );
    } else {
      assert.equal(r.root.info.kernelSize, kernelSize, name);
      assert.equal(r.root.info.appendedDtbs, 2, name);
      assert.deepEqual(
        entries.map((c) => c.name),
        ['0.dtb', '1.dtb'],
      );
    }
    compare(t, dir, img, entries, (e) => e.info as never);
  }
  // A kernel with no trees after it: no children, no kernelSize.
  writeFileSync(join(dir, 'Image'), arm64Image(8192));
  const plain = await inspect(join(dir, 'Image'), { sidecars: false });
  assert.deepEqual(plain.root.children, []);
  assert.equal(plain.root.info.appendedDtbs, undefined);
});

test('corpus boot-img/arkt7_nabu_uefi_v0_boot.img: the tree appended to its Image.gz kernel is listed and agrees with dtc', async (t) => {
  const p = corpusFile(t, 'boot-img/arkt7_nabu_uefi_v0_boot.img');
  if (!p || !requireTools(t, 'dtc')) return;
  const r = await inspect(p, { sidecars: false });
  const kernel = r.root.children.find((c) => c.name === 'kernel')!;
  assert.equal(kernel.format, 'gzip');
  assert.equal(kernel.info.appendedDtbs, 1);
  const dtbs = r.root.children.filter((c) => c.name.startsWith('kernel-dtb/'));
  assert.deepEqual(
    dtbs.map((c) => [c.name, c.info.model]),
    [['kernel-dtb/0.dtb', 'NABU']],
  );
  const sections = r.root.info.sections as { name: string; offset: number }[];
  const kernelAt = sections.find((s) => s.name === 'kernel')!.offset;
  compare(t, tempDir(t), readFileSync(p), dtbs, (e) => ({ offset: kernelAt + (e.info.offset as number), size: e.info.size as number }));
  assert.ok(!r.findings.some((f) => f.severity === 'error'), JSON.stringify(r.findings));
});
