/**
 * Qualcomm signed ELF images built at test time (fixtures/builders/mbn.ts):
 * ELF32 and ELF64, hash segment v3, v5, v6 and v7. The program headers are
 * compared with `readelf -lW` (binutils); every segment digest is checked,
 * and a byte changed in a segment is found; a v3 signature over an openssl
 * chain is unverifiable without the root, verified with it as --key, and
 * failed when the signature or the chain is damaged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { buildMbn, mbnSegmentOffset } from '../../fixtures/builders/mbn';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, tempDir, ofFormat } from '../helpers';
import { describe } from '../interop/util';
import { makeMbnChain, readelfSegments } from './mbn-helpers';

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
