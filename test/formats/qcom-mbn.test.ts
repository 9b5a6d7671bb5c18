/**
 * Qualcomm signed ELF images built at test time (fixtures/builders/mbn.ts):
 * ELF32 and ELF64, hash segment v3, v5, v6 and v7. The program headers are
 * compared with `readelf -lW` (binutils); every segment digest is checked,
 * and a byte changed in a segment is found; a v3 signature over an openssl
 * chain is unverifiable without the root, verified with it as --key, and
 * failed when the signature or the chain is damaged. v5, v6 and v7 images
 * signed by openssl (RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-384) as the public
 * layouts say (qtestsign's mbn/hashseg.py, sectools' MBN parsers): the QTI
 * and OEM signatures are checked, and a byte changed in the hash table, the
 * metadata or a signature fails them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { buildMbn, mbnSegmentOffset } from '../../fixtures/builders/mbn';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, tempDir, ofFormat } from '../helpers';
import { describe } from '../interop/util';
import { makeMbnChain, readelfSegments, type MbnChain } from './mbn-helpers';

const segments = () => [{ data: pseudoRandom(5000, 1) }, { data: Buffer.alloc(0), memsz: 0x2000, flags: 6 }, { data: pseudoRandom(777, 2), flags: 6 }];

for (const elfClass of [32, 64] as const) {
  for (const version of [3, 5, 6, 7] as const) {
    test(`MBN ELF${elfClass} v${version}: readelf agrees on the program headers; every segment digest matches; a changed byte is found`, async (t) => {
      if (!requireTools(t, 'readelf')) return;
      const dir = tempDir(t);
      const image = buildMbn({ elfClass, version, segments: segments() });
      const file = join(dir, 'tz.mbn');
      writeFileSync(file, image);
      const r = await inspect(file);
      assert.equal(r.root.format, 'qcom-mbn');
      assert.deepEqual(r.findings, [], describe(r.findings));
      const mine = (ofFormat(r.root, 'qcom-mbn').info.segments as { type: string; offset: number; vaddr: string; fileSize: number; memSize: number }[]).map(({ type, offset, vaddr, fileSize, memSize }) => ({
        type,
        offset,
        vaddr,
        fileSize,
        memSize,
      }));
      assert.deepEqual(mine, readelfSegments(file));
      assert.deepEqual(ofFormat(r.root, 'qcom-mbn').info.segmentHashes, { algorithm: version >= 6 ? 'sha384' : 'sha256', checked: 3, failed: 0, notHashed: 0 });
      assert.equal((ofFormat(r.root, 'qcom-mbn').info.hashSegment as { version: number }).version, version);
      assert.equal(r.summary.signature.status, 'unsigned');

      const bad = Buffer.from(image);
      bad[mbnSegmentOffset(image, 2) + 100] ^= 1;
      writeFileSync(file, bad);
      const r2 = await inspect(file);
      assert.deepEqual(
        r2.findings.map((f) => f.ruleId),
        ['integrity/mbn-segment-hash'],
      );
      assert.match(r2.findings[0].message, /^segment 4 \(LOAD, bytes \d+-\d+\): sha(256|384) is [0-9a-f]+, the hash table says [0-9a-f]+$/);
      assert.equal(r2.summary.signature.status, 'failed');
    });
  }
}

test('MBN v3 signature: unverifiable without the root, verified with it as --key, failed when damaged', async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const dir = tempDir(t);
  const c = makeMbnChain(dir);
  const image = buildMbn({ version: 3, segments: segments(), sign: { key: c.attKey, chain: c.chain, swId: c.swId, hwId: c.hwId } });
  const file = join(dir, 'sbl1.mbn');
  writeFileSync(file, image);
  const root = join(dir, 'root.pem');

  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(r.summary.signature.reason, /the image signature and the certificate chain verify \(attestation certificate "Test User", root "Test Root CA".*no OEM root key was given \(pass it with --key\)/);
  assert.deepEqual(ofFormat(r.root, 'qcom-mbn').info.attestation, {
    SW_ID: '000000000000001C',
    HW_ID: '009900E100001607',
    OEM_ID: '0000',
    SW_SIZE: '00000148',
    MODEL_ID: '0000',
    SHA256: '0001',
    DEBUG: '0000000000000002',
  });
  assert.equal((ofFormat(r.root, 'qcom-mbn').info.certificates as { subject: string }[]).length, 3);

  const v = await inspect(file, { keys: [root] });
  assert.equal(v.summary.signature.status, 'verified', v.summary.signature.reason);

  // The attestation CA is no root: given as --key, it does not make the image verified.
  const other = await inspect(file, { keys: [join(dir, 'ca.pem')] });
  assert.equal(other.summary.signature.status, 'unverifiable');
  assert.match(other.summary.signature.reason, /none of the keys given with --key/);

  // A changed hash table entry: the signature no longer covers what is there.
  const bad = Buffer.from(image);
  bad[0x1000 + 40 + 3] ^= 0x80;
  writeFileSync(file, bad);
  const f = await inspect(file, { keys: [root] });
  assert.equal(f.summary.signature.status, 'failed');
  assert.ok(
    f.findings.some((x) => x.ruleId === 'signature/mbn-invalid' && /does not verify with the key of the attestation certificate "Test User"/.test(x.message)),
    describe(f.findings),
  );
});

test('MBN: damaged headers are findings in words, never a throw', async (t) => {
  const dir = tempDir(t);
  const image = buildMbn({ version: 3, segments: segments() });
  const file = join(dir, 'xbl.elf');
  const cases: [string, (b: Buffer) => void, RegExp][] = [
    ['unknown header version', (b) => b.writeUInt32LE(9, 0x1000 + 4), /hash segment header version 9 is not one romscope reads/],
    ['regions past the segment', (b) => b.writeUInt32LE(0xffff, 0x1000 + 20), /regions need \d+ bytes, the hash segment has \d+/],
    ['a segment past the end', (b) => b.writeUInt32LE(b.length, 52 + 2 * 32 + 4), /segment 2 needs bytes \d+-\d+, the file ends at \d+/],
  ];
  for (const [what, damage, message] of cases) {
    const b = Buffer.from(image);
    damage(b);
    writeFileSync(file, b);
    const r = await inspect(file);
    assert.ok(
      r.findings.some((f) => message.test(f.message)),
      `${what}: ${describe(r.findings)}`,
    );
  }
  // Cut short inside the last segment.
  writeFileSync(file, image.subarray(0, image.length - 100));
  const r = await inspect(file);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'integrity/truncated'),
    describe(r.findings),
  );
});

/** Where a built image's hash segment regions start: 32-bit header words at 0x1000. */
function regions(image: Buffer) {
  const w = (i: number) => image.readUInt32LE(0x1000 + 4 * i);
  const version = w(1);
  const header = version === 6 ? 48 : 40;
  const [common, qtiMd, oemMd, table, qtiSig, qtiChain, oemSig] =
    version === 7 ? [w(2), w(3), w(4), w(5), w(6), w(7), w(8)] : version === 6 ? [0, w(10), w(11), w(5), w(2), w(3), w(7)] : [0, 0, 0, w(5), w(2), w(3), w(7)];
  const at = [header, common, qtiMd, oemMd, table, qtiSig, qtiChain].reduce<number[]>((acc, n) => [...acc, acc[acc.length - 1] + n], [0x1000]);
  return { common: at[1], qtiMetadata: at[2], oemMetadata: at[3], hashTable: at[4], qtiSignature: at[5], oemSignature: at[7], oemSignatureSize: oemSig };
}

