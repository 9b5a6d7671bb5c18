/**
 * Helpers for the Qualcomm signed image tests.
 *
 * A Qualcomm-style certificate chain made with openssl at test time: a
 * self-signed root, an attestation CA it signs, and an attestation
 * certificate whose subject carries the signing attributes as OU fields.
 * No private key is kept beyond the test's temp dir.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../helpers';

export interface MbnChain {
  /** DER: attestation, CA, root. */
  chain: Buffer[];
  attKey: KeyObject;
  rootPem: string;
  swId: bigint;
  hwId: bigint;
}

export function makeMbnChain(dir: string, swId = 0x1cn, hwId = 0x009900e100001607n): MbnChain {
  const o = (...a: string[]) => runTool('openssl', a, { cwd: dir });
  const hex16 = (v: bigint) => v.toString(16).toUpperCase().padStart(16, '0');
  o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/C=US/O=Test/CN=Test Root CA', '-days', '30');
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.csr', '-subj', '/C=US/O=Test/CN=Test Attestation CA');
  o('x509', '-req', '-in', 'ca.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '2', '-days', '30', '-out', 'ca.pem');
  const subj = `/C=US/CN=Test User/OU=01 ${hex16(swId)} SW_ID/OU=02 ${hex16(hwId)} HW_ID/OU=04 0000 OEM_ID/OU=05 00000148 SW_SIZE/OU=06 0000 MODEL_ID/OU=07 0001 SHA256/OU=03 0000000000000002 DEBUG`;
  o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'att.key', '-out', 'att.csr', '-subj', subj);
  o('x509', '-req', '-in', 'att.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '3', '-days', '30', '-out', 'att.pem');
  const der = (f: string) => o('x509', '-in', f, '-outform', 'der').stdout;
  return { chain: [der('att.pem'), der('ca.pem'), der('root.pem')], attKey: createPrivateKey(readFileSync(join(dir, 'att.key'))), rootPem: readFileSync(join(dir, 'root.pem'), 'utf8'), swId, hwId };
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
