/**
 * Corpus: a real Qualcomm firehose programmer (`qcom-edl/qk1607/
 * prog_emmc_firehose_8976_ddr.mbn`, MSM8976, hash segment v3, signed with
 * Qualcomm's sectools test chain). Its program headers agree with `readelf
 * -lW`; untouched, every segment digest matches and the signature verifies
 * up to its root (unverifiable without --key, verified with the root's
 * certificate); a copy with one byte changed in a loadable segment (made in a
 * temp dir) is integrity/mbn-segment-hash.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { CORPUS, corpusFile, requireTools, runTool, tempDir } from '../helpers';
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

/**
 * Real v5 and v6 images, proposed for the shared corpus (MANIFEST lines in
 * the branch's report; sources: Daniel224455/oneplus6-edlprog-files
 * prog_firehose_ddr.elf at 9f3edb62, SDM845, v5; rubikpi-ai/boot-assets
 * cpucp.elf at 10b86857, QCS6490, v6 signed by QTI and the OEM). They are
 * read from the shared corpus, or from $ROMSCOPE_CORPUS_EXTRA until they
 * are in it, and skipped visibly when in neither.
 */
function extraFile(t: TestContext, rel: string): string | null {
  for (const base of [CORPUS, process.env.ROMSCOPE_CORPUS_EXTRA]) {
    if (base && existsSync(join(base, rel))) return join(base, rel);
  }
  t.skip(`${rel} is not in the shared corpus yet (nor in $ROMSCOPE_CORPUS_EXTRA)`);
  return null;
}

/** The hash segment's offset and header words of a real image. */
function hashSegmentOf(r: Awaited<ReturnType<typeof inspect>>, bytes: Buffer) {
  const hs = r.root.info.hashSegment as { programHeader: number };
  const at = (r.root.info.segments as { offset: number }[])[hs.programHeader].offset;
  return { at, w: (i: number) => bytes.readUInt32LE(at + 4 * i) };
}

/** The root certificate (last of the chain at `offset`) as a PEM file, by openssl. */
function rootPem(bytes: Buffer, offset: number, size: number, dir: string, name: string): string {
  const chain = bytes.subarray(offset, offset + size);
  let at = 0;
  let last: Buffer = Buffer.alloc(0);
  while (chain[at] === 0x30) {
    const len = chain.readUInt16BE(at + 2) + 4;
    last = chain.subarray(at, at + len);
    at += len;
  }
  writeFileSync(join(dir, `${name}.der`), last);
  writeFileSync(join(dir, `${name}.pem`), runTool('openssl', ['x509', '-inform', 'der', '-in', join(dir, `${name}.der`)]).stdout);
  return join(dir, `${name}.pem`);
}

const V5 = 'qcom-edl/op6/prog_firehose_ddr.elf';

test(`corpus ${V5} (v5): the RSA-PSS signature over the header and hash table verifies; a changed signature or table fails`, async (t) => {
  const path = extraFile(t, V5);
  if (!path || !requireTools(t, 'openssl')) return;
  const r = await inspect(path);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.equal((r.root.info.hashSegment as { version: number }).version, 5);
  assert.deepEqual(r.root.info.signatures, [{ authority: 'OEM', algorithm: 'RSA-2048 PSS (MGF1 SHA256, 32-byte salt)', digest: 'plain SHA256 digest', covers: 'header and hash table' }]);
  assert.equal(r.summary.signature.status, 'unverifiable');
  const bytes = readFileSync(path);
  const { at, w } = hashSegmentOf(r, bytes);
  const dir = tempDir(t);
  const sigAt = at + 40 + w(5) + w(2) + w(3);
  const root = rootPem(bytes, sigAt + w(7), w(9), dir, 'root');
  assert.equal((await inspect(path, { keys: [root] })).summary.signature.status, 'verified');

  const file = join(dir, 'prog_firehose_ddr.elf');
  for (const [what, offset] of [
    ['the signature', sigAt + 17],
    ['the hash table', at + 40 + 5],
  ] as const) {
    const b = Buffer.from(bytes);
    b[offset] ^= 1;
    writeFileSync(file, b);
    const f = await inspect(file, { keys: [root] });
    assert.equal(f.summary.signature.status, 'failed', what);
    assert.ok(
      f.findings.some(
        (x) => x.ruleId === 'signature/mbn-invalid' && /^the OEM image signature \(v5, over the header and hash table\) does not verify with the key of the attestation certificate "SecTools Test User"/.test(x.message),
      ),
      `${what}: ${describe(f.findings)}`,
    );
  }
});

const V6 = 'qcom-edl/rubikpi3/cpucp.elf';

test(`corpus ${V6} (v6, QTI and OEM): both ECDSA P-384 signatures verify, each over its own metadata with the other's masked`, async (t) => {
  const path = extraFile(t, V6);
  if (!path || !requireTools(t, 'openssl')) return;
  const r = await inspect(path);
  assert.deepEqual(r.findings, [], describe(r.findings));
  assert.deepEqual(r.root.info.signatures, [
    { authority: 'OEM', algorithm: 'ECDSA P-384 (DER)', digest: 'plain SHA384 digest', covers: 'header, QTI and OEM metadata and hash table (the QTI fields zeroed)' },
    { authority: 'QTI', algorithm: 'ECDSA P-384 (DER)', digest: 'plain SHA384 digest', covers: 'header, QTI and OEM metadata and hash table (the OEM fields zeroed)' },
  ]);
  assert.deepEqual(
    (r.root.info.qtiCertificates as { subject: string }[]).map((c) => /CN=([^,]+)/.exec(c.subject)?.[1]),
    ['CASS - SBL3', 'QSEE Attestation Root CA 4 SubCA 1', 'QSEE Attestation Root CA 4'],
  );
  assert.equal(r.summary.signature.status, 'unverifiable');
  const bytes = readFileSync(path);
  const { at, w } = hashSegmentOf(r, bytes);
  const dir = tempDir(t);
  const qtiMd = at + 48;
  const oemMd = qtiMd + w(10);
  const qtiSig = oemMd + w(11) + w(5);
  const oemSig = qtiSig + w(2) + w(3);
  const root = rootPem(bytes, oemSig + w(7), w(9), dir, 'oem-root');
  assert.equal((await inspect(path, { keys: [root] })).summary.signature.status, 'verified');
  const qtiRoot = rootPem(bytes, qtiSig + w(2), w(3), dir, 'qti-root');
  assert.match((await inspect(path, { keys: [qtiRoot] })).summary.signature.reason, /none of the keys given with --key/);

  // A byte of one authority's metadata: only that authority's signature covers it.
  const file = join(dir, 'cpucp.elf');
  for (const [offset, who] of [
    [qtiMd + 100, 'QTI'],
    [oemMd + 100, 'OEM'],
  ] as const) {
    const b = Buffer.from(bytes);
    b[offset] ^= 1;
    writeFileSync(file, b);
    const f = await inspect(file, { keys: [root] });
    assert.equal(f.summary.signature.status, 'failed');
    assert.deepEqual(
      f.findings.map((x) => [x.ruleId, x.message.split(' does not verify ')[0]]),
      [['signature/mbn-invalid', `the ${who} image signature (v6, over the header, QTI and OEM metadata and hash table)`]],
    );
  }
});
