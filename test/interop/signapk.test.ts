/**
 * Interop: OTA packages signed by AOSP's own signapk (Debian package
 * `signapk`, run with a JRE) with keys made by openssl at test time
 * (../shared/docs/TOOLS.md). romscope verifies signapk's whole-file
 * signature (RSA SHA-256, RSA SHA-1 with e=3 like the AOSP test key, EC
 * P-256), reports the signer certificate's fingerprint exactly as openssl
 * prints it, checks the payload against the otacert signapk adds, fails the
 * package after one flipped byte anywhere before the comment, and verifies
 * signapk's JAR (v1) signature member by member.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createPrivateKey } from 'node:crypto';
import { inspect } from '../../src/pipeline/inspect';
import type { Report } from '../../src/report/model';
import { buildZip } from '../../fixtures/builders/zip';
import { buildPayload } from '../../fixtures/builders/payload';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { BIN, requireTools, runCli, runTool, tempDir } from '../helpers';
import { artifactAt, describe } from './util';

const SIGNAPK = '/usr/share/signapk/signapk.jar';

function haveSignapk(t: TestContext): boolean {
  if (!requireTools(t, 'java', 'openssl')) return false;
  if (existsSync(SIGNAPK)) return true;
  const msg = `${SIGNAPK} not installed (Debian package signapk)`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI must install it: see .ci/run)`);
  t.skip(msg);
  return false;
}

interface Keys {
  cert: string;
  key: string;
  pk8: string;
}

/** openssl key and self-signed certificate; `kind` picks RSA-2048/SHA-256, RSA-2048 e=3/SHA-1 or EC P-256. */
function makeKeys(dir: string, name: string, kind: 'rsa-sha256' | 'rsa-sha1-e3' | 'ec'): Keys {
  const key = join(dir, `${name}.pem`);
  const cert = join(dir, `${name}.x509.pem`);
  const pk8 = join(dir, `${name}.pk8`);
  if (kind === 'ec') runTool('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  else runTool('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', ...(kind === 'rsa-sha1-e3' ? ['-pkeyopt', 'rsa_keygen_pubexp:3'] : []), '-out', key]);
  runTool('openssl', ['req', '-x509', '-new', '-key', key, '-out', cert, '-days', '365', '-subj', `/C=US/O=romscope interop/CN=${name}`, kind === 'rsa-sha1-e3' ? '-sha1' : '-sha256']);
  runTool('openssl', ['pkcs8', '-topk8', '-inform', 'PEM', '-outform', 'DER', '-in', key, '-out', pk8, '-nocrypt']);
  return { cert, key, pk8 };
}

function opensslFingerprint(cert: string): string {
  return /=([0-9A-F:]+)/.exec(runTool('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256']).stdout.toString())![1];
}

/** An A/B OTA package (payload signed with the same key, as ota_from_target_files does), unsigned. */
function unsignedOta(dir: string, k: Keys, extra: { name: string; data: Buffer }[] = []): string {
  const built = buildPayload(
    [
      { name: 'boot', data: pseudoRandom(8 * 4096, 7), type: 'REPLACE_XZ', chunkBlocks: 2 },
      { name: 'system', data: compressible(16 * 4096, 8), type: 'REPLACE_ZSTD', chunkBlocks: 4 },
    ],
    { key: createPrivateKey(readFileSync(k.key)) },
  );
  const file = join(dir, 'unsigned.zip');
  writeFileSync(
    file,
    buildZip([
      { name: 'META-INF/com/android/metadata', data: Buffer.from('ota-type=AB\npost-build=acme/demo/demo:14/UQ1A/1:user/release-keys\npre-device=demo\n') },
      { name: 'payload.bin', data: built.payload },
      { name: 'payload_properties.txt', data: Buffer.from(built.properties) },
      { name: 'care_map.pb', data: pseudoRandom(300, 9), method: 'deflate' },
      ...extra,
    ]),
  );
  return file;
}

/** Whole-file (-w), or a JAR (v1) signature only; `minSdk` below 18 makes signapk use SHA-1 digests in the JAR files. */
function signapk(k: Keys, input: string, output: string, jar?: { minSdk: number }): void {
  const mode = jar ? ['--disable-v2', '--min-sdk-version', String(jar.minSdk)] : ['-w'];
  runTool('java', ['-jar', SIGNAPK, ...mode, k.cert, k.pk8, input, output]);
}

const ids = (r: Report) => r.findings.map((f) => f.ruleId);

for (const kind of ['rsa-sha256', 'rsa-sha1-e3', 'ec'] as const) {
  test(`signapk -w (${kind}): romscope verifies the whole-file signature, names the signer as openssl does, and checks the payload against the otacert`, async (t) => {
    if (!haveSignapk(t)) return;
    const dir = tempDir(t);
    const k = makeKeys(dir, `ota-${kind}`, kind);
    const out = join(dir, 'signed.zip');
    signapk(k, unsignedOta(dir, k), out);
    const r = await inspect(out);
    assert.deepEqual(r.findings, [], describe(r.findings));
    assert.equal(r.summary.signature.status, 'verified');
    const wf = r.root.info.wholeFileSignature as { status: string; digest: string; signer: Record<string, string> };
    assert.equal(wf.status, 'verified');
    assert.equal(wf.digest, kind === 'rsa-sha1-e3' ? 'sha1' : 'sha256');
    assert.equal(wf.signer.sha256Fingerprint, opensslFingerprint(k.cert));
    assert.equal(wf.signer.subject, `C=US, O=romscope interop, CN=ota-${kind}`);
    assert.ok(wf.signer.notBefore < wf.signer.notAfter);
    // signapk added the otacert; it is the key the payload verifies with.
    assert.equal(artifactAt(r.root, 'META-INF/com/android/otacert').format, 'x509-certificate');
    const payload = artifactAt(r.root, 'payload.bin');
    const sigs = payload.info.signatures as Record<string, Record<string, string>>;
    assert.equal(sigs.payload.status, 'verified', JSON.stringify(sigs));
    assert.equal(sigs.payload.key, 'META-INF/com/android/otacert');
    // --key with the same certificate: still verified; with another: the signature and the payload fail.
    assert.equal((await inspect(out, { keys: [k.cert] })).summary.signature.status, 'verified');
    const other = makeKeys(dir, 'other', 'rsa-sha256');
    const bad = await inspect(out, { keys: [other.cert] });
    assert.ok(ids(bad).includes('signature/ota-invalid'), describe(bad.findings));
    assert.ok(ids(bad).includes('signature/payload-invalid'), describe(bad.findings));
  });
}

