/**
 * Corpus: a real Qualcomm firehose programmer (`qcom-edl/qk1607/
 * prog_emmc_firehose_8976_ddr.mbn`, MSM8976, hash segment v3, signed with
 * Qualcomm's sectools test chain). Its program headers agree with `readelf
 * -lW`; untouched, every segment digest matches and the signature verifies
 * up to its root (unverifiable without --key, verified with the root's
 * certificate); a copy with one byte changed in a loadable segment (made in a
 * temp dir) is integrity/mbn-segment-hash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { corpusFile, requireTools, runTool, tempDir } from '../helpers';
import { describe } from '../interop/util';
import { readelfSegments } from '../formats/mbn-helpers';

const FILE = 'qcom-edl/qk1607/prog_emmc_firehose_8976_ddr.mbn';

test(`corpus ${FILE}: readelf agrees, every segment digest matches, the signature verifies up to its root`, async (t) => {
  const path = corpusFile(t, FILE);
  if (!path || !requireTools(t, 'readelf', 'openssl')) return;
  const r = await inspect(path);
  assert.equal(r.root.format, 'qcom-mbn');
  assert.deepEqual(r.findings, [], describe(r.findings));
  const segs = (r.root.info.segments as { type: string; offset: number; vaddr: string; fileSize: number; memSize: number }[]).map(({ type, offset, vaddr, fileSize, memSize }) => ({
    type,
    offset,
    vaddr,
    fileSize,
    memSize,
  }));
  const ref = readelfSegments(path);
  assert.equal(ref.length, 9);
  assert.deepEqual(segs, ref);
  // 9 program headers: the ELF header placeholder and 4 LOAD segments have bytes; the hash segment and 3 empty segments do not.
  assert.deepEqual(r.root.info.segmentHashes, { algorithm: 'sha256', checked: 5, failed: 0, notHashed: 0 });
  assert.deepEqual(r.root.info.hashSegment, { version: 3, imageId: 21, programHeader: 1, hashTableBytes: 288, digest: 'sha256', oemSignatureBytes: 256, oemCertChainBytes: 6144 });
  assert.deepEqual(r.root.info.attestation, { SW_ID: '0000000000000003', HW_ID: '009900E100001607', OEM_ID: '0000', SW_SIZE: '00000148', MODEL_ID: '1607', SHA256: '0001', DEBUG: '0000000000000002' });
  const certs = r.root.info.certificates as { subject: string; issuer: string }[];
  assert.deepEqual(
    certs.map((c) => /CN=([^,]+)/.exec(c.subject)?.[1]),
    ['SecTools Test User', 'QPSA attestation CA', 'QPSA ROOT CA'],
  );
  assert.equal(r.summary.signature.status, 'unverifiable');
  assert.match(r.summary.signature.reason, /no OEM root key was given/);

  // The root certificate as openssl reads it from the chain region (hash segment at 0x1000: 40-byte header, 288 bytes of digests, 256 of signature).
  const bytes = readFileSync(path);
  const chain = bytes.subarray(0x1000 + 40 + 288 + 256, 0x1000 + 40 + 288 + 256 + 6144);
  const dir = tempDir(t);
  let at = 0;
  const ders: Buffer[] = [];
  while (chain[at] === 0x30) {
    const len = chain.readUInt16BE(at + 2) + 4;
    ders.push(chain.subarray(at, at + len));
    at += len;
  }
  writeFileSync(join(dir, 'root.der'), ders[2]);
  const rootPem = runTool('openssl', ['x509', '-inform', 'der', '-in', join(dir, 'root.der')]).stdout;
  const fp = runTool('openssl', ['x509', '-inform', 'der', '-in', join(dir, 'root.der'), '-noout', '-fingerprint', '-sha256']).stdout.toString();
  assert.equal(`sha256 Fingerprint=${(r.root.info.rootCertificateSha256 as string).toUpperCase().replace(/(..)(?!$)/g, '$1:')}`, fp.trim());
  writeFileSync(join(dir, 'root.pem'), rootPem);
  const v = await inspect(path, { keys: [join(dir, 'root.pem')] });
  assert.equal(v.summary.signature.status, 'verified', v.summary.signature.reason);
});

test(`corpus ${FILE}: one byte changed in a loadable segment is integrity/mbn-segment-hash`, async (t) => {
  const path = corpusFile(t, FILE);
  if (!path) return;
  const b = Buffer.from(readFileSync(path));
  // Program header 4: LOAD at 0x3000, 0x48678 bytes (readelf -lW).
  b[0x3000 + 0x1234] ^= 0xff;
  const file = join(tempDir(t), 'prog_emmc_firehose_8976_ddr.mbn');
  writeFileSync(file, b);
  const r = await inspect(file);
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.message.replace(/is [0-9a-f]{64}/, 'is …')]),
    [['integrity/mbn-segment-hash', 'segment 4 (LOAD, bytes 12288-308856): sha256 is …, the hash table says ddb6bdc1ad0c0bf614ab5c89d09ab3dc12d64d0da7eac8ea84848d0f0582bcd3']],
  );
  assert.equal(r.summary.integrity.status, 'failed');
  assert.equal(r.summary.signature.status, 'failed');
});