/** v6 metadata 0.0 (sectools' MbnHdrV6): version, sw_id, hw_id, oem_id, model_id, app_id, flags, soc_vers[12], serials[8], mrc_index, anti_rollback_version. */
function v6Metadata(sw: number, hw: number, oem: number, model: number, arb: number): Buffer {
  const b = Buffer.alloc(120);
  [0, 0, sw, hw, oem, model].forEach((v, i) => b.writeUInt32LE(v, i * 4));
  b.writeUInt32LE(arb, 116);
  return b;
}

async function expectFailed(file: string, image: Buffer, damage: (b: Buffer) => void, message: RegExp, keys: string[]) {
  const bad = Buffer.from(image);
  damage(bad);
  writeFileSync(file, bad);
  const r = await inspect(file, { keys });
  assert.equal(r.summary.signature.status, 'failed', r.summary.signature.reason);
  assert.ok(
    r.findings.some((f) => f.ruleId === 'signature/mbn-invalid' && message.test(f.message)),
    describe(r.findings),
  );
}

test('MBN v5 double-signed (RSA PKCS#1 v1.5, SW_ID/HW_ID digest): QTI and OEM signatures verify; a changed table or signature fails', async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const dir = tempDir(t);
  const oem = makeMbnChain(dir);
  const qti = makeMbnChain(dir, 0x1cn, 0x009900e100000000n, { name: 'QTI' });
  const signer = (c: MbnChain) => ({ chain: c.chain, swId: c.swId, hwId: c.hwId, signDigest: c.signDigest('pkcs1') });
  const image = buildMbn({ version: 5, segments: segments(), sign: signer(oem), qtiSign: signer(qti) });
  const file = join(dir, 'tz.mbn');
  writeFileSync(file, image);
  const oemRoot = join(oem.dir, 'root.pem');

  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(
    r.summary.signature.reason,
    /^tz\.mbn: the OEM image signature \(RSA-2048 PKCS#1 v1\.5, Qualcomm's SW_ID\/HW_ID-bound SHA256 digest \(SW_ID 000000000000001C, HW_ID 009900E100001607 from the attestation certificate\) of the header and hash table\) and the QTI image signature .* verify \(attestation certificate "Test User", root "Test Root CA".*no OEM root key was given/,
  );
  assert.deepEqual(
    (r.root.info.signatures as { authority: string; covers: string }[]).map((x) => [x.authority, x.covers]),
    [
      ['OEM', 'header and hash table'],
      ['QTI', 'header and hash table (the OEM fields zeroed)'],
    ],
  );
  assert.equal((r.root.info.qtiCertificates as unknown[]).length, 3);

  assert.equal((await inspect(file, { keys: [oemRoot] })).summary.signature.status, 'verified');
  const wrong = await inspect(file, { keys: [join(qti.dir, 'root.pem')] });
  assert.equal(wrong.summary.signature.status, 'unverifiable');
  assert.match(wrong.summary.signature.reason, /none of the keys given with --key/);

  const at = regions(image);
  await expectFailed(
    file,
    image,
    (b) => (b[at.hashTable + 3] ^= 0x80),
    /^the OEM image signature \(v5, over the header and hash table\) does not verify with the key of the attestation certificate "Test User" \(it is an RSA PKCS#1 v1\.5 signature by this key, over another digest\)/,
    [oemRoot],
  );
  // A damaged RSA signature of v5+ opens to no padding block: romscope cannot tell it from a scheme it does
  // not know (stock OnePlus programmers), so it is unverifiable with the reason, not failed.
  {
    const bad = Buffer.from(image);
    bad[at.oemSignature + 100] ^= 1;
    writeFileSync(file, bad);
    const d = await inspect(file, { keys: [oemRoot] });
    assert.equal(d.summary.signature.status, 'unverifiable', d.summary.signature.reason);
    assert.match(d.summary.signature.reason, /opens under the key of the attestation certificate to neither an RSA PKCS#1 v1\.5 nor an RSA-PSS block/);
  }
  {
    const bad = Buffer.from(image);
    bad[at.qtiSignature + 100] ^= 1;
    writeFileSync(file, bad);
    const d = await inspect(file, { keys: [oemRoot] });
    assert.equal(d.summary.signature.status, 'unverifiable', d.summary.signature.reason);
    assert.match(d.summary.signature.reason, /the QTI image signature \(v5\) is not checked: the signature opens under the key/);
  }
});

test('MBN v6 double-signed (QTI ECDSA P-384, OEM RSA-PSS; IDs from the metadata): verified with the OEM root; changed metadata fails the signer that covers it', async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const dir = tempDir(t);
  const oem = makeMbnChain(dir, 0x1cn, 0n, { ou: false });
  const qti = makeMbnChain(dir, 0x1cn, 0n, { name: 'QTI', ou: false, attKey: 'ec-p384' });
  const image = buildMbn({
    version: 6,
    elfClass: 64,
    segments: segments(),
    metadata: { qti: v6Metadata(0x1c, 0x009900e1, 0, 0, 0), oem: v6Metadata(0x1c, 0x009900e1, 0x42, 0x1607, 2) },
    sign: { chain: oem.chain, swId: (2n << 32n) | 0x1cn, hwId: 0x009900e100421607n, signDigest: oem.signDigest('pss') },
    qtiSign: { chain: qti.chain, swId: 0x1cn, hwId: 0x009900e100000000n, signDigest: qti.signDigest('ecdsa'), sigSize: 104 },
  });
  const file = join(dir, 'xbl.elf');
  writeFileSync(file, image);
  const oemRoot = join(oem.dir, 'root.pem');

  const r = await inspect(file);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.deepEqual(r.root.info.signatures, [
    {
      authority: 'OEM',
      algorithm: 'RSA-2048 PSS (MGF1 SHA384, 48-byte salt)',
      digest: "Qualcomm's SW_ID/HW_ID-bound SHA384 digest (SW_ID 000000020000001C, HW_ID 009900E100421607 from the OEM metadata)",
      covers: 'header, QTI and OEM metadata and hash table (the QTI fields zeroed)',
    },
    {
      authority: 'QTI',
      algorithm: 'ECDSA P-384 (DER)',
      digest: "Qualcomm's SW_ID/HW_ID-bound SHA384 digest (SW_ID 000000000000001C, HW_ID 009900E100000000 from the QTI metadata)",
      covers: 'header, QTI and OEM metadata and hash table (the OEM fields zeroed)',
    },
  ]);
  assert.equal((await inspect(file, { keys: [oemRoot] })).summary.signature.status, 'verified');
  assert.equal((await inspect(file, { keys: [join(oem.dir, 'ca.pem')] })).summary.signature.status, 'unverifiable');

  const at = regions(image);
  // The OEM metadata: only the OEM signature covers it (the QTI one is made with it zeroed).
  await expectFailed(
    file,
    image,
    (b) => (b[at.oemMetadata + 60] ^= 1),
    /^the OEM image signature \(v6, over the header, QTI and OEM metadata and hash table\) does not verify .*\(it is an RSA-PSS signature by this key, over another digest\)/,
    [oemRoot],
  );
  await expectFailed(file, image, (b) => (b[at.qtiMetadata + 60] ^= 1), /^the QTI image signature \(v6, .*\(it is an ECDSA signature \(DER\) that does not verify with this key over the signed digest\)/, [oemRoot]);
  await expectFailed(file, image, (b) => (b[at.hashTable + 100] ^= 1), /^the OEM image signature \(v6, /, [oemRoot]);
  await expectFailed(file, image, (b) => (b[at.qtiSignature + 20] ^= 1), /^the QTI image signature \(v6, /, [oemRoot]);
});

/** An openssl DER ECDSA signature as r||s, 48 bytes each. */
function derToRaw(der: Buffer): Buffer {
  const ints: Buffer[] = [];
  let i = 2;
  for (let k = 0; k < 2; k++) {
    const len = der[i + 1];
    const v = der.subarray(i + 2, i + 2 + len);
    ints.push(Buffer.concat([Buffer.alloc(48), v]).subarray(-48));
    i += 2 + len;
  }
  return Buffer.concat(ints);
}

for (const encoding of ['DER', 'raw r||s'] as const) {
  test(`MBN v7 OEM-signed (ECDSA P-384, ${encoding}, plain SHA-384): verified with the root; changed common metadata, table or signature fails`, async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    const oem = makeMbnChain(dir, 0x1cn, 0n, { ou: false, attKey: 'ec-p384' });
    const ecdsa = oem.signDigest('ecdsa');
    const image = buildMbn({
      version: 7,
      elfClass: 64,
      segments: segments(),
      metadata: { oem: Buffer.alloc(224) },
      sign: { chain: oem.chain, signDigest: encoding === 'DER' ? ecdsa : (d) => derToRaw(ecdsa(d)), sigSize: encoding === 'DER' ? 104 : 96 },
    });
    const file = join(dir, 'abl.elf');
    writeFileSync(file, image);
    const root = join(oem.dir, 'root.pem');
    const r = await inspect(file);
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(r.summary.signature.status, 'unverifiable');
    assert.deepEqual(r.root.info.signatures, [{ authority: 'OEM', algorithm: `ECDSA P-384 (${encoding})`, digest: 'plain SHA384 digest', covers: 'header, common, QTI and OEM metadata and hash table' }]);
    assert.equal((await inspect(file, { keys: [root] })).summary.signature.status, 'verified');
    const at = regions(image);
    await expectFailed(file, image, (b) => (b[at.common + 8] ^= 1), /^the OEM image signature \(v7, over the header, common, QTI and OEM metadata and hash table\) does not verify/, [root]);
    await expectFailed(file, image, (b) => (b[at.hashTable + 5] ^= 1), /^the OEM image signature \(v7, /, [root]);
    await expectFailed(file, image, (b) => (b[at.oemSignature + 30] ^= 1), /^the OEM image signature \(v7, /, [root]);
  });
}

test('MBN v6 signed with an EC P-256 attestation key: unverifiable, and says why', async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const dir = tempDir(t);
  const oem = makeMbnChain(dir, 0x1cn, 0n, { ou: false, attKey: 'ec-p256' });
  const image = buildMbn({ version: 6, segments: segments(), sign: { chain: oem.chain, signDigest: oem.signDigest('ecdsa'), sigSize: 72 } });
  const file = join(dir, 'hyp.mbn');
  writeFileSync(file, image);
  const r = await inspect(file, { keys: [join(oem.dir, 'root.pem')] });
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(r.summary.signature.reason, /^hyp\.mbn: the OEM image signature \(v6\) is not checked: the attestation key is EC prime256v1; romscope verifies ECDSA on P-384 only$/);
});

test('MBN v5 with a placeholder signature (qtestsign writes 0xff bytes): failed, and says it is a placeholder', async (t) => {
  if (!requireTools(t, 'openssl')) return;
  const dir = tempDir(t);
  const oem = makeMbnChain(dir);
  const image = buildMbn({ version: 5, segments: segments(), sign: { chain: oem.chain, signDigest: () => Buffer.alloc(256, 0xff) } });
  const file = join(dir, 'rpm.mbn');
  await expectFailed(
    file,
    image,
    () => {},
    /^the OEM image signature \(v5, over the header and hash table\) does not verify .*\(it is a placeholder of 256 0xff bytes, not a signature \(qtestsign writes one for devices without secure boot\)\)/,
    [],
  );
});