test('signapk -w: one flipped byte anywhere before the comment fails the check', async (t) => {
  if (!haveSignapk(t)) return;
  const dir = tempDir(t);
  const k = makeKeys(dir, 'flip', 'rsa-sha256');
  const out = join(dir, 'signed.zip');
  signapk(k, unsignedOta(dir, k), out);
  const good = readFileSync(out);
  const L = good.readUInt16LE(good.length - 2);
  const end = good.length - L - 2; // the signed bytes: everything before the comment-length field
  const positions = [0, 1, 29, 30, 31, 200, Math.floor(end / 3), Math.floor(end / 2), end - 100, end - 22, end - 10, end - 1];
  for (const at of positions) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x40;
    const file = join(dir, `flip-${at}.zip`);
    writeFileSync(file, bad);
    const r = await inspect(file);
    assert.ok(ids(r).includes('signature/ota-invalid'), `byte ${at} of ${end}: ${describe(r.findings)}`);
    assert.equal(r.summary.signature.status, 'failed', `byte ${at}`);
  }
  const cli = runCli(['check', join(dir, `flip-200.zip`)]);
  assert.equal(cli.code, 1, cli.stdout + cli.stderr);
  // A byte flipped inside the comment itself (the PKCS#7 signature) fails too.
  const bad = Buffer.from(good);
  bad[good.length - 20] ^= 0x01;
  writeFileSync(join(dir, 'flip-sig.zip'), bad);
  assert.equal((await inspect(join(dir, 'flip-sig.zip'))).summary.signature.status, 'failed');
});

test('signapk JAR signature (no -w): verified member by member; a changed member fails', async (t) => {
  if (!haveSignapk(t)) return;
  const dir = tempDir(t);
  for (const kind of ['rsa-sha256', 'rsa-sha1-e3'] as const) {
    const k = makeKeys(dir, `jar-${kind}`, kind);
    const out = join(dir, `jar-${kind}.zip`);
    signapk(k, unsignedOta(dir, k), out, { minSdk: kind === 'rsa-sha1-e3' ? 9 : 21 });
    const r = await inspect(out);
    // Recovery only checks whole-file signatures, so the package is "unsigned" for it.
    assert.deepEqual(ids(r), ['signature/ota-unsigned'], describe(r.findings));
    const jar = r.root.info.jarSignature as { status: string; signer: Record<string, string>; members: number };
    assert.equal(jar.status, 'verified');
    assert.equal(jar.signer.sha256Fingerprint, opensslFingerprint(k.cert));
    assert.equal(jar.members, 4);
    assert.equal(r.summary.signature.status, 'verified');
  }
  // Change one byte of a stored member's data (the zip CRC fails too, and the JAR digest).
  const good = readFileSync(join(dir, 'jar-rsa-sha256.zip'));
  const at = good.indexOf(Buffer.from('post-build=')) + 3;
  const bad = Buffer.from(good);
  bad[at] ^= 0x01;
  writeFileSync(join(dir, 'jar-bad.zip'), bad);
  const r = await inspect(join(dir, 'jar-bad.zip'));
  assert.ok(
    r.findings.some((f) => f.ruleId === 'signature/ota-invalid' && f.path === 'META-INF/com/android/metadata'),
    describe(r.findings),
  );
});

test('signapk -w: a signed package is read from disk once, for its members, its digests and the whole-file signature; a flipped byte in a member still fails it', async (t) => {
  if (!haveSignapk(t)) return;
  const dir = tempDir(t);
  const k = makeKeys(dir, 'once', 'rsa-sha256');
  const out = join(dir, 'signed.zip');
  // A stored member above the size from which digests go to the hashing threads.
  signapk(k, unsignedOta(dir, k, [{ name: 'system.img', data: pseudoRandom(40 << 20, 11) }]), out);
  const probe = join(dir, 'probe.js');
  writeFileSync(probe, "process.on('exit', () => require('fs').writeSync(2, '\\nPROBE ' + /rchar: (\\d+)/.exec(require('fs').readFileSync('/proc/self/io', 'utf8'))[1] + '\\n'));\n");
  const r = spawnSync(process.execPath, ['-r', probe, BIN, 'inspect', '--json', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const rchar = Number(/PROBE (\d+)/.exec(r.stderr)?.[1]);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal((report.root.info.wholeFileSignature as { status: string }).status, 'verified');
  assert.deepEqual(report.findings, [], describe(report.findings));
  const size = statSync(out).size;
  assert.ok(rchar < size * 1.2, `read ${rchar} bytes for a ${size}-byte package`);
  // One flipped byte in that member still fails the whole-file signature when the pass follows the members' reads.
  const bad = readFileSync(out);
  bad[bad.length >> 1] ^= 1;
  writeFileSync(out, bad);
  const b = await inspect(out);
  assert.ok(ids(b).includes('signature/ota-invalid'), describe(b.findings));
});
