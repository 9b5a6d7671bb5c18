/**
 * Packages encrypted with vendor keys (src/formats/oppo) and Nokia's plain
 * `.nb0` (src/formats/nokia-nb0): recognised, their readable header fields
 * shown, the encrypted parts a `format/unsupported` finding with its reason
 * (never `data`, never a pass). A plain zip renamed `.ozip` is a zip (made
 * by Info-ZIP's `zip` where present); an `.nb0` file extracts byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import type { Report } from '../../src/report/model';
import { mtkOfpClear } from '../../src/formats/oppo';
import { buildNb0, buildOfpMtk, buildOfpQc, buildOps, buildOzip, mtkOfpObfuscate } from '../../fixtures/builders/oppo';
import { buildZip } from '../../fixtures/builders/zip';
import { buildBootImage } from '../../fixtures/builders/bootimg';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runCli, runTool, tempDir } from '../helpers';
import { describe } from '../interop/util';

const info = (r: Report) => r.root.info as Record<string, unknown>;
const rules = (r: Report) => r.findings.map((f) => f.ruleId);
const unsupported = (r: Report) => r.findings.filter((f) => f.ruleId === 'format/unsupported').map((f) => f.message);

/** Detection by name reads the file's own name: a Buffer's `name` only labels the report. */
async function inspectFile(dir: string, name: string, bytes: Buffer): Promise<Report> {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return inspect(file, { sidecars: false });
}

function assertEncrypted(r: Report, format: string, reason: RegExp) {
  assert.equal(r.root.format, format);
  const u = unsupported(r);
  assert.equal(u.length, 1, describe(r.findings));
  assert.match(u[0], reason);
  assert.notEqual(r.summary.integrity.status, 'verified');
  assert.ok(!r.root.facts.some((f) => f.kind.endsWith('-ok')), describe(r.findings));
}

test('.ozip: OPPOENCRYPT! with its declared size; the payload is unsupported (vendor key); an encrypted member inside a zip too', async () => {
  const plain = buildZip([{ name: 'payload.bin', data: pseudoRandom(40000, 1) }]);
  const oz = buildOzip(plain);
  const r = await inspect(oz, { name: 'RMX1931EX_11_OTA_0070_all.ozip', sidecars: false });
  assertEncrypted(r, 'oppo-ozip', /AES-128-ECB encrypted with a per-model Oppo key, which romscope does not have/);
  assert.equal(info(r).plainSize, plain.length);
  assert.equal(info(r).payloadSize, oz.length - 0x1050);
  assert.deepEqual(r.root.children, []);
  // A zip of encrypted members (the other .ozip form): each member is recognised.
  const outer = buildZip([
    { name: 'boot.img', data: buildOzip(pseudoRandom(5000, 2)) },
    { name: 'readme.txt', data: Buffer.from('hello\n') },
  ]);
  const z = await inspect(outer, { name: 'fastboot.ozip', sidecars: false });
  assert.equal(z.root.format, 'zip');
  assert.equal(z.root.children.find((c) => c.name === 'boot.img')?.format, 'oppo-ozip');
  assert.equal(unsupported(z).length, 1, describe(z.findings));
  // Cut inside its header: truncated, no crash.
  const cut = await inspect(oz.subarray(0, 100), { name: 'x.ozip', sidecars: false });
  assert.ok(rules(cut).includes('integrity/truncated'), describe(cut.findings));
});

test('a plain zip renamed .ozip opens as a zip', async (t) => {
  if (!requireTools(t, 'zip')) return;
  const dir = tempDir(t);
  const boot = buildBootImage({ kernel: pseudoRandom(3000, 3) });
  writeFileSync(join(dir, 'boot.img'), boot);
  runTool('zip', ['-q', '-X', join(dir, 'update.zip'), 'boot.img'], { cwd: dir });
  writeFileSync(join(dir, 'update.ozip'), readFileSync(join(dir, 'update.zip')));
  const r = await inspect(join(dir, 'update.ozip'), { sidecars: false });
  assert.equal(r.root.format, 'zip');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format]),
    [['boot.img', 'android-boot']],
  );
  assert.deepEqual(unsupported(r), []);
});

test('.ofp Qualcomm: the footer (0x7CEF, page size, XML offset and length) is read; the XML and items are unsupported', async (t) => {
  const dir = tempDir(t);
  for (const page of [0x200, 0x1000] as const) {
    const ofp = buildOfpQc([pseudoRandom(7000, 4), pseudoRandom(3000, 5)], { page });
    const r = await inspectFile(dir, 'CPH1921EX_11_A.24.ofp', ofp);
    assertEncrypted(r, 'oppo-ofp', /^an Oppo Qualcomm \.ofp: its file list \(XML at offset \d+\) and its items are AES-128-CFB encrypted with a per-model Oppo key, which romscope does not have/);
    assert.equal(info(r).variant, 'qualcomm');
    assert.equal(info(r).pageSize, page);
    assert.equal(info(r).footerOffset, ofp.length - page);
    // A lying XML offset is said.
    const bad = Buffer.from(ofp);
    bad.writeUInt32LE(0xffffff, ofp.length - page + 0x14);
    const b = await inspectFile(dir, 'x.ofp', bad);
    assert.ok(
      b.findings.some((f) => f.ruleId === 'format/unreadable' && /past the footer/.test(f.message)),
      describe(b.findings),
    );
  }
});

