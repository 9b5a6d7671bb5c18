/**
 * AVB across a package (src/pipeline/avb-verify.ts): a top-level vbmeta.img
 * with a hash descriptor for boot.img, a hashtree descriptor for a sparse
 * system.img, and a chain to vbmeta_system.img, whose hashtree descriptor
 * covers a logical partition of super.img that carries its own (unsigned)
 * hashtree footer. Intact, it verifies; one byte flipped in each part gives
 * exactly the finding it should. Then own footers, streamed images, lying
 * sizes, the budget, GKI boot signatures, extraction and the summary.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { newRsaKeyPair } from '../../fixtures/builders/keys';
import { join } from 'node:path';
import { inspect, type InspectOptions } from '../../src/pipeline/inspect';
import { extract } from '../../src/pipeline/extract';
import { walkArtifacts, type Report } from '../../src/report/model';
import { tempDir } from '../helpers';
import { artifactAt, describe, errors, peakMemoryGrowth } from '../interop/util';
import { addHashFooter, addHashtreeFooter, buildVbmeta, hashDescriptor, hashTree, keyBlob, rsaKey, type DescriptorSpec } from '../../fixtures/builders/avb';
import { buildZip } from '../../fixtures/builders/zip';
import { buildSparse } from '../../fixtures/builders/sparse';
import { buildSuperImage } from '../../fixtures/builders/super';
import { buildBootImage } from '../../fixtures/builders/bootimg';
import { pseudoRandom } from '../../fixtures/builders/data';

const topKey = rsaKey(4096);
const sysKey = rsaKey(2048);
const salt = pseudoRandom(32, 1);

const boot = pseudoRandom(3 * 4096 + 123, 11);
const system = pseudoRandom(300 * 4096, 12);
const vendorRaw = pseudoRandom(200 * 4096, 13);
const vendor = addHashtreeFooter(vendorRaw, { partitionName: 'vendor', partitionSize: 200 * 4096 + 96 * 1024, salt });

const systemDesc: DescriptorSpec = { type: 'hashtree', partition: 'system', imageSize: system.length, treeOffset: system.length, treeSize: 12288, salt, rootDigest: hashTree(system, salt).rootDigest };

interface Parts {
  boot?: Buffer;
  system?: Buffer;
  vendor?: Buffer;
  sysSigner?: typeof sysKey;
  vbmeta?: Buffer;
  withSystemVbmeta?: boolean;
}

function vbmetaTop(): Buffer {
  return buildVbmeta({
    algorithm: 'SHA256_RSA4096',
    key: topKey,
    rollbackIndex: 1_700_000_000,
    descriptors: [
      { type: 'chain-partition', partition: 'vbmeta_system', rollbackIndexLocation: 1, publicKey: keyBlob(sysKey) },
      { type: 'property', key: 'com.android.build.boot.os_version', value: '15' },
      hashDescriptor(boot, 'boot', salt),
      systemDesc,
    ],
  });
}

function pkg(p: Parts = {}): Buffer {
  const vbmetaSystem = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: p.sysSigner ?? sysKey, rollbackIndex: 7, descriptors: [vendor.descriptor] });
  const superImg = buildSuperImage({ partitions: [{ name: 'vendor_a', attributes: ['readonly'], data: p.vendor ?? vendor.image }] }, { metadataMaxSize: 4096, slotCount: 2 }).image;
  return buildZip([
    { name: 'vbmeta.img', data: p.vbmeta ?? vbmetaTop() },
    ...(p.withSystemVbmeta === false ? [] : [{ name: 'vbmeta_system.img', data: vbmetaSystem }]),
    { name: 'boot.img', data: p.boot ?? boot, method: 'deflate' as const },
    { name: 'system.img', data: buildSparse([{ type: 'raw', data: p.system ?? system }]) },
    { name: 'super.img', data: superImg },
  ]);
}

async function run(t: TestContext, file: string, bytes: Buffer, opts?: InspectOptions): Promise<{ r: Report; path: string }> {
  const path = join(tempDir(t), file);
  writeFileSync(path, bytes);
  return { r: await inspect(path, opts), path };
}

const AVB_RULES = /^(signature\/|integrity\/avb|format\/avb)/;
const avbFindings = (r: Report) => r.findings.filter((f) => AVB_RULES.test(f.ruleId)).map((f) => ({ ruleId: f.ruleId, path: f.path }));
const flip = (b: Buffer, at: number) => {
  const c = Buffer.from(b);
  c[at] ^= 0x80;
  return c;
};

test('package: intact, every check passes and the summary is verified', async (t) => {
  const { r } = await run(t, 'factory.zip', pkg());
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.deepEqual(avbFindings(r), [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'verified', r.summary.signature.reason);
  assert.match(r.summary.signature.reason, /vbmeta\.img \(SHA256_RSA4096, key sha1 [0-9a-f]{40}\); 1 chained vbmeta signed with the expected keys, 4 image digests match/);
  const top = artifactAt(r.root, 'vbmeta.img');
  assert.equal(top.info.role, 'top-level');
  const kinds = top.facts
    .map((f) => f.kind)
    .filter((k) => k.startsWith('avb-'))
    .sort();
  assert.deepEqual(kinds, ['avb-chain-key-ok', 'avb-hash-ok', 'avb-hashtree-ok', 'avb-signature-ok']);
  assert.equal(top.facts.find((f) => f.kind === 'avb-hashtree-ok')!.image, 'system.img/raw');
  const sys = artifactAt(r.root, 'vbmeta_system.img');
  assert.equal(sys.info.role, 'chained');
  assert.deepEqual(sys.info.chainedBy, [{ vbmeta: 'vbmeta.img', partition: 'vbmeta_system', rollbackIndexLocation: 1 }]);
  assert.equal(sys.info.rollbackIndex, 7);
  assert.equal(sys.facts.find((f) => f.kind === 'avb-hashtree-ok')!.image, 'super.img/vendor_a');
  // The logical partition's own footer: unsigned, but vbmeta_system covers it.
  const own = artifactAt(r.root, 'super.img/vendor_a/vbmeta');
  assert.equal(own.info.role, 'covered');
  assert.deepEqual(own.facts.find((f) => f.kind === 'avb-unsigned')!.coveredBy, ['"vbmeta_system.img" (hashtree descriptor for "vendor")']);
  assert.ok(own.facts.some((f) => f.kind === 'avb-hashtree-ok' && f.own === true));
  // Two passed AVB digest checks count in summary.integrity with the rest.
  assert.equal(r.summary.integrity.status, 'verified');
});

test('package: a byte flipped in boot.img gives exactly integrity/avb-hash on vbmeta.img', async (t) => {
  const { r } = await run(t, 'factory.zip', pkg({ boot: flip(boot, 5000) }));
  assert.deepEqual(avbFindings(r), [{ ruleId: 'integrity/avb-hash', path: 'vbmeta.img' }], describe(r.findings));
  assert.match(
    r.findings.find((f) => f.ruleId === 'integrity/avb-hash')!.message,
    /^"boot\.img" does not match the hash descriptor for "boot": the sha256 of the salted first 12411 bytes is [0-9a-f]{64}, the descriptor says [0-9a-f]{64}$/,
  );
  assert.equal(r.summary.signature.status, 'failed');
  assert.equal(r.summary.integrity.status, 'failed');
});

test('package: a byte flipped in the sparse system.img gives exactly integrity/avb-hashtree on vbmeta.img', async (t) => {
  const { r } = await run(t, 'factory.zip', pkg({ system: flip(system, 299 * 4096 + 7) }));
  assert.deepEqual(avbFindings(r), [{ ruleId: 'integrity/avb-hashtree', path: 'vbmeta.img' }], describe(r.findings));
  assert.match(r.findings.find((f) => f.ruleId === 'integrity/avb-hashtree')!.message, /"system\.img\/raw" does not match the hashtree descriptor for "system"/);
});

test('package: a byte flipped in the logical partition fails both descriptors that cover it (its own footer, vbmeta_system)', async (t) => {
  const { r } = await run(t, 'factory.zip', pkg({ vendor: flip(vendor.image, 100) }));
  assert.deepEqual(
    avbFindings(r),
    [
      { ruleId: 'integrity/avb-hashtree', path: 'vbmeta_system.img' },
      { ruleId: 'integrity/avb-hashtree', path: 'super.img/vendor_a/vbmeta' },
    ],
    describe(r.findings),
  );
});

test('package: vbmeta_system.img signed with another key than the chain descriptor names', async (t) => {
  const other = newRsaKeyPair(2048).privateKey;
  const { r } = await run(t, 'factory.zip', pkg({ sysSigner: other }));
  assert.deepEqual(avbFindings(r), [{ ruleId: 'signature/avb-chain-key', path: 'vbmeta.img' }], describe(r.findings));
  assert.match(r.findings.find((f) => f.ruleId === 'signature/avb-chain-key')!.message, /expects key sha1 [0-9a-f]{40}; "vbmeta_system\.img" is signed with key sha1 [0-9a-f]{40}/);
  assert.equal(r.summary.signature.status, 'failed');
});

test('package: a chained image missing from the package is not a finding; everything present still verifies', async (t) => {
  const { r } = await run(t, 'factory.zip', pkg({ withSystemVbmeta: false }));
  // Without vbmeta_system nothing covers vendor_a's unsigned footer.
  assert.deepEqual(avbFindings(r), [{ ruleId: 'signature/avb-unsigned', path: 'super.img/vendor_a/vbmeta' }], describe(r.findings));
  assert.equal(r.summary.signature.status, 'unsigned');
});

test("an image's own footer: the chained boot.img is checked in its hashing pass; a flipped byte fails its own descriptor only", async (t) => {
  const bootKey = rsaKey(2048);
  const kernel = pseudoRandom(9000, 21);
  const img = buildBootImage({ headerVersion: 2, kernel, ramdisk: pseudoRandom(3000, 22), dtb: pseudoRandom(500, 23) });
  const signedBoot = addHashFooter(img, { partitionName: 'boot', partitionSize: 128 * 1024, salt, vbmeta: { algorithm: 'SHA256_RSA2048', key: bootKey, rollbackIndexLocation: 0 } });
  const top = buildVbmeta({ algorithm: 'SHA256_RSA4096', key: topKey, descriptors: [{ type: 'chain-partition', partition: 'boot', rollbackIndexLocation: 2, publicKey: keyBlob(bootKey) }] });
  const ok = await run(
    t,
    'p.zip',
    buildZip([
      { name: 'vbmeta.img', data: top },
      { name: 'boot.img', data: signedBoot.image },
    ]),
  );
  assert.deepEqual(avbFindings(ok.r), [], describe(ok.r.findings));
  assert.equal(ok.r.summary.signature.status, 'verified');
  const bv = artifactAt(ok.r.root, 'boot.img/vbmeta');
  assert.equal(bv.info.role, 'chained');
  assert.ok(bv.facts.some((f) => f.kind === 'avb-hash-ok' && f.own === true));
  const bad = await run(
    t,
    'p.zip',
    buildZip([
      { name: 'vbmeta.img', data: top },
      { name: 'boot.img', data: flip(signedBoot.image, 2048 + 100) },
    ]),
  );
  assert.deepEqual(avbFindings(bad.r), [{ ruleId: 'integrity/avb-hash', path: 'boot.img/vbmeta' }], describe(bad.r.findings));
  assert.match(bad.r.findings.find((f) => f.ruleId === 'integrity/avb-hash')!.message, /^the image this vbmeta is the footer of does not match the hash descriptor for "boot"/);
});

test('a streamed image (deflated in a zip): its footer is seen at its end and its vbmeta is read after the walk; extract reaches it', async (t) => {
  const key = rsaKey(2048);
  const dtbo = addHashFooter(pseudoRandom(20_000, 31), { partitionName: 'dtbo', partitionSize: 96 * 1024, salt, vbmeta: { algorithm: 'SHA256_RSA2048', key } });
  const { r, path } = await run(t, 'p.zip', buildZip([{ name: 'dtbo.img', data: dtbo.image, method: 'deflate' }]));
  assert.deepEqual(avbFindings(r), [], describe(r.findings));
  const v = artifactAt(r.root, 'dtbo.img/vbmeta');
  assert.equal(v.format, 'avb-vbmeta');
  assert.equal(v.info.signature, 'verified');
  assert.ok(v.facts.some((f) => f.kind === 'avb-hash-ok' && f.own === true));
  assert.equal(artifactAt(r.root, 'dtbo.img/avb_footer').info.vbmetaOffset, dtbo.vbmetaOffset);
  const out = join(tempDir(t), 'vbmeta.bin');
  await extract(path, 'dtbo.img/vbmeta', out);
  assert.ok(readFileSync(out).equals(dtbo.vbmeta));
  const bad = await run(t, 'p.zip', buildZip([{ name: 'dtbo.img', data: flip(dtbo.image, 10), method: 'deflate' }]));
  assert.deepEqual(avbFindings(bad.r), [{ ruleId: 'integrity/avb-hash', path: 'dtbo.img/vbmeta' }], describe(bad.r.findings));
});

test('extract reaches the footer vbmeta of a logical partition', async (t) => {
  const { path } = await run(t, 'factory.zip', pkg());
  const out = join(tempDir(t), 'v.bin');
  await extract(path, 'super.img/vendor_a/vbmeta', out);
  assert.ok(readFileSync(out).equals(vendor.vbmeta));
});

test('a hashtree descriptor claiming a 2^60-byte image: findings, nothing read, memory bounded', async (t) => {
  const huge: DescriptorSpec = { ...systemDesc, imageSize: 2n ** 60n };
  const vb = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: sysKey, descriptors: [huge] });
  const { value, rss } = await peakMemoryGrowth(() =>
    run(
      t,
      'p.zip',
      buildZip([
        { name: 'vbmeta.img', data: vb },
        { name: 'system.img', data: system },
      ]),
    ),
  );
  assert.deepEqual(
    avbFindings(value.r),
    [
      { ruleId: 'format/avb-invalid', path: 'vbmeta.img' },
      { ruleId: 'integrity/avb-hashtree', path: 'vbmeta.img' },
    ],
    describe(value.r.findings),
  );
  assert.match(value.r.findings[1].message, /"system\.img" is 1228800 bytes; the hashtree descriptor for "system" covers 1152921504606846976 bytes/);
  assert.ok(rss < 64 * 1024 * 1024, `RSS grew by ${rss}`);
  // 2^52 is a believable number, but not for this image: only the integrity finding.
  const vb2 = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: sysKey, descriptors: [{ ...systemDesc, imageSize: 2n ** 52n }] });
  const { r } = await run(
    t,
    'p.zip',
    buildZip([
      { name: 'vbmeta.img', data: vb2 },
      { name: 'system.img', data: system },
    ]),
  );
  assert.deepEqual(avbFindings(r), [{ ruleId: 'integrity/avb-hashtree', path: 'vbmeta.img' }], describe(r.findings));
});

test('the bytes read to check images are charged to the budget', async (t) => {
  const { r } = await run(t, 'factory.zip', pkg(), { budget: { maxExpandedBytes: 2 * 1024 * 1024 } });
  const budget = r.findings.filter((f) => f.ruleId === 'format/budget-exceeded');
  assert.ok(
    budget.some((f) => /not checked against its descriptors/.test(f.message)),
    describe(r.findings),
  );
});

test('a GKI boot signature (v4 boot_signature section) is verified but its descriptors are not matched to images', async (t) => {
  const gkiKey = rsaKey(2048);
  const sig = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: gkiKey, descriptors: [{ type: 'hash', partition: 'boot', imageSize: 4096, salt, digest: pseudoRandom(32, 9) }] });
  const img = buildBootImage({ headerVersion: 4, kernel: pseudoRandom(5000, 1), ramdisk: pseudoRandom(100, 2), bootSignature: Buffer.concat([sig, Buffer.alloc(4096 - sig.length)]) });
  const { r } = await run(t, 'boot.img', img);
  const v = artifactAt(r.root, 'boot_signature');
  assert.equal(v.format, 'avb-vbmeta');
  assert.equal(v.info.role, 'gki-boot-signature');
  assert.deepEqual(avbFindings(r), [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'verified');
});

test('summary.signature: no vbmeta keeps the plain reason', async (t) => {
  const { r } = await run(t, 'p.zip', buildZip([{ name: 'boot.img', data: boot }]));
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(r.summary.signature.reason, /^no signed format found that this version verifies \(found: zip\)$/);
});

test('docs: every info key of avb-vbmeta and avb-footer artifacts is documented in docs/report-format.md', async (t) => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'report-format.md'), 'utf8');
  const everything = buildVbmeta({
    algorithm: 'SHA256_RSA2048',
    key: sysKey,
    flags: 1,
    publicKeyMetadata: pseudoRandom(100, 3),
    descriptors: [
      { type: 'property', key: 'bin', value: pseudoRandom(2000, 4) },
      { type: 'kernel-cmdline', cmdline: 'x=y' },
      { type: 'raw', tag: 42, payload: Buffer.alloc(8) },
      { type: 'hash', partition: 'odm', imageSize: 4096, salt, digest: Buffer.alloc(0) },
      { type: 'hashtree', partition: 'oem', imageSize: 4096, salt, rootDigest: Buffer.alloc(0) },
    ],
  });
  const signer = Buffer.alloc(512);
  signer.write('SignerVer02');
  const { r } = await run(t, 'factory.zip', Buffer.concat([pkg()]));
  const { r: r2 } = await run(t, 'vbmeta_vendor.img', Buffer.concat([everything, signer]));
  const keys = new Set<string>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (keys.add(k), collect(x));
  };
  for (const rep of [r, r2]) for (const a of walkArtifacts(rep.root)) if (a.format.startsWith('avb-')) collect(JSON.parse(JSON.stringify(a.info)));
  for (const k of ['trailer', 'publicKeyMetadata', 'valueHex', 'valueSize', 'persistentDigest', 'chainedBy', 'role', 'flagNames', 'tag']) assert.ok(keys.has(k), `fixture lacks ${k}`);
  const missing = [...keys].filter((k) => !new RegExp('`(?:[A-Za-z0-9_]+\\.)*' + k + '`').test(doc));
  assert.deepEqual(missing, [], `undocumented AVB info keys: ${missing.join(', ')}`);
});
