/**
 * Real OTA files nobody on this project wrote (../shared/corpus): update_engine's
 * own sample full and delta payloads, OTA metadata (text and metadata.pb),
 * payload_properties.txt files and otacerts from real packages, and
 * update_engine's test keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { inspect } from '../../src/pipeline/inspect';
import { otaMetadataHandler } from '../../src/formats/ota-metadata';
import { otaMetadataPbHandler, decodeOtaMetadataPb } from '../../src/formats/ota-metadata/protobuf';
import { parsePayloadProperties, payloadPropertiesHandler } from '../../src/formats/payload-properties';
import { parseCertificates } from '../../src/formats/x509-certificate';
import type { DecodeContext } from '../../src/formats/types';
import type { Fact } from '../../src/report/model';
import { Budget, defaultBudget } from '../../src/io/limits';
import { buildPayload } from '../../fixtures/builders/payload';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { corpusFile, tempDir } from '../helpers';
import { artifactAt, describe, errors } from '../interop/util';
import { createPrivateKey } from 'node:crypto';

function ctx(): { ctx: DecodeContext; facts: Fact[] } {
  const facts: Fact[] = [];
  return { ctx: { budget: new Budget(defaultBudget(0)), fact: (f) => void facts.push(f) }, facts };
}

test('update_engine sample full payload: decodes, rebuilds kernel (REPLACE_BZ) and root (REPLACE_XZ) with every hash matching', async (t) => {
  const file = corpusFile(t, 'ota-payload/ue_sample_full_payload.bin');
  if (!file) return;
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.format, 'ota-payload');
  assert.equal(r.root.info.payloadType, 'full');
  assert.equal(r.root.info.minorVersion, 0);
  assert.deepEqual(r.root.info.operationHashes, { checked: 3, failed: 0 });
  const parts = r.root.info.partitions as Record<string, unknown>[];
  assert.deepEqual(
    parts.map((p) => [p.name, p.newSize, p.operations]),
    [
      ['kernel', 4194304, { REPLACE_BZ: 2 }],
      ['root', 12288, { REPLACE_XZ: 1 }],
    ],
  );
  for (const p of parts) {
    const child = artifactAt(r.root, `${p.name}.img`);
    assert.equal(child.hashes.sha256, p.newSha256, `${p.name} rebuilt wrongly`);
    assert.ok(child.facts.some((f) => f.kind === 'payload-partition-hash-ok'));
  }
  // Unsigned sample: reported as such, nothing else.
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/ota-unsigned'],
  );
  assert.equal(r.summary.integrity.status, 'verified');
});

test('update_engine sample delta payload: structure, operation types and source hashes; not rebuilt', async (t) => {
  const file = corpusFile(t, 'ota-payload/ue_sample_delta_payload.bin');
  if (!file) return;
  const r = await inspect(file);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(r.root.info.payloadType, 'incremental');
  assert.equal(r.root.info.minorVersion, 6);
  assert.equal(r.root.info.rebuilt, false);
  assert.equal(r.root.children.length, 0);
  const [kernel] = r.root.info.partitions as Record<string, unknown>[];
  assert.equal(kernel.name, 'kernel');
  assert.equal(kernel.oldSha256, '42a879e9d112c81619d2ee9a108d99d09b85144c18297f3c148747758da56d03');
  assert.deepEqual(kernel.operations, { BROTLI_BSDIFF: 1, ZERO: 6, REPLACE_BZ: 6, SOURCE_COPY: 1 });
  assert.equal(kernel.sourceHashes, 2);
  assert.deepEqual(r.root.info.operationHashes, { checked: 8, failed: 0 });
});

test('update_engine test keys: a payload signed with unittest_key.pem verifies with it and is named a test key', async (t) => {
  const pem = corpusFile(t, 'ota-misc/ue_unittest_key.pem');
  if (!pem) return;
  const key = createPrivateKey(readFileSync(pem));
  const built = buildPayload([{ name: 'system', data: pseudoRandom(3 * 4096, 1), type: 'REPLACE_XZ' }], { key });
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, built.payload);
  const r = await inspect(file, { keys: [pem] });
  assert.equal(r.summary.signature.status, 'verified', describe(r.findings));
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/ota-test-key'],
  );
  assert.match(r.findings[0].message, /update_engine unit-test key/);
  // The other test key is not the signer.
  const other = corpusFile(t, 'ota-misc/ue_payload-test-key.pem')!;
  const bad = await inspect(file, { keys: [other] });
  assert.ok(
    bad.findings.some((f) => f.ruleId === 'signature/payload-invalid'),
    describe(bad.findings),
  );
});

test('OTA metadata (text): every corpus sample parses', async (t) => {
  for (const name of ['crespo_metadata', 'dotos_rmx2001_metadata', 'htc_marvel_sense5_metadata', 'joelderoche_testotq_metadata', 'pe_daisy_metadata', 'pulse_cm_metadata']) {
    const file = corpusFile(t, `ota-metadata/${name}`);
    if (!file) return;
    const bytes = readFileSync(file);
    assert.ok(otaMetadataHandler.detect({ peek: bytes, name: 'META-INF/com/android/metadata', size: bytes.length }), name);
    const c = ctx();
    const info = otaMetadataHandler.decode(bytes, c.ctx, 'metadata') as Record<string, Record<string, unknown>>;
    assert.ok(Array.isArray(info.postcondition?.build), `${name}: ${JSON.stringify(info)}`);
  }
  const pe = readFileSync(corpusFile(t, 'ota-metadata/pe_daisy_metadata')!);
  const info = otaMetadataHandler.decode(pe, ctx().ctx, 'metadata') as Record<string, unknown>;
  assert.equal(info.type, 'AB');
  assert.deepEqual(info.precondition, { device: ['daisy'] });
  assert.equal((info.postcondition as Record<string, unknown>).securityPatchLevel, '2023-09-01');
});

test('OTA metadata.pb: the corpus samples decode to the same fields as their text metadata', async (t) => {
  const pb = corpusFile(t, 'ota-metadata/pe_daisy_metadata.pb');
  const txt = corpusFile(t, 'ota-metadata/pe_daisy_metadata');
  if (!pb || !txt) return;
  const bytes = readFileSync(pb);
  assert.ok(otaMetadataPbHandler.detect({ peek: bytes, name: 'META-INF/com/android/metadata.pb', size: bytes.length }));
  const c = ctx();
  const m = otaMetadataPbHandler.decode(bytes, c.ctx, 'metadata.pb') as Record<string, unknown>;
  const fromText = otaMetadataHandler.decode(readFileSync(txt), ctx().ctx, 'metadata') as Record<string, unknown>;
  for (const k of ['type', 'requiredCache']) assert.deepEqual(m[k], fromText[k], k);
  assert.deepEqual((m.precondition as Record<string, unknown>).device, ['daisy']);
  const post = m.postcondition as Record<string, unknown>;
  const tpost = fromText.postcondition as Record<string, unknown>;
  for (const k of ['build', 'buildIncremental', 'timestamp', 'sdkLevel', 'securityPatchLevel']) assert.deepEqual(post[k], tpost[k], k);
  assert.match(String((m.propertyFiles as Record<string, string>)['ota-property-files']), /payload\.bin:2455:1139923799/);
  // The same declaration and build facts as the text form.
  const kinds = (fs: Fact[]) => fs.map((f) => `${f.kind}:${String(f.key ?? '')}`).sort();
  const tc = ctx();
  otaMetadataHandler.decode(readFileSync(txt), tc.ctx, 'metadata');
  assert.deepEqual(kinds(c.facts), kinds(tc.facts));

  const twrp = corpusFile(t, 'ota-metadata/miatoll_twrp_metadata.pb')!;
  const tm = decodeOtaMetadataPb(readFileSync(twrp));
  assert.ok(tm.type === 'AB' || tm.type === 'BLOCK', JSON.stringify(tm));
  assert.ok(tm.postcondition?.build?.length, JSON.stringify(tm));
});

test('payload_properties.txt: the corpus samples parse', async (t) => {
  for (const [name, size, metadataSize] of [
    ['crosshatch_PQ3A_payload_properties.txt', 1309748203, 114873],
    ['pe_daisy_payload_properties.txt', 1139923799, 95088],
  ] as const) {
    const file = corpusFile(t, `ota-misc/${name}`);
    if (!file) return;
    const bytes = readFileSync(file);
    assert.ok(payloadPropertiesHandler.detect({ peek: bytes, name: 'payload_properties.txt', size: bytes.length }));
    const p = parsePayloadProperties(bytes.toString());
    assert.deepEqual(p.problems, []);
    assert.equal(p.fileSize, size);
    assert.equal(p.metadataSize, metadataSize);
    assert.match(p.fileSha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(p.metadataSha256 ?? '', /^[0-9a-f]{64}$/);
  }
});

test('otacert: the corpus certificate parses with the fingerprint openssl gives; otacerts.zip lists its certificate', async (t) => {
  const file = corpusFile(t, 'ota-misc/joelderoche_testotq_otacert');
  const zip = corpusFile(t, 'ota-misc/ue_otacerts.zip');
  if (!file || !zip) return;
  const { certificates, problems } = parseCertificates(readFileSync(file));
  assert.deepEqual(problems, []);
  assert.equal(certificates.length, 1);
  assert.equal(certificates[0].sha256Fingerprint, 'DE:EF:72:A0:18:57:CB:32:92:BF:D3:8F:37:8C:CA:1A:0C:3B:CC:A1:4B:B1:F1:78:93:91:52:8C:7D:81:A4:92');
  assert.equal(certificates[0].sha256Fingerprint, new X509Certificate(readFileSync(file)).fingerprint256);
  assert.match(certificates[0].subject, /CN=Android/);
  assert.equal(certificates[0].publicKey, 'RSA 2048 (e=3)');
  // Named as an artifact of an OTA package.
  const dir = tempDir(t);
  copyFileSync(file, join(dir, 'otacert'));
  const r = await inspect(join(dir, 'otacert'));
  assert.equal(r.root.format, 'x509-certificate');
  const z = await inspect(zip);
  assert.deepEqual(errors(z), [], describe(z.findings));
  assert.equal(artifactAt(z.root, 'unittestkey.x509.pem').format, 'x509-certificate');
});

test('ota-property-files of real metadata: laid out as their packages were, the metadata files are where their own entries say', async (t) => {
  const dotos = corpusFile(t, 'ota-metadata/dotos_rmx2001_metadata');
  const daisy = corpusFile(t, 'ota-metadata/pe_daisy_metadata');
  const daisyPb = corpusFile(t, 'ota-metadata/pe_daisy_metadata.pb');
  if (!dotos || !daisy || !daisyPb) return;
  const META = 'META-INF/com/android/metadata';
  const dir = tempDir(t);
  // A block OTA listing only "metadata:69:311": a 10-byte local extra field (as the packager wrote) puts the data at 30 + 29 + 10.
  writeFileSync(join(dir, 'block.zip'), buildZip([{ name: META, data: readFileSync(dotos), localExtra: Buffer.alloc(10) }]));
  const r1 = await inspect(join(dir, 'block.zip'));
  assert.deepEqual(
    r1.findings.filter((f) => f.ruleId === 'integrity/ota-property-files'),
    [],
    describe(r1.findings),
  );
  assert.equal(r1.root.facts.filter((f) => f.kind === 'ota-property-files-ok').length, 1);
  // An A/B OTA's metadata (69, 676 bytes) and metadata.pb (813, 902 bytes: 745 + 30 + 32 + 6 bytes of extra).
  writeFileSync(
    join(dir, 'ab.zip'),
    buildZip([
      { name: META, data: readFileSync(daisy), localExtra: Buffer.alloc(10) },
      { name: `${META}.pb`, data: readFileSync(daisyPb), localExtra: Buffer.alloc(6) },
    ]),
  );
  const r2 = await inspect(join(dir, 'ab.zip'));
  const msgs = r2.findings.filter((f) => f.ruleId === 'integrity/ota-property-files').map((f) => f.message);
  // Only the members this zip lacks (the payload and its companions), in both lists, each list checked once for both metadata files.
  assert.ok(msgs.length > 0 && msgs.every((m) => / is not in the package$/.test(m)), msgs.join('\n'));
  assert.ok(!msgs.some((m) => /(^|: )metadata(\.pb)?[: ]/.test(m.split('): ')[1] ?? '')), msgs.join('\n'));
  assert.ok(
    msgs.some((m) => m.startsWith('ota-property-files (META-INF/com/android/metadata, META-INF/com/android/metadata.pb): payload.bin is not in the package')),
    msgs.join('\n'),
  );
});