test('.ofp MediaTek: the obfuscated header and entry table are read; plain entries are children, encrypted ones unsupported', async (t) => {
  const dir = tempDir(t);
  // The header obfuscation: our reader undoes the builder's, byte for byte.
  const sample = pseudoRandom(300, 6);
  assert.ok(mtkOfpClear(mtkOfpObfuscate(sample)).equals(sample));
  const boot = buildBootImage({ kernel: pseudoRandom(4000, 7) });
  const ofp = buildOfpMtk([
    { name: 'preloader', fileName: 'preloader_k71v1.bin', data: pseudoRandom(2000, 8), encrypted: 2000 },
    { name: 'boot', fileName: 'boot.img', data: boot },
    { name: 'md1img', fileName: 'md1img.img', data: pseudoRandom(9000, 9), encrypted: 4096 },
  ]);
  const r = await inspectFile(dir, 'CPH1893EX_11_A.19.ofp', ofp);
  assertEncrypted(r, 'oppo-ofp', /^an Oppo MediaTek \.ofp: 2 of its 3 entries begin with AES-128-CFB encrypted bytes/);
  assert.equal(info(r).variant, 'mediatek');
  assert.equal(info(r).cpu, 'MT6771');
  assert.equal(info(r).flashType, 'emmc');
  assert.equal(info(r).project, '18531');
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format, c.size]),
    [['boot.img', 'android-boot', boot.length]],
  );
  // A lying entry count: a finding, not a crash.
  const h = mtkOfpClear(ofp.subarray(ofp.length - 0x6c));
  h.writeUInt16LE(60000, 72);
  const lying = Buffer.concat([ofp.subarray(0, ofp.length - 0x6c), mtkOfpObfuscate(h)]);
  const l = await inspectFile(dir, 'x.ofp', lying);
  assert.equal(l.root.format, 'oppo-ofp');
  assert.ok(
    rules(l).some((id) => id === 'integrity/truncated' || id === 'format/budget-exceeded'),
    describe(l.findings),
  );
  // Neither footer: said, the format kept.
  const junk = await inspectFile(dir, 'junk.ofp', Buffer.alloc(5000, 0xff));
  assert.equal(junk.root.format, 'oppo-ofp');
  assert.ok(junk.findings.length > 0, describe(junk.findings));
});

test('.ops: the footer (project id, firmware name, XML place) is read; the XML and items are unsupported', async (t) => {
  const dir = tempDir(t);
  const ops = buildOps([pseudoRandom(5000, 10), pseudoRandom(1000, 11)], { projectId: '19821', firmware: 'instantnoodlev_15_O.07_201103' });
  const r = await inspectFile(dir, 'instantnoodlev_15_O.07_201103.ops', ops);
  assertEncrypted(r, 'oneplus-ops', /^a OnePlus \.ops: its settings XML \(at offset \d+\) and its SAHARA items are encrypted with OnePlus's own cipher, which romscope does not decrypt/);
  assert.equal(info(r).projectId, '19821');
  assert.equal(info(r).firmwareName, 'instantnoodlev_15_O.07_201103');
  assert.equal(info(r).xmlOffset, 6144);
  const bad = Buffer.from(ops);
  bad.writeUInt32LE(0, ops.length - 0x200 + 0x10);
  const b = await inspectFile(dir, 'x.ops', bad);
  assert.equal(b.root.format, 'oneplus-ops');
  assert.ok(
    b.findings.some((f) => /0x7CEF/.test(f.message)),
    describe(b.findings),
  );
});

test('.nb0: the file table is read, each file a child that extracts byte for byte; lying counts and offsets are findings', async (t) => {
  const boot = buildBootImage({ kernel: pseudoRandom(3000, 12) });
  const files = [
    { name: 'boot.img', data: boot },
    { name: 'splash.img', data: pseudoRandom(777, 13) },
    { name: 'NON-HLOS.bin', data: pseudoRandom(1500, 14) },
  ];
  const nb0 = buildNb0(files);
  const dir = tempDir(t);
  const file = join(dir, 'B2N-3060-0-00WW-B03.nb0');
  writeFileSync(file, nb0);
  const r = await inspect(file, { sidecars: false });
  assert.equal(r.root.format, 'nokia-nb0');
  assert.deepEqual(
    rules(r).filter((id) => id.startsWith('integrity/') || id.startsWith('format/')),
    [],
    describe(r.findings),
  );
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format, c.size]),
    [
      ['boot.img', 'android-boot', boot.length],
      ['splash.img', 'data', 777],
      ['NON-HLOS.bin', 'data', 1500],
    ],
  );
  assert.equal(info(r).dataOffset, 4 + 3 * 64);
  const out = join(dir, 'splash.out');
  const x = runCli(['extract', file, 'splash.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(files[1].data));
  const far = Buffer.from(nb0);
  far.writeUInt32LE(0xfffff000, 4 + 64 + 0);
  const f = await inspectFile(dir, 'x.nb0', far);
  assert.ok(
    f.findings.some((x) => x.ruleId === 'integrity/truncated' && /^splash.img/.test(x.message)),
    describe(f.findings),
  );
  const hi = Buffer.from(nb0);
  hi.writeUInt32LE(0xffffffff, 4 + 12);
  const h = await inspectFile(dir, 'x.nb0', hi);
  assert.ok(
    h.findings.some((x) => x.ruleId === 'format/unreadable' && /past 2\^52/.test(x.message)),
    describe(h.findings),
  );
  const many = Buffer.from(nb0);
  many.writeUInt32LE(3, 0);
  many.writeUInt32LE(1000, 0);
  const lying = await inspectFile(dir, 'lying.nb0', many);
  assert.ok(
    lying.findings.some((x) => x.ruleId === 'integrity/truncated' && /a table of 1000 entries/.test(x.message)),
    describe(lying.findings),
  );
  const cut = await inspectFile(dir, 'cut.nb0', nb0.subarray(0, nb0.length - 10));
  assert.ok(
    cut.findings.some((x) => x.ruleId === 'integrity/truncated' && /^NON-HLOS.bin/.test(x.message)),
    describe(cut.findings),
  );
});
