/**
 * The vendor images of issue 15 built here (fixtures/builders/vendor.ts):
 * fields, children, checksums, and bad input as findings. The real files
 * are in test/corpus/vendor.test.ts; the device trees inside are compared
 * with dtc in test/interop/dtb-containers.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { inspect } from '../../src/pipeline/inspect';
import { isLayoutFact } from '../../src/formats/layout';
import { isDeclaration } from '../../src/compat/declarations';
import { walkArtifacts, type Report } from '../../src/report/model';
import { pseudoRandom } from '../../fixtures/builders/data';
import { buildFdt } from '../../fixtures/builders/fdt';
import { buildZip } from '../../fixtures/builders/zip';
import { buildAmlMultiDtb, buildAmlSecure, buildDhtb, buildKeystorage, buildKrnl, buildParameter, buildQcdt, buildRkLoader, buildRsce, buildUh } from '../../fixtures/builders/vendor';
import { tempDir } from '../helpers';
import type { TestContext } from 'node:test';

async function run(t: TestContext, name: string, data: Buffer): Promise<Report> {
  const dir = tempDir(t);
  writeFileSync(join(dir, name), data);
  return inspect(join(dir, name), { sidecars: false });
}
const rules = (r: Report) => r.findings.map((f) => f.ruleId);
const board = (model: string, compatible: string[]) => buildFdt({ name: '', props: { model, compatible }, children: [{ name: 'chosen', props: { bootargs: 'x' } }] });

test('rockchip-loader: header fields, entries as children, the CRC checked, a table past the end refused', async (t) => {
  const img = buildRkLoader(
    {
      e471: [{ name: 'rk3399_ddr_800MHz_v1.24.bin', data: pseudoRandom(300, 1) }],
      e472: [{ name: 'usbplug.bin', data: pseudoRandom(200, 2) }],
      loader: [
        { name: 'FlashData', data: pseudoRandom(100, 3) },
        { name: 'FlashBoot', data: pseudoRandom(150, 4) },
      ],
    },
    { magic: 'LDR ' },
  );
  const r = await run(t, 'loader.bin', img);
  assert.equal(r.root.format, 'rockchip-loader');
  assert.equal(r.root.info.chip, '330C');
  assert.equal(r.root.info.releaseTime, '2019-09-20 05:00:44');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.size]),
    [
      ['471/rk3399_ddr_800MHz_v1', 300],
      ['472/usbplug.bin', 200],
      ['loader/FlashData', 100],
      ['loader/FlashBoot', 150],
    ],
  );
  assert.ok(r.root.facts.some((f) => f.kind === 'image-checksum-ok'));
  assert.deepEqual(r.findings, []);
  const bad = Buffer.from(img);
  bad.writeUInt32LE(0x7fffff00, 38); // the loader table's offset
  const r2 = await run(t, 'loader.bin', bad);
  assert.deepEqual(rules(r2), ['format/unreadable']);
  const cut = await run(t, 'loader.bin', img.subarray(0, img.length - 2));
  assert.ok(rules(cut).includes('integrity/truncated'), JSON.stringify(cut.findings));
});

test('rockchip-krnl: the payload is a child (a gzip stream decodes), a cut image is truncated', async (t) => {
  const r = await run(t, 'boot.img', buildKrnl(gzipSync(Buffer.from('hello ramdisk'))));
  assert.equal(r.root.format, 'rockchip-krnl');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format]),
    [['payload', 'gzip']],
  );
  assert.deepEqual(r.findings, []);
  const cut = await run(t, 'boot.img', buildKrnl(pseudoRandom(5000, 1)).subarray(0, 3000));
  assert.deepEqual(rules(cut), ['integrity/truncated']);
});

test('rockchip-resource: each file a child named by its path, device trees decoded', async (t) => {
  const dtb = board('NanoPi', ['friendlyelec,nanopi4', 'rockchip,rk3399']);
  const r = await run(
    t,
    'resource.img',
    buildRsce([
      { path: 'rk-kernel.dtb', data: dtb },
      { path: 'logo.bmp', data: Buffer.from('BM....') },
    ]),
  );
  assert.equal(r.root.format, 'rockchip-resource');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format, c.size]),
    [
      ['rk-kernel.dtb', 'fdt', dtb.length],
      ['logo.bmp', 'data', 6],
    ],
  );
  assert.deepEqual(r.findings, []);
  const many = buildRsce([{ path: 'a.dtb', data: dtb }]);
  many.writeUInt32LE(0xffffffff, 12);
  const r2 = await run(t, 'resource.img', many);
  assert.ok(rules(r2).includes('format/budget-exceeded') && rules(r2).includes('format/unreadable'), JSON.stringify(r2.findings));
});

test('rockchip-parameter: mtdparts as a layout (image-too-large applies), MACHINE_MODEL a board declaration', async (t) => {
  const param = buildParameter('0x00002000@0x00002000(uboot),0x00000008@0x00004000(boot),-@0x00004008(userdata:grow)');
  const r = await run(
    t,
    'rk.zip',
    buildZip([
      { name: 'parameter.txt', data: param },
      { name: 'boot.img', data: pseudoRandom(8 * 512 + 1, 1) },
    ]),
  );
  const p = r.root.children.find((c) => c.name === 'parameter.txt')!;
  assert.equal(p.format, 'rockchip-parameter');
  const layout = p.facts.find(isLayoutFact)!;
  assert.deepEqual(
    layout.entries.map((e) => [e.partition, e.startBytes, e.sizeBytes]),
    [
      ['uboot', 0x2000 * 512, 0x2000 * 512],
      ['boot', 0x4000 * 512, 4096],
      ['userdata', 0x4008 * 512, null],
    ],
  );
  assert.ok(p.facts.some((f) => isDeclaration(f) && f.alternatives[0].value === 'RK3399'));
  assert.deepEqual(
    r.findings.filter((f) => f.ruleId === 'layout/image-too-large').map((f) => f.path),
    ['boot.img'],
  );
  const bad = await run(t, 'parameter.txt', buildParameter('0x2000@0x2000(uboot),junk'));
  assert.ok(
    bad.findings.some((f) => f.ruleId === 'format/layout-invalid' && /"junk" is not size@offset\(name\)/.test(f.message)),
    JSON.stringify(bad.findings),
  );
});

test('qcom-dtb: v1-v3 entries with their ids, shared FDTs listed once', async (t) => {
  const a = board('A', ['qcom,msm8996-mtp', 'qcom,msm8996']);
  const b = board('B', ['qcom,msm8996-cdp']);
  for (const version of [1, 2, 3] as const) {
    const img = buildQcdt(
      version,
      [
        { platformId: 246, variantId: 8, subtypeId: 0, socRev: 0x10000, pmic: [0x10009, 0x1000a, 0, 0], dtb: 0 },
        { platformId: 246, variantId: 8, subtypeId: 1, socRev: 0x20000, dtb: 0 },
        { platformId: 246, variantId: 0x0b, socRev: 0x10000, dtb: 1 },
      ],
      [a, b],
    );
    const r = await run(t, 'dt.img', img);
    assert.equal(r.root.format, 'qcom-dtb');
    assert.equal(r.root.info.version, version);
    assert.deepEqual(
      r.root.children.map((c) => [c.name, c.format, c.info.model, (c.info.entries as unknown[]).length]),
      [
        ['0.dtb', 'fdt', 'A', 2],
        ['1.dtb', 'fdt', 'B', 1],
      ],
    );
    const e0 = (r.root.children[0].info.entries as Record<string, unknown>[])[0];
    assert.equal(e0.platformId, '0xf6');
    assert.equal(e0.subtypeId, version >= 2 ? '0x0' : undefined);
    assert.deepEqual(e0.pmicIds, version === 3 ? ['0x10009', '0x1000a', '0x0', '0x0'] : undefined);
    assert.deepEqual(r.findings, []);
  }
  const lying = buildQcdt(2, [{ platformId: 1, variantId: 1, socRev: 0, dtb: 0 }], [a]);
  lying.writeUInt32LE(1 << 30, 12 + 16); // the entry's offset
  const r2 = await run(t, 'dt.img', lying);
  assert.deepEqual(rules(r2), ['integrity/truncated']);
});

test('amlogic-dtb: v1 and v2 multi-DTBs, names from the reversed words, gzip-compressed as Amlogic ships it', async (t) => {
  const dtbs = [
    { soc: 'gxl', platform: 'p212', variant: '2g', dtb: board('P212 2G', ['amlogic, Gxl']) },
    { soc: 'gxl', platform: 'p212', variant: '1g', dtb: board('P212 1G', ['amlogic, Gxl']) },
  ];
  for (const version of [1, 2] as const) {
    const r = await run(t, 'dtb.img', buildAmlMultiDtb(dtbs, version));
    assert.equal(r.root.format, 'amlogic-dtb');
    assert.deepEqual(
      r.root.children.map((c) => [c.name, c.format, c.info.model]),
      [
        ['gxl_p212_2g.dtb', 'fdt', 'P212 2G'],
        ['gxl_p212_1g.dtb', 'fdt', 'P212 1G'],
      ],
    );
  }
  const r = await run(t, 'dtb.img', gzipSync(buildAmlMultiDtb(dtbs)));
  assert.equal(r.root.format, 'gzip');
  assert.equal(r.root.children[0].format, 'amlogic-dtb');
  assert.equal(r.root.children[0].children.length, 2);
  assert.deepEqual(r.findings, []);
});

test('amlogic-secure: a plain payload is a child, an encrypted one is said to be so', async (t) => {
  const plain = await run(t, 'dt.img', buildAmlSecure(board('X', ['a,b'])));
  assert.equal(plain.root.format, 'amlogic-secure');
  assert.deepEqual(
    plain.root.children.map((c) => [c.name, c.format]),
    [['payload', 'fdt']],
  );
  const enc = await run(t, 'dt.img', buildAmlSecure(pseudoRandom(4096, 1)));
  assert.equal(enc.root.info.payloadEncrypted, true);
  assert.deepEqual(enc.root.children, []);
});

test('unisoc-dhtb, samsung-uh, samsung-keystorage: identified with their fields', async (t) => {
  const d = await run(t, 'fdl1-sign.bin', buildDhtb(pseudoRandom(1000, 1), { signature: pseudoRandom(692, 2) }));
  assert.equal(d.root.format, 'unisoc-dhtb');
  assert.equal(d.root.info.payloadSize, 1008);
  assert.equal(d.root.info.payloadSha256, null);
  assert.equal(d.root.info.signatureBytes, 692);
  assert.deepEqual(
    d.root.children.map((c) => [c.name, c.size]),
    [['payload', 1008]],
  );
  const elf = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), pseudoRandom(2000, 3)]);
  const u = await run(t, 'uh.bin', buildUh(elf, pseudoRandom(784, 4)));
  assert.equal(u.root.format, 'samsung-uh');
  assert.deepEqual(u.root.info, { ...u.root.info, elfOffset: 4096, elfSize: 2004, elf: true, signatureBytes: 784 });
  assert.equal(u.root.children[0].name, 'uh.elf');
  const k = await run(t, 'keystorage.bin', buildKeystorage(['cp_key', 'vbmeta', 'fimc']));
  assert.equal(k.root.format, 'samsung-keystorage');
  assert.deepEqual(
    (k.root.info.keySlots as { name: string }[]).map((s) => s.name),
    ['cp_key', 'vbmeta', 'fimc'],
  );
  for (const r of [d, u, k]) assert.deepEqual(r.findings, []);
});

test('hostile vendor headers end as findings, never a throw', async (t) => {
  const cases: [string, Buffer][] = [
    ['a.bin', Buffer.concat([Buffer.from('BOOT'), Buffer.from([0x66, 0]), Buffer.alloc(120, 0xff)])],
    ['b.img', Buffer.concat([Buffer.from('KRNL'), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.alloc(8)])],
    ['c.img', Buffer.concat([Buffer.from('RSCE'), Buffer.from([0, 0, 0, 0, 1, 0xff, 1, 0, 0xff, 0xff, 0xff, 0xff])])],
    ['d.img', Buffer.concat([Buffer.from('QCDT'), Buffer.from([3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])])],
    ['e.img', Buffer.concat([Buffer.from('AML_'), Buffer.from([2, 0, 0, 0, 5, 0, 0, 0])])],
    ['f.img', Buffer.concat([Buffer.alloc(8), Buffer.from('AML_RES!'), Buffer.from([0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff]), Buffer.alloc(40)])],
    ['g.bin', Buffer.concat([Buffer.from('DHTB'), Buffer.alloc(44), Buffer.from([0xff, 0xff, 0xff, 0x7f])])],
    ['uh.bin', Buffer.concat([Buffer.from('GREENTEA'), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.alloc(0x40)])],
  ];
  for (const [name, data] of cases) {
    const r = await run(t, name, data);
    assert.ok(r.findings.length > 0, `${name}: ${r.root.format}`);
    for (const a of walkArtifacts(r.root)) for (const f of a.facts) assert.doesNotMatch(f.message, /undefined|NaN|Error/, `${name}: ${f.message}`);
  }
});
