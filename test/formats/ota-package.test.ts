/**
 * OTA packages (FORMATS.md §7): the whole-file signature signapk -w writes
 * (made here by fixtures/builders/ota-sign.ts, checked against the real
 * signapk in test/interop/signapk.test.ts), JAR signatures, the otacert the
 * payload is checked against, and payload_properties.txt.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, type InspectOptions } from '../../src/pipeline/inspect';
import type { Report } from '../../src/report/model';
import { buildZip, type ZipEntryInput } from '../../fixtures/builders/zip';
import { buildPayload } from '../../fixtures/builders/payload';
import { makeTestSigner, signJar, signWholeFile, signedData, type TestSigner } from '../../fixtures/builders/ota-sign';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runCli, runTool, tempDir } from '../helpers';
import { buildAbOtaZip } from '../../fixtures/builders/ota-zip';
import { artifactAt, describe, errors } from '../interop/util';
import { AOSP_TESTKEY_PEM } from './aosp-testkey';

const METADATA = Buffer.from('ota-type=AB\npost-build=acme/demo/demo:14/UQ1A/1:user/release-keys\npost-timestamp=1700000000\npre-device=demo\n');

let signerP: Promise<TestSigner> | undefined;
let otherP: Promise<TestSigner> | undefined;
const signer = () => (signerP ??= makeTestSigner({ cn: 'romscope OTA signer' }));
const other = () => (otherP ??= makeTestSigner({ cn: 'someone else' }));

async function otaEntries(s: TestSigner, opts: { props?: (p: string) => string; payloadKey?: TestSigner } = {}): Promise<ZipEntryInput[]> {
  const built = buildPayload(
    [
      { name: 'boot', data: pseudoRandom(6 * 4096, 1), type: 'REPLACE_XZ', chunkBlocks: 2 },
      { name: 'vendor', data: compressible(4 * 4096, 2), type: 'REPLACE_ZSTD' },
    ],
    {
      key: (opts.payloadKey ?? s).privateKey,
    },
  );
  return [
    { name: 'META-INF/com/android/metadata', data: METADATA },
    { name: 'payload.bin', data: built.payload },
    { name: 'payload_properties.txt', data: Buffer.from(opts.props ? opts.props(built.properties) : built.properties) },
    { name: 'META-INF/com/android/otacert', data: Buffer.from(s.certPem) },
  ];
}

async function run(t: TestContext, bytes: Buffer, opts: InspectOptions = {}): Promise<Report> {
  const file = join(tempDir(t), 'ota.zip');
  writeFileSync(file, bytes);
  return inspect(file, opts);
}

const ruleIds = (r: Report) => r.findings.map((f) => f.ruleId);

test('a whole-file signed A/B OTA package: signature, signer, otacert, payload signatures and properties all verify', async (t) => {
  const s = await signer();
  const r = await run(t, signWholeFile(buildZip(await otaEntries(s)), s));
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'verified');
  assert.match(r.summary.signature.reason, /the whole-file signature of ota\.zip \(signer CN=romscope OTA signer \(SHA-256 [0-9A-F:]{95}\)\); the payload signatures of payload\.bin/);
  const wf = r.root.info.wholeFileSignature as Record<string, unknown>;
  assert.equal(wf.status, 'verified');
  assert.equal(wf.digest, 'sha256');
  const cert = wf.signer as Record<string, string>;
  assert.equal(cert.sha256Fingerprint, s.certificate.fingerprint256);
  assert.equal(cert.subject, 'CN=romscope OTA signer');
  assert.equal(r.root.info.comment, 'signed by SignApk');
  assert.deepEqual(
    (r.root.info.otacert as Record<string, string>[]).map((c) => c.sha256Fingerprint),
    [s.certificate.fingerprint256],
  );
  const payload = artifactAt(r.root, 'payload.bin');
  assert.equal((payload.info.signatures as Record<string, Record<string, string>>).payload.key, 'META-INF/com/android/otacert');
  assert.deepEqual(payload.facts.filter((f) => f.kind === 'payload-properties-ok').length, 4, 'FILE_HASH, FILE_SIZE, METADATA_HASH, METADATA_SIZE');
  assert.equal(artifactAt(r.root, 'META-INF/com/android/otacert').format, 'x509-certificate');
  assert.equal(artifactAt(r.root, 'payload_properties.txt').format, 'payload-properties');
  assert.equal(artifactAt(r.root, 'payload.bin/boot.img').size, 6 * 4096);
});

test('--key: the signer must be that key; another key fails the whole-file signature and the payload', async (t) => {
  const s = await signer();
  const o = await other();
  const zip = signWholeFile(buildZip(await otaEntries(s)), s);
  let r = await run(t, zip, { keys: [Buffer.from(s.certPem)] });
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'verified');
  r = await run(t, zip, { keys: [Buffer.from(o.certPem)] });
  assert.deepEqual([...new Set(ruleIds(r))], ['signature/payload-invalid', 'signature/ota-invalid'], describe(r.findings));
  assert.match(r.findings.find((f) => f.ruleId === 'signature/ota-invalid')!.message, /verifies, but it is not signed by the --key key \(key 1\)/);
  assert.equal(r.summary.signature.status, 'failed');
});

test('one flipped byte anywhere before the comment fails the whole-file signature', async (t) => {
  const s = await signer();
  const zip = signWholeFile(buildZip(await otaEntries(s)), s);
  const commentLen = zip.readUInt16LE(zip.length - 2);
  const end = zip.length - commentLen - 2;
  for (const at of [0, 100, Math.floor(end / 2), end - 30, end - 1]) {
    const bad = Buffer.from(zip);
    bad[at] ^= 0x01;
    const r = await run(t, bad);
    assert.ok(ruleIds(r).includes('signature/ota-invalid'), `byte ${at}: ${describe(r.findings)}`);
    assert.equal(r.summary.signature.status, 'failed');
  }
});

test('a truncated comment, a footer that lies, and a PKCS#7 block that is not DER are findings', async (t) => {
  const s = await signer();
  const zip = signWholeFile(buildZip(await otaEntries(s)), s);
  // Cut inside the comment: the zip's own directory record no longer fits.
  let r = await run(t, zip.subarray(0, zip.length - 100));
  assert.ok(r.findings.length > 0, 'a cut comment must be reported');
  // The footer's comment length disagrees with the EOCD record.
  const lie = Buffer.from(zip);
  lie.writeUInt16LE(lie.readUInt16LE(lie.length - 2) - 4, lie.length - 2);
  r = await run(t, lie);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'signature/ota-invalid' || f.ruleId === 'integrity/truncated' || f.ruleId === 'format/unreadable'),
    describe(r.findings),
  );
  // Garbage, and BER with an indefinite length, instead of DER.
  const unsigned = buildZip(await otaEntries(s));
  for (const [block, why] of [
    [Buffer.from('this is not a PKCS#7 block at all'), /not DER|not a CMS/],
    [Buffer.concat([Buffer.from([0x30, 0x80]), signedData(unsigned.subarray(0, unsigned.length - 2), s).subarray(4), Buffer.from([0, 0])]), /not DER/],
  ] as const) {
    r = await run(t, signWholeFile(unsigned, s, { block }));
    const f = r.findings.find((x) => x.ruleId === 'signature/ota-invalid');
    assert.ok(f, describe(r.findings));
    assert.match(f.message, why);
  }
});

test('a DER block whose signature value happens to parse as BER is DER: the signature is checked, not called BER', async (t) => {
  // A random RSA signature now and then parses as ASN.1 with an indefinite
  // length (asn1js tries the contents of every OCTET STRING); CI met one.
  const s = await signer();
  const unsigned = buildZip(await otaEntries(s));
  const block = signedData(unsigned.subarray(0, unsigned.length - 2), s);
  const at = block.length - 256;
  assert.deepEqual([...block.subarray(at - 4, at)], [0x04, 0x82, 0x01, 0x00], 'the signature value is the block`s last 256 bytes');
  const lookalike = Buffer.concat([Buffer.from([0x30, 0x80, 0x04, 0x81, 0xf9]), pseudoRandom(249, 7), Buffer.from([0, 0])]);
  const bad = Buffer.from(block);
  lookalike.copy(bad, at);
  const r = await run(t, signWholeFile(unsigned, s, { block: bad }));
  const f = r.findings.find((x) => x.ruleId === 'signature/ota-invalid');
  assert.ok(f, describe(r.findings));
  assert.doesNotMatch(f.message, /not DER|BER/);
  assert.match(f.message, /does not verify/);
  // The real signature in the same place verifies.
  const good = await run(t, signWholeFile(unsigned, s, { block }));
  assert.deepEqual(good.findings, [], describe(good.findings));
});

test('an OTA package without a whole-file signature is signature/ota-unsigned', async (t) => {
  const s = await signer();
  const r = await run(t, buildZip(await otaEntries(s)));
  assert.deepEqual(ruleIds(r), ['signature/ota-unsigned'], describe(r.findings));
  assert.equal(r.summary.signature.status, 'verified', 'the payload itself is signed and verifies with the otacert');
  const plain = await run(t, buildZip([{ name: 'META-INF/com/android/metadata', data: METADATA }]));
  assert.deepEqual(ruleIds(plain), ['signature/ota-unsigned']);
  assert.equal(plain.summary.signature.status, 'unsigned');
  const notOta = await run(t, buildZip([{ name: 'readme.txt', data: Buffer.from('hi') }]));
  assert.deepEqual(notOta.findings, []);
});

test('a package signed with the AOSP test certificate is named (signature/ota-test-key)', async (t) => {
  const s = await signer();
  const { X509Certificate } = await import('node:crypto');
  const testkey = new X509Certificate(AOSP_TESTKEY_PEM);
  // The test key's certificate over a signature made with another key: named, and failing.
  const fake: TestSigner = { ...s, certificate: testkey, certDer: testkey.raw, certPem: AOSP_TESTKEY_PEM, digest: 'sha1' };
  const r = await run(t, signWholeFile(buildZip([{ name: 'META-INF/com/android/metadata', data: METADATA }]), fake));
  const f = r.findings.find((x) => x.ruleId === 'signature/ota-test-key');
  assert.ok(f, describe(r.findings));
  assert.match(f.message, /AOSP test key \(testkey\)/);
  assert.ok(ruleIds(r).includes('signature/ota-invalid'));
});

test('JAR signatures: verified member by member; a changed member, an unlisted member and an edited manifest fail', async (t) => {
  const s = await signer();
  const members: ZipEntryInput[] = [
    { name: 'META-INF/com/android/metadata', data: METADATA },
    { name: 'system/build.prop', data: Buffer.from('ro.build.id=X\n'), method: 'deflate' },
    { name: 'boot.img', data: pseudoRandom(10000, 4) },
  ];
  for (const digest of ['sha256', 'sha1'] as const) {
    const r = await run(t, buildZip(signJar(members, s, { digest })));
    assert.deepEqual(ruleIds(r), ['signature/ota-unsigned'], describe(r.findings));
    assert.equal((r.root.info.jarSignature as Record<string, unknown>).status, 'verified');
    assert.equal(artifactAt(r.root, 'boot.img').facts.filter((f) => f.kind === 'jar-digest-ok').length, 1);
    assert.equal(r.summary.signature.status, 'verified');
  }
  const signed = signJar(members, s);
  // A member changed after signing.
  let r = await run(t, buildZip(signed.map((e) => (e.name === 'boot.img' ? { ...e, data: pseudoRandom(10000, 5) } : e))));
  let f = r.findings.filter((x) => x.ruleId === 'signature/ota-invalid');
  assert.deepEqual(
    f.map((x) => x.path),
    ['boot.img'],
    describe(r.findings),
  );
  assert.equal(r.summary.signature.status, 'failed');
  // A member added after signing.
  r = await run(t, buildZip([...signed, { name: 'extra.sh', data: Buffer.from('echo hi\n') }]));
  f = r.findings.filter((x) => x.ruleId === 'signature/ota-invalid');
  assert.match(f[0]?.message ?? '', /extra\.sh is not in META-INF\/MANIFEST\.MF/, describe(r.findings));
  // The manifest edited after signing (a digest replaced).
  r = await run(t, buildZip(signed.map((e) => (e.name === 'META-INF/MANIFEST.MF' ? { ...e, data: Buffer.from(e.data.toString().replace(/(Name: boot\.img\r\nSHA-256-Digest: )\S+/, '$1' + 'A'.repeat(43) + '=')) } : e))));
  assert.ok(
    r.findings.some((x) => x.ruleId === 'signature/ota-invalid' && /manifest section for boot\.img does not match/.test(x.message)),
    describe(r.findings),
  );
});

test('payload_properties.txt that disagrees with payload.bin is integrity/payload-properties', async (t) => {
  const s = await signer();
  const props = (p: string) => p.replace(/^FILE_SIZE=\d+/m, 'FILE_SIZE=12345').replace(/^METADATA_HASH=\S+/m, `METADATA_HASH=${Buffer.alloc(32, 9).toString('base64')}`);
  const r = await run(t, signWholeFile(buildZip(await otaEntries(s, { props })), s));
  const f = r.findings.filter((x) => x.ruleId === 'integrity/payload-properties');
  assert.equal(f.length, 2, describe(r.findings));
  assert.ok(f.every((x) => x.path === 'payload.bin'));
  assert.ok(f.some((x) => /FILE_SIZE\) says 12345/.test(x.message)));
  assert.ok(f.some((x) => /METADATA_HASH/.test(x.message)));
  assert.equal(r.summary.integrity.status, 'failed');
});

test('a payload signed with a key other than the otacert fails signature/payload-invalid', async (t) => {
  const s = await signer();
  const o = await other();
  const r = await run(t, signWholeFile(buildZip(await otaEntries(s, { payloadKey: o })), s));
  assert.deepEqual([...new Set(ruleIds(r))], ['signature/payload-invalid'], describe(r.findings));
  assert.ok(r.findings.every((f) => f.path === 'payload.bin'));
  assert.match(r.findings[0].message, /META-INF\/com\/android\/otacert/);
});

test('CLI: check --key verifies against a certificate file; a file with no key in it is a usage error', async (t) => {
  const s = await signer();
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ota.zip'), signWholeFile(buildZip(await otaEntries(s)), s));
  writeFileSync(join(dir, 'cert.pem'), s.certPem);
  writeFileSync(join(dir, 'junk.pem'), 'not a key\n');
  let c = runCli(['check', join(dir, 'ota.zip'), '--key', join(dir, 'cert.pem'), '--json']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(JSON.parse(c.stdout).summary.signature.status, 'verified');
  c = runCli(['check', join(dir, 'ota.zip'), '--key', join(dir, 'junk.pem')]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /junk\.pem: not a certificate or key/);
  assert.deepEqual(errors(await inspect(join(dir, 'ota.zip'))), []);
});

test('ota-property-files: the offsets the fixture writes are where unzip finds each member, and romscope checks every entry of both lists', async (t) => {
  if (!requireTools(t, 'unzip')) return;
  const p = buildPayload([{ name: 'boot', data: pseudoRandom(5 * 4096, 21), type: 'REPLACE_XZ' }]);
  const care = pseudoRandom(700, 22);
  const { zip, propertyFiles, streamingPropertyFiles } = buildAbOtaZip({ payload: p.payload, properties: p.properties, extra: [{ name: 'care_map.pb', data: care }], metadataPb: true });
  const file = join(tempDir(t), 'ota.zip');
  writeFileSync(file, zip);
  const names: Record<string, string> = { metadata: 'META-INF/com/android/metadata', 'metadata.pb': 'META-INF/com/android/metadata.pb', 'payload_metadata.bin': 'payload.bin' };
  for (const token of propertyFiles.split(',')) {
    const [name, off, size] = token.split(':');
    const member = runTool('unzip', ['-p', file, names[name] ?? name]);
    assert.equal(member.status, 0, member.stderr.toString());
    const want = name === 'payload_metadata.bin' ? member.stdout.subarray(0, Number(size)) : member.stdout;
    assert.ok(zip.subarray(Number(off), Number(off) + Number(size)).equals(want), `${token}: not the bytes unzip gives`);
  }
  assert.equal(streamingPropertyFiles.split(',').length, propertyFiles.split(',').length - 1);
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.facts.filter((f) => f.kind === 'ota-property-files-ok').length, 2);
  assert.deepEqual(
    (r.root.info.otaPropertyFiles as { key: string; entries: number; failed: number }[]).map((x) => [x.key, x.entries, x.failed]),
    [
      ['ota-property-files', 6, 0],
      ['ota-streaming-property-files', 5, 0],
    ],
  );
});
