/**
 * Pre-hashed RSA-PSS and ECDSA P-384 checks (src/crypto/prehashed.ts)
 * against OpenSSL: the P-384 constants against `openssl ecparam -param_enc
 * explicit`, and signatures `openssl pkeyutl` makes over a bare digest
 * verify, while a changed digest, a changed signature or another key do not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { P384, ecdsaP384Verify, ecdsaRS, p384Point, pkcs1Payload, pssMatches, pssParts } from '../../src/crypto/prehashed';
import { requireTools, runTool, tempDir } from '../helpers';

test('P-384 curve constants are the ones openssl knows for secp384r1', (t) => {
  if (!requireTools(t, 'openssl')) return;
  const text = runTool('openssl', ['ecparam', '-name', 'secp384r1', '-param_enc', 'explicit', '-text', '-noout']).stdout.toString();
  const field = (name: string) => {
    const m = new RegExp(`^${name}:\\s*\\n((?:\\s+[0-9a-f:]+\\n)+)`, 'm').exec(text);
    assert.ok(m, `${name} in openssl's output`);
    return BigInt(`0x${m[1].replace(/[\s:]/g, '')}`);
  };
  assert.equal(P384.p, field('Prime'));
  assert.equal(P384.a, field('A'));
  assert.equal(P384.b, field('B'));
  assert.equal(P384.n, field('Order'));
  const g = field('Generator \\(uncompressed\\)');
  assert.equal(g, (4n << 768n) | (P384.gx << 384n) | P384.gy);
});

test('ECDSA P-384 and RSA-PSS over a bare digest: openssl pkeyutl signatures verify; changes do not', (t) => {
  if (!requireTools(t, 'openssl')) return;
  const dir = tempDir(t);
  const o = (...a: string[]) => runTool('openssl', a, { cwd: dir });
  o('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-out', 'ec.pem');
  o('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-out', 'ec2.pem');
  o('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.pem');
  const ec = createPublicKey(readFileSync(join(dir, 'ec.pem')));
  const ec2 = createPublicKey(readFileSync(join(dir, 'ec2.pem')));
  const rsa = createPublicKey(readFileSync(join(dir, 'rsa.pem')));
  const point = p384Point(ec);
  assert.ok(point);
  for (let i = 0; i < 4; i++) {
    const digest = randomBytes(48);
    writeFileSync(join(dir, 'h.bin'), digest);
    const sig = o('pkeyutl', '-sign', '-inkey', 'ec.pem', '-in', 'h.bin').stdout;
    const rs = ecdsaRS(sig);
    assert.ok(rs && rs.encoding === 'DER');
    assert.equal(ecdsaP384Verify(point, digest, rs.r, rs.s), true);
    const other = Buffer.from(digest);
    other[47] ^= 1;
    assert.equal(ecdsaP384Verify(point, other, rs.r, rs.s), false);
    assert.equal(ecdsaP384Verify(point, digest, rs.r ^ 2n, rs.s), false);
    assert.equal(ecdsaP384Verify(p384Point(ec2)!, digest, rs.r, rs.s), false);

    for (const salt of ['digest', '20', '0']) {
      const pss = o('pkeyutl', '-sign', '-inkey', 'rsa.pem', '-pkeyopt', 'digest:sha384', '-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', `rsa_pss_saltlen:${salt}`, '-in', 'h.bin').stdout;
      const parts = pssParts(rsa, pss, 'sha384');
      assert.ok(parts, `salt ${salt}`);
      assert.equal(parts.salt.length, salt === 'digest' ? 48 : Number(salt));
      assert.equal(pssMatches(parts, digest, 'sha384'), true);
      assert.equal(pssMatches(parts, other, 'sha384'), false);
      assert.equal(pkcs1Payload(rsa, pss), null);
    }
    const v15 = o('pkeyutl', '-sign', '-inkey', 'rsa.pem', '-pkeyopt', 'rsa_padding_mode:pkcs1', '-in', 'h.bin').stdout;
    assert.deepEqual(pkcs1Payload(rsa, v15), digest);
    assert.equal(pssParts(rsa, v15, 'sha384'), null);
  }
  // Neither DER nor 96 bytes.
  assert.equal(ecdsaRS(Buffer.alloc(50, 1)), null);
  const raw = Buffer.concat([Buffer.alloc(47), Buffer.from([5]), Buffer.alloc(47), Buffer.from([7])]);
  assert.deepEqual(ecdsaRS(raw), { r: 5n, s: 7n, encoding: 'raw r||s' });
});
