/**
 * Helpers for the Qualcomm signed image tests.
 *
 * A Qualcomm-style certificate chain made with openssl at test time: a
 * self-signed root, an attestation CA it signs, and an attestation
 * certificate (RSA 2048 or EC P-384/P-256) whose subject carries the signing
 * attributes as OU fields (v5 and before; from v6 they move to the
 * metadata). Image digests are signed with `openssl pkeyutl` over the bare
 * digest: RSA PKCS#1 v1.5, RSA-PSS (MGF1 with the same hash, salt as long
 * as the digest, sectools' choice) or ECDSA (DER). No private key is kept
 * beyond the test's temp dir.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../helpers';

export interface MbnChain {
  /** DER: attestation, CA, root. */
  chain: Buffer[];
  attKey: KeyObject;
  rootPem: string;
  swId: bigint;
  hwId: bigint;
  /** The directory holding root.pem, ca.pem, att.pem and their keys. */
  dir: string;
  /** Signs a bare digest with the attestation key (`openssl pkeyutl`). */
  signDigest: (scheme: 'pkcs1' | 'pss' | 'ecdsa', algo?: 'sha256' | 'sha384') => (digest: Buffer) => Buffer;
}

export interface MbnChainOptions {
  /** The attestation key (default RSA 2048). */
  attKey?: 'rsa' | 'ec-p384' | 'ec-p256';
  /** The OU signing attributes in the attestation certificate (default on). */
  ou?: boolean;
  /** Common-name prefix ("Test" gives "Test Root CA", "Test User"). */
  name?: string;
}

export function makeMbnChain(parent: string, swId = 0x1cn, hwId = 0x009900e100001607n, opts: MbnChainOptions = {}): MbnChain {
  const dir = opts.name ? join(parent, opts.name) : parent;
  mkdirSync(dir, { recursive: true });
  const name = opts.name ?? 'Test';
  const o = (...a: string[]) => runTool('openssl', a, { cwd: dir });
  const hex16 = (v: bigint) => v.toString(16).toUpperCase().padStart(16, '0');
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-subj', `/C=US/O=Test/CN=${name} Root CA`, '-days', '30');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', `/C=US/O=Test/CN=${name} Attestation CA`);
  o('x509', '-req', '-in', 'ca.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '2', '-days', '30', '-out', 'ca.pem');
  const ou = `/OU=01 ${hex16(swId)} SW_ID/OU=02 ${hex16(hwId)} HW_ID/OU=04 0000 OEM_ID/OU=05 00000148 SW_SIZE/OU=06 0000 MODEL_ID/OU=07 0001 SHA256/OU=03 0000000000000002 DEBUG`;
  const subj = `/C=US/CN=${name} User${opts.ou === false ? '' : ou}`;
  const newkey = { rsa: ['-newkey', 'rsa:2048'], 'ec-p384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'], 'ec-p256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] }[opts.attKey ?? 'rsa'];
  o('req', ...newkey, '-nodes', '-keyout', 'att.key', '-out', 'att.csr', '-subj', subj);
  o('x509', '-req', '-in', 'att.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '3', '-days', '30', '-out', 'att.pem');
  const der = (f: string) => o('x509', '-in', f, '-outform', 'der').stdout;
  const signDigest =
    (scheme: 'pkcs1' | 'pss' | 'ecdsa', algo: 'sha256' | 'sha384' = 'sha384') =>
    (digest: Buffer): Buffer => {
      const opt = { pkcs1: ['-pkeyopt', 'rsa_padding_mode:pkcs1'], pss: ['-pkeyopt', `digest:${algo}`, '-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', 'rsa_pss_saltlen:digest'], ecdsa: [] }[scheme];
      return runTool('openssl', ['pkeyutl', '-sign', '-inkey', 'att.key', ...opt], { cwd: dir, input: digest }).stdout;
    };
  return { chain: [der('att.pem'), der('ca.pem'), der('root.pem')], attKey: createPrivateKey(readFileSync(join(dir, 'att.key'))), rootPem: readFileSync(join(dir, 'root.pem'), 'utf8'), swId, hwId, dir, signDigest };
}

/** `readelf -lW` program header rows: type, offset, vaddr, file size, mem size. */
export function readelfSegments(path: string): { type: string; offset: number; vaddr: string; fileSize: number; memSize: number }[] {
  const out = runTool('readelf', ['-lW', path]).stdout.toString();
  const rows: { type: string; offset: number; vaddr: string; fileSize: number; memSize: number }[] = [];
  for (const m of out.matchAll(/^\s+([A-Z_]+|0x[0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s/gm)) {
    rows.push({ type: m[1], offset: parseInt(m[2], 16), vaddr: `0x${BigInt(`0x${m[3]}`).toString(16)}`, fileSize: parseInt(m[4], 16), memSize: parseInt(m[5], 16) });
  }
  return rows;
}
