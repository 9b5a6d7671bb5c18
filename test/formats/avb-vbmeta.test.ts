/**
 * vbmeta images built by fixtures/builders/avb.ts and signed at test time
 * with freshly generated keys, for every algorithm: each verifies, and one
 * byte flipped in the signature, the stored hash or the auxiliary block
 * gives exactly one signature/avb-invalid finding. Then the bad inputs the
 * issue lists: descriptors that overrun, a key that does not fit the
 * algorithm, offsets past the end, unknown tags, trailers.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import type { Report } from '../../src/report/model';
import { tempDir } from '../helpers';
import { describe } from '../interop/util';
import { ALGORITHMS, buildVbmetaWithLayout, buildVbmeta, keyBlob, rsaKey, avbFooterBytes, type AlgorithmName, type DescriptorSpec } from '../../fixtures/builders/avb';
import { pseudoRandom } from '../../fixtures/builders/data';

async function inspectBytes(t: TestContext, name: string, bytes: Buffer): Promise<Report> {
  const file = join(tempDir(t), name);
  writeFileSync(file, bytes);
  return inspect(file);
}

const salt = pseudoRandom(32, 1);
const allDescriptors = (chainKey: Buffer): DescriptorSpec[] => [
  { type: 'property', key: 'com.android.build.boot.security_patch', value: '2025-01-05' },
  { type: 'hash', partition: 'boot', imageSize: 4096, salt, digest: pseudoRandom(32, 2) },
  { type: 'hashtree', partition: 'system', imageSize: 8192, treeOffset: 8192, treeSize: 4096, salt, rootDigest: pseudoRandom(32, 3), fecNumRoots: 2, fecOffset: 12288, fecSize: 8192 },
  { type: 'kernel-cmdline', cmdline: 'dm="1 vroot none ro 1,0 16 verity"', flags: 1 },
  { type: 'chain-partition', partition: 'vbmeta_system', rollbackIndexLocation: 1, publicKey: chainKey },
];

const signed = (Object.keys(ALGORITHMS) as AlgorithmName[]).filter((a) => a !== 'NONE');

for (const alg of signed) {
  const bits = ALGORITHMS[alg].bits as 2048 | 4096 | 8192;
  test(`vbmeta ${alg}: verifies; every descriptor type is described`, async (t) => {
    const key = rsaKey(bits);
    const built = buildVbmetaWithLayout({ algorithm: alg, key, descriptors: allDescriptors(keyBlob(rsaKey(2048))), rollbackIndex: 1_700_000_000, rollbackIndexLocation: 0 });
    const r = await inspectBytes(t, 'vbmeta.img', built.bytes);
    assert.equal(r.root.format, 'avb-vbmeta');
    assert.equal(r.root.info.signature, 'verified', describe(r.findings));
    assert.equal(r.root.info.algorithm, alg);
    assert.equal(r.root.info.rollbackIndex, 1_700_000_000);
    assert.equal((r.root.info.publicKey as { bits: number }).bits, bits);
    const types = (r.root.info.descriptors as { type: string }[]).map((d) => d.type);
    assert.deepEqual(types, ['property', 'hash', 'hashtree', 'kernel-cmdline', 'chain-partition']);
    const chain = (r.root.info.descriptors as Record<string, unknown>[])[4];
    assert.equal(chain.rollbackIndexLocation, 1);
    assert.equal((chain.publicKey as { bits: number }).bits, 2048);
    assert.ok(r.root.facts.some((f) => f.kind === 'avb-signature-ok'));
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(r.summary.signature.status, 'verified');

    const flips: [string, number, RegExp][] = [
      ['the signature', built.signatureOffset + 7, /RSA signature does not verify/],
      ['the stored hash', built.authStart + 1, /vbmeta hash does not match/],
      ['the auxiliary block', built.auxStart + 40, /vbmeta hash does not match/],
    ];
    for (const [what, at, msg] of flips) {
      const bad = Buffer.from(built.bytes);
      bad[at] ^= 0x01;
      const rb = await inspectBytes(t, 'vbmeta.img', bad);
      assert.deepEqual(
        rb.findings.map((f) => f.ruleId),
        ['signature/avb-invalid'],
        `${what}: ${describe(rb.findings)}`,
      );
      assert.match(rb.findings[0].message, msg, what);
      assert.equal(rb.root.info.signature, 'failed');
      assert.equal(rb.summary.signature.status, 'failed');
    }
  });
}

test('vbmeta NONE: unsigned, reported once, summary unsigned', async (t) => {
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta({ descriptors: allDescriptors(keyBlob(rsaKey(2048))) }));
  assert.equal(r.root.info.signature, 'unsigned');
  assert.equal(r.root.info.publicKey, undefined);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/avb-unsigned'],
    describe(r.findings),
  );
  assert.equal(r.summary.signature.status, 'unsigned');
});

test('a key blob of another size than the algorithm needs fails the signature', async (t) => {
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta({ algorithm: 'SHA256_RSA4096', key: rsaKey(4096), publicKeyBlob: keyBlob(rsaKey(2048)) }));
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/avb-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /2048 bits; SHA256_RSA4096 needs a 4096-bit key/);
});

test('a key blob whose n0inv does not belong to its modulus fails (libavb computes with it)', async (t) => {
  const blob = keyBlob(rsaKey(2048));
  blob.writeUInt32BE((blob.readUInt32BE(4) ^ 0x10) >>> 0, 4);
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta({ algorithm: 'SHA256_RSA2048', key: rsaKey(2048), publicKeyBlob: blob }));
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/avb-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /n0inv/);
});

test('a descriptor whose length overruns the descriptor area stops the walk of descriptors: format/avb-invalid; the signature still verifies', async (t) => {
  const r = await inspectBytes(
    t,
    'vbmeta.img',
    buildVbmeta({
      algorithm: 'SHA256_RSA2048',
      key: rsaKey(2048),
      descriptors: [
        { type: 'property', key: 'a', value: 'b' },
        { type: 'raw', tag: 2, payload: Buffer.alloc(16), numBytesFollowing: 2n ** 62n },
      ],
    }),
  );
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['format/avb-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /descriptor 1 at offset \d+ claims 4611686018427387904 bytes after its header, only 16 remain/);
  assert.equal(r.root.info.signature, 'verified');
  assert.equal((r.root.info.descriptors as unknown[]).length, 1);
});

test('lengths inside a descriptor that do not fit it (a hash descriptor claiming a 2^32-1 byte name)', async (t) => {
  const payload = Buffer.alloc(120);
  payload.writeBigUInt64BE(4096n, 0);
  payload.write('sha256', 8);
  payload.writeUInt32BE(0xffffffff, 40);
  const r = await inspectBytes(
    t,
    'vbmeta.img',
    buildVbmeta({
      descriptors: [
        { type: 'raw', tag: 2, payload },
        { type: 'property', key: 'after', value: 'still read' },
      ],
    }),
  );
  const invalid = r.findings.filter((f) => f.ruleId === 'format/avb-invalid');
  assert.equal(invalid.length, 1, describe(r.findings));
  assert.match(invalid[0].message, /partition name \(4294967295\), salt \(0\) and digest \(0\) do not fit in 4 bytes/);
  assert.deepEqual(
    (r.root.info.descriptors as { type: string }[]).map((d) => d.type),
    ['property'],
  );
});

test('offsets past the end of their block: format/avb-invalid, the signature is not checked (summary unverifiable)', async (t) => {
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta({ algorithm: 'SHA256_RSA2048', key: rsaKey(2048), headerOverrides: { descriptorsOffset: 2n ** 40n } }));
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['format/avb-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /the descriptors \(offset 1099511627776, 0 bytes\) is not inside the auxiliary block/);
  assert.equal(r.root.info.signature, 'unverifiable');
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(r.summary.signature.reason, /could not be checked/);
});

test('blocks larger than the file (a cut vbmeta): format/avb-invalid', async (t) => {
  const full = buildVbmeta({ algorithm: 'SHA512_RSA2048', key: rsaKey(2048) });
  const r = await inspectBytes(t, 'vbmeta.img', full.subarray(0, full.length - 100));
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['format/avb-invalid'],
    describe(r.findings),
  );
  assert.match(r.findings[0].message, /bytes, but only \d+ are there/);
});

test('a header shorter than 256 bytes is truncated', async (t) => {
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta().subarray(0, 100));
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['integrity/truncated'],
    describe(r.findings),
  );
});

test('a libavb version newer than 1.3, an unknown algorithm, an unterminated release string', async (t) => {
  const img = buildVbmeta({ requiredLibavbMinor: 4, headerOverrides: { algorithm: 9 } });
  img.fill(0x41, 128, 176);
  const r = await inspectBytes(t, 'vbmeta.img', img);
  const msgs = r.findings.filter((f) => f.ruleId === 'format/avb-invalid').map((f) => f.message);
  assert.equal(msgs.length, 3, describe(r.findings));
  assert.match(msgs.join('\n'), /1\.4, newer than the 1\.3/);
  assert.match(msgs.join('\n'), /unknown algorithm type 9/);
  assert.match(msgs.join('\n'), /release string does not end with a NUL/);
});

test('an unknown descriptor tag is listed, not an error', async (t) => {
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta({ algorithm: 'SHA256_RSA2048', key: rsaKey(2048), descriptors: [{ type: 'raw', tag: 99, payload: Buffer.alloc(24) }] }));
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.deepEqual((r.root.info.descriptors as unknown[])[0], { type: 'unknown', tag: 99, size: 40, offset: 256 + 320 });
});

test('chain descriptors: a rollback index location of 0, a key that is not a key blob', async (t) => {
  const r = await inspectBytes(t, 'vbmeta.img', buildVbmeta({ descriptors: [{ type: 'chain-partition', partition: 'boot', rollbackIndexLocation: 0, publicKey: Buffer.from('-----BEGIN RSA PRIVATE KEY-----\n') }] }));
  const msgs = r.findings.filter((f) => f.ruleId === 'format/avb-invalid').map((f) => f.message);
  assert.equal(msgs.length, 2, describe(r.findings));
  assert.match(msgs[0], /rollback index location 0/);
  assert.match(msgs[1], /not an AVB public key blob/);
});

test("Samsung's 512-byte signer block after the vbmeta data is described, not an error", async (t) => {
  const vb = buildVbmeta({ algorithm: 'SHA256_RSA4096', key: rsaKey(4096) });
  const signer = Buffer.alloc(512);
  signer.write('SignerVer02', 0, 'latin1');
  const r = await inspectBytes(t, 'vbmeta.img', Buffer.concat([vb, signer]));
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.deepEqual(r.root.info.trailer, { kind: 'samsung-signer', offset: vb.length, size: 512, version: 'SignerVer02' });
  assert.equal(r.root.info.vbmetaSize, vb.length);
  assert.equal(r.root.info.signature, 'verified');
});

test('zero padding after the vbmeta data is not a trailer; flags and rollback fields are in info', async (t) => {
  const vb = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: rsaKey(2048), flags: 3, rollbackIndex: 2n ** 60n, rollbackIndexLocation: 2, releaseString: 'avbtool 1.2.0' });
  const r = await inspectBytes(t, 'vbmeta.img', Buffer.concat([vb, Buffer.alloc(4096 - vb.length)]));
  assert.equal(r.root.info.trailer, undefined);
  assert.equal(r.root.info.flags, 3);
  assert.deepEqual(r.root.info.flagNames, ['hashtree-disabled', 'verification-disabled']);
  assert.equal(r.root.info.rollbackIndex, '1152921504606846976', 'a u64 past 2^53 is a decimal string');
  assert.equal(r.root.info.rollbackIndexLocation, 2);
  assert.equal(r.root.info.releaseString, 'avbtool 1.2.0');
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['signature/avb-verification-disabled'],
    describe(r.findings),
  );
});

test('a lone AVB footer: version 2, an original size past the vbmeta offset, a vbmeta too small', async (t) => {
  const f = avbFooterBytes(8192, 4096, 100);
  f.writeUInt32BE(2, 4);
  const r = await inspectBytes(t, 'x.avbfooter', f);
  assert.equal(r.root.format, 'avb-footer');
  const msgs = r.findings.filter((x) => x.ruleId === 'format/avb-invalid').map((x) => x.message);
  assert.equal(msgs.length, 3, describe(r.findings));
  assert.match(msgs.join('\n'), /footer version 2\.0/);
  assert.match(msgs.join('\n'), /original image size 8192 runs past the vbmeta offset 4096/);
  assert.match(msgs.join('\n'), /vbmeta size 100 is smaller than a vbmeta header/);
});

test('odd-sized inputs starting with AVB0 never crash the decoder', async (t) => {
  const base = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: rsaKey(2048), descriptors: allDescriptors(keyBlob(rsaKey(2048))) });
  for (const n of [4, 63, 255, 256, 257, 300, 900, base.length - 1]) {
    const r = await inspectBytes(t, 'vbmeta.img', base.subarray(0, n));
    assert.equal(r.root.format, 'avb-vbmeta');
    assert.ok(
      r.findings.every((f) => ['integrity/truncated', 'format/avb-invalid'].includes(f.ruleId)),
      `${n}: ${describe(r.findings)}`,
    );
  }
  for (let seed = 1; seed <= 30; seed++) {
    const junk = Buffer.from(base);
    const rnd = pseudoRandom(16, seed);
    for (let i = 0; i < 8; i++) junk[(rnd.readUInt16LE(2 * i) % 320) + 4] = rnd[i + 8];
    await inspectBytes(t, 'vbmeta.img', junk);
  }
});

test('hash algorithm names come from the file: "constructor" or "__proto__" are unknown algorithms, not object properties', async (t) => {
  const image = pseudoRandom(4096, 3);
  const r = await inspectBytes(
    t,
    'p.zip',
    (await import('../../fixtures/builders/zip')).buildZip([
      {
        name: 'vbmeta.img',
        data: buildVbmeta({
          descriptors: [
            { type: 'hash', partition: 'boot', imageSize: 4096, hashAlgorithm: 'constructor', salt, digest: pseudoRandom(32, 1) },
            { type: 'hashtree', partition: 'system', imageSize: 4096, hashAlgorithm: '__proto__', salt, rootDigest: pseudoRandom(32, 1) },
          ],
        }),
      },
      { name: 'boot.img', data: image },
      { name: 'system.img', data: image },
    ]),
  );
  const invalid = r.findings.filter((f) => f.ruleId === 'format/avb-invalid').map((f) => f.message);
  assert.equal(invalid.length, 2, describe(r.findings));
  assert.match(invalid.join('\n'), /unknown hash algorithm "constructor"/);
  assert.match(invalid.join('\n'), /unknown hash algorithm "__proto__"/);
  assert.deepEqual(r.findings.filter((f) => f.ruleId === 'format/unsupported').length, 2, describe(r.findings));
});
