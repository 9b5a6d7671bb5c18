/**
 * Sony .sin v3 / v4 / v5 and .ftf (src/formats/sony-sin, sony-ftf): images
 * built by real tools (img2simg, mkbootimg, lz4, openssl cms) inside SINs
 * built by fixtures/builders/sony.ts; the SIN v3 hash blocks are compared
 * with sha256sum, children extracted by `romscope extract` must equal the
 * tools' output, one flipped payload byte must be found, and the signature
 * is never a pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts, type Artifact, type Report } from '../../src/report/model';
import { buildFtf, buildSinTar, buildSinV3, sinBlockMap } from '../../fixtures/builders/sony';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runCli, runTool, tempDir } from '../helpers';
import { innerImages } from './inner-images';
import { describe } from '../interop/util';

const rules = (r: Report) => r.findings.map((f) => f.ruleId);
const find = (r: Report, path: string): Artifact | undefined => [...walkArtifacts(r.root)].find((a) => a.path === path);

interface Built {
  dir: string;
  simg: Buffer;
  boot: Buffer;
  vbmeta: Buffer;
  cms: Buffer;
}

async function images(t: Parameters<typeof tempDir>[0]): Promise<Built | null> {
  const inner = innerImages(t, { tools: ['openssl'], dataBytes: 300000, salt: pseudoRandom(32, 5) });
  if (!inner) return null;
  const { dir, boot, vbmeta } = inner;
  // A CMS SignedData made by openssl, standing in for Sony's (its content layout is not public).
  runTool('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Test SIN signer', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')]);
  writeFileSync(join(dir, 'hashes.bin'), pseudoRandom(256, 6));
  runTool('openssl', ['cms', '-sign', '-binary', '-nodetach', '-in', join(dir, 'hashes.bin'), '-signer', join(dir, 'c.pem'), '-inkey', join(dir, 'k.pem'), '-outform', 'DER', '-out', join(dir, 'sig.cms')]);
  return { dir, simg: inner.simg, boot, vbmeta, cms: readFileSync(join(dir, 'sig.cms')) };
}

test('SIN v3: header, hash blocks checked against sha256sum, the sparse payload expands, the signature is unverifiable', async (t) => {
  const b = await images(t);
  if (!b) return;
  const file = join(b.dir, 'system_X-FLASH-ALL-C93B.sin');
  const sin = buildSinV3({ payload: b.simg, cert: b.cms });
  writeFileSync(file, sin);
  const r = await inspect(file, { sidecars: false });
  assert.equal(r.root.format, 'sony-sin');
  const info = r.root.info;
  const blocks = Math.ceil(b.simg.length / (128 * 1024));
  assert.equal(info.version, 3);
  assert.equal(info.hashAlgorithm, 'SHA-256');
  assert.equal(info.hashBlocks, blocks);
  assert.equal(info.payloadLength, b.simg.length);
  assert.equal(info.headerLength, sin.length - b.simg.length);
  // The first hash block's digest is what sha256sum says of the first 128 KiB of the image.
  writeFileSync(join(b.dir, 'first'), b.simg.subarray(0, 128 * 1024));
  const sum = runTool('sha256sum', [join(b.dir, 'first')])
    .stdout.toString()
    .split(' ')[0];
  assert.equal((info.firstBlocks as { digest: string }[])[0].digest, sum);
  const sig = info.signature as { form: string; certificates: { subject: string }[] };
  assert.equal(sig.form, 'CMS SignedData');
  assert.match(sig.certificates[0].subject, /Test SIN signer/);
  assert.deepEqual(
    r.root.children.map((c) => [c.name, c.format]),
    [['system.img', 'android-sparse']],
  );
  assert.equal(find(r, 'system.img/raw')?.size, 1 << 20);
  assert.equal(r.root.facts.filter((f) => f.kind === 'image-checksum-ok').length, 1, describe(r.findings));
  assert.equal(r.summary.integrity.status, 'verified');
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(r.summary.signature.reason ?? '', /Sony SIN signature .* not verified: Sony's signing keys/);
  assert.deepEqual(rules(r), [], describe(r.findings));
  // The payload extracts byte for byte as img2simg wrote it, and expands as simg2img would.
  const out = join(b.dir, 'out.simg');
  const x = runCli(['extract', file, 'system.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(b.simg));
});

test('SIN v3: one flipped payload byte is found by its hash block; SHA-1 tables are read too', async (t) => {
  const b = await images(t);
  if (!b) return;
  const at = 128 * 1024 * 2 + 77;
  const r = await inspect(buildSinV3({ payload: b.simg, corruptAt: at }), { name: 'system.sin', sidecars: false });
  const bad = r.findings.filter((f) => f.ruleId === 'integrity/image-checksum');
  assert.equal(bad.length, 1, describe(r.findings));
  assert.match(bad[0].message, /^SIN payload: 1 of its \d+ hash blocks do not match the SHA-256 in the header's hash block table \(block 2\)/);
  assert.equal(r.summary.integrity.status, 'failed');
  const sha1 = await inspect(buildSinV3({ payload: b.boot, hashType: 1, blockSize: 4096 }), { name: 'boot.sin', sidecars: false });
  assert.equal((sha1.root.info as Record<string, unknown>).hashAlgorithm, 'SHA-1');
  assert.equal(sha1.root.children[0]?.format, 'android-boot');
  assert.equal(sha1.root.facts.filter((f) => f.kind === 'image-checksum-ok').length, 1);
});

test('SIN v3 block map (MMCF with ADDR and LZ4A runs): the image is rebuilt from its runs, gaps 0xFF', async (t) => {
  const b = await images(t);
  if (!b) return;
  const split = 8192;
  // The second run is a raw LZ4 block made by lz4-napi (lz4_flex), decoded by romscope's own block decoder.
  const map = sinBlockMap([
    { imageOffset: 0, data: b.boot.subarray(0, split) },
    { imageOffset: split, data: b.boot.subarray(split), lz4: true },
  ]);
  const file = join(b.dir, 'boot.sin');
  writeFileSync(file, buildSinV3({ payload: map.payload, blockLengths: [map.mapLength], blockSize: 4096 }));
  const r = await inspect(file, { sidecars: false });
  const info = r.root.info as Record<string, unknown>;
  assert.equal(info.payload, 'block map (MMCF)');
  assert.deepEqual(
    ((info.blockMap as { entries: { type: string }[] }).entries ?? []).map((e) => e.type),
    ['ADDR', 'LZ4A'],
  );
  assert.equal(r.root.children[0]?.format, 'android-boot');
  assert.equal(r.root.children[0]?.size, b.boot.length);
  assert.equal(r.summary.integrity.status, 'verified', describe(r.findings));
  const out = join(b.dir, 'boot.out');
  const x = runCli(['extract', file, 'boot.img', '-o', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.ok(readFileSync(out).equals(b.boot));
  // A gap between runs reads as 0xFF, as Flashtool fills it.
  const gap = sinBlockMap([
    { imageOffset: 0, data: Buffer.from('abcd') },
    { imageOffset: 8, data: Buffer.from('efgh') },
  ]);
  const gx = join(b.dir, 'gap.sin');
  writeFileSync(gx, buildSinV3({ payload: gap.payload, blockLengths: [gap.mapLength] }));
  const gout = join(b.dir, 'gap.out');
  assert.equal(runCli(['extract', gx, 'gap.img', '-o', gout]).code, 0);
  assert.deepEqual([...readFileSync(gout)], [...Buffer.from('abcd'), 0xff, 0xff, 0xff, 0xff, ...Buffer.from('efgh')]);
  // A damaged LZ4A block is a finding on the rebuilt image, not a crash.
  const bad = Buffer.from(map.payload);
  bad[map.mapLength + split] = 0; // the first token: no literals, then a match reaching before the output
  const d = await inspect(buildSinV3({ payload: bad, blockLengths: [map.mapLength], blockSize: 4096 }), { name: 'boot.sin', sidecars: false });
  assert.ok(
    d.findings.some((f) => f.ruleId === 'format/unreadable' && /the LZ4A run at byte \d+ of the SIN does not decode/.test(f.message) && !/internal error/.test(f.message)),
    describe(d.findings),
  );
});

test('SIN v4 (gzip tar) and v5 (LZ4 pieces): the .cms is shown, pieces decode through their own handlers, signature unverifiable', async (t) => {
  const b = await images(t);
  if (!b || !requireTools(t, 'lz4')) return;
  const file = join(b.dir, 'system.sin');
  writeFileSync(file, buildSinTar({ partition: 'system', cms: b.cms, pieces: [b.simg] }));
  const r = await inspect(file, { sidecars: false });
  assert.equal(r.root.format, 'gzip');
  const tar = r.root.children[0];
  assert.equal(tar.format, 'sony-sin');
  assert.equal(tar.info.partition, 'system');
  assert.equal((tar.info.signature as { form: string }).form, 'CMS SignedData');
  assert.deepEqual(
    tar.children.map((c) => [c.name, c.format]),
    [
      ['system.cms', 'data'],
      ['system.000', 'android-sparse'],
    ],
  );
  assert.ok(tar.facts.some((f) => f.kind === 'sin-signature-unchecked'));
  assert.equal(r.summary.signature.status, 'unverifiable');
  // v5: an LZ4 frame made by the lz4 tool.
  writeFileSync(join(b.dir, 'piece'), b.simg);
  runTool('lz4', ['-f', '-q', join(b.dir, 'piece'), join(b.dir, 'piece.lz4')]);
  const v5 = await inspect(buildSinTar({ partition: 'userdata', cms: b.cms, pieces: [readFileSync(join(b.dir, 'piece.lz4'))], pieceSuffix: '.lz4', gzip: false }), { name: 'userdata.sin', sidecars: false });
  assert.equal(v5.root.format, 'sony-sin');
  const piece = v5.root.children.find((c) => c.name === 'userdata.000.lz4');
  assert.equal(piece?.format, 'lz4');
  assert.equal(piece?.children[0]?.format, 'android-sparse');
  assert.equal(v5.summary.integrity.status, 'verified', describe(v5.findings));
});

test('FTF: manifest fields, every .sin decoded down to the images own checks (sparse, boot, vbmeta)', async (t) => {
  const b = await images(t);
  if (!b) return;
  const file = join(b.dir, 'F8331_41.3.A.2.192_Customized DE.ftf');
  const map = sinBlockMap([{ imageOffset: 0, data: b.boot }]);
  writeFileSync(
    file,
    buildFtf({ device: 'F8331', version: '41.3.A.2.192', branding: 'Customized DE', cda: '1302-7180' }, [
      { name: 'system.sin', data: buildSinV3({ payload: b.simg, cert: b.cms }) },
      { name: 'boot.sin', data: buildSinV3({ payload: map.payload, blockLengths: [map.mapLength], cert: b.cms }) },
      { name: 'vbmeta.sin', data: buildSinTar({ partition: 'vbmeta', cms: b.cms, pieces: [b.vbmeta] }) },
    ]),
  );
  const r = await inspect(file, { sidecars: false });
  assert.equal(r.root.format, 'sony-ftf');
  assert.equal(r.root.info.device, 'F8331');
  assert.equal(r.root.info.version, '41.3.A.2.192');
  assert.equal(r.root.info.branding, 'Customized DE');
  assert.equal((r.root.info.manifest as Record<string, string>).cda, '1302-7180');
  assert.ok(
    r.root.facts.some((f) => f.kind === 'declaration' && /FTF manifest declares device "F8331"/.test(f.message)),
    JSON.stringify(r.root.facts),
  );
  const other = await inspect(file, { sidecars: false, target: { model: 'XQ-AT51' } });
  assert.ok(rules(other).includes('compat/device-mismatch'), describe(other.findings));
  assert.equal(find(r, 'system.sin/system.img')?.format, 'android-sparse');
  assert.equal(find(r, 'system.sin/system.img/raw')?.size, 1 << 20);
  assert.equal(find(r, 'boot.sin/boot.img')?.format, 'android-boot');
  const vb = find(r, 'vbmeta.sin/vbmeta.sin/vbmeta.000');
  assert.equal(vb?.format, 'avb-vbmeta');
  assert.ok(
    vb?.facts.some((f) => f.kind === 'avb-signature-ok'),
    describe(r.findings),
  );
  // The boot image inside boot.sin matches the vbmeta's hash descriptor.
  const bootImg = find(r, 'boot.sin/boot.img');
  assert.ok(
    [...walkArtifacts(r.root)].some((a) => a.facts.some((f) => f.kind === 'avb-hash-ok')),
    describe(r.findings) + JSON.stringify(bootImg?.facts),
  );
  const sins = [...walkArtifacts(r.root)].filter((a) => a.format === 'sony-sin');
  assert.equal(sins.length, 3);
  for (const s of sins)
    assert.ok(
      s.facts.some((f) => f.kind === 'sin-signature-unchecked'),
      s.path,
    );
  assert.equal(r.summary.integrity.status, 'verified', describe(r.findings));
  assert.notEqual(r.summary.signature.status, 'failed');
  // One flipped byte in the system image inside the bundle is found by that SIN's hash blocks (the zip CRC, computed over the damaged bytes, matches).
  const bad = join(b.dir, 'bad.ftf');
  writeFileSync(bad, buildFtf({ device: 'F8331' }, [{ name: 'system.sin', data: buildSinV3({ payload: b.simg, corruptAt: 5000 }) }]));
  const d = await inspect(bad, { sidecars: false });
  const found = d.findings.filter((f) => f.ruleId === 'integrity/image-checksum');
  assert.equal(found.length, 1, describe(d.findings));
  assert.equal(found[0].path, 'system.sin');
  assert.match(found[0].message, /\(block 0\)/);
});

test('SIN: malformed headers give findings, not crashes', async () => {
  const good = buildSinV3({ payload: pseudoRandom(5000, 9), blockSize: 1024, cert: pseudoRandom(40, 10) });
  const run = (b: Buffer) => inspect(b, { name: 'x.sin', sidecars: false });
  const cut = await run(good.subarray(0, good.length - 100));
  assert.ok(rules(cut).includes('integrity/truncated'), describe(cut.findings));
  const junk = await run(Buffer.concat([good, Buffer.from('trailing')]));
  assert.deepEqual(rules(junk), ['format/unreadable'], describe(junk.findings));
  const table = Buffer.from(good);
  table.writeUInt32BE(good.readUInt32BE(20) + 1, 20);
  assert.ok(rules(await run(table)).includes('format/unreadable'));
  const type = Buffer.from(good);
  type.writeUInt32BE(7, 12);
  assert.ok(rules(await run(type)).includes('format/unsupported'));
  const cert = Buffer.from(good);
  cert.writeUInt32BE(0xffffffff, 24 + good.readUInt32BE(20));
  assert.ok(rules(await run(cert)).includes('format/unreadable'));
  const header = Buffer.from(good);
  header.writeUInt32BE(0x7fffffff, 4);
  assert.ok(rules(await run(header)).includes('integrity/truncated'));
  const tiny = await run(Buffer.from([3, 0x53, 0x49, 0x4e, 0, 0]));
  assert.equal(tiny.root.format, 'data');
  // A block map that lies about its lengths.
  const map = sinBlockMap([{ imageOffset: 0, data: pseudoRandom(100, 11) }]);
  const lying = Buffer.from(map.payload);
  lying.writeUInt32BE(0x7ffffff0, 4); // the MMCF block's length
  const m = await run(buildSinV3({ payload: lying, blockLengths: [map.mapLength] }));
  assert.ok(rules(m).includes('format/unreadable'), describe(m.findings));
  const overlap = sinBlockMap([
    { imageOffset: 0, data: pseudoRandom(100, 12) },
    { imageOffset: 50, data: pseudoRandom(100, 13) },
  ]);
  const o = await run(buildSinV3({ payload: overlap.payload, blockLengths: [overlap.mapLength] }));
  assert.ok(rules(o).includes('format/unreadable'), describe(o.findings));
  // A run placed 32 TiB into the image: the rebuilt size is charged to --max-expanded before anything is read.
  const far = sinBlockMap([{ imageOffset: 2 ** 45, data: pseudoRandom(100, 14) }]);
  const f = await run(buildSinV3({ payload: far.payload, blockLengths: [far.mapLength] }));
  assert.ok(rules(f).includes('format/budget-exceeded'), describe(f.findings));
  assert.equal(f.root.children.length, 0);
  // A SIN archive with a .cms and no payload, and a .cms that is not CMS.
  const empty = await inspect(buildSinTar({ partition: 'boot', cms: Buffer.from('not a cms'), pieces: [], gzip: false }), { name: 'boot.sin', sidecars: false });
  assert.equal(empty.root.format, 'sony-sin');
  assert.match(String((empty.root.info.signature as { form: string }).form), /^not CMS SignedData/);
  assert.ok(rules(empty).includes('format/unreadable'));
});
