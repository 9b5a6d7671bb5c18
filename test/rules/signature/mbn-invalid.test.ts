import { ruleTester } from '../harness';
import { buildMbn } from '../../../fixtures/builders/mbn';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { hasTool } from '../../helpers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeMbnChain, type MbnChain } from '../../formats/mbn-helpers';

let chain: MbnChain | null = null;
/** One openssl chain for all cases, made on first use in a temp dir removed at once. */
function theChain(): MbnChain {
  if (!chain) {
    const dir = mkdtempSync(join(tmpdir(), 'romscope-mbn-'));
    try {
      chain = makeMbnChain(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return chain;
}
const noOpenssl = () => (hasTool('openssl') ? false : 'openssl is not installed');
const segments = [{ data: pseudoRandom(4000, 1) }, { data: pseudoRandom(3000, 2), flags: 6 }];
const signed = (o: { swId?: bigint; chain?: (c: MbnChain) => Buffer[] } = {}) => {
  const c = theChain();
  return buildMbn({ version: 3, segments, sign: { key: c.attKey, chain: o.chain ? o.chain(c) : c.chain, swId: o.swId ?? c.swId, hwId: c.hwId } });
};

const signedV6 = () => {
  const c = theChain();
  return buildMbn({ version: 6, segments, sign: { key: c.attKey, chain: c.chain, swId: c.swId, hwId: c.hwId } });
};

ruleTester('signature/mbn-invalid', {
  valid: [
    { name: 'a v3 image signed by its attestation certificate', file: 'sbl1.mbn', skip: noOpenssl, build: () => signed() },
    { name: 'an image with a hash table and no signature', file: 'sbl1.mbn', build: () => buildMbn({ version: 3, segments }) },
    { name: 'a v6 image the OEM signed over its header, metadata and hash table', file: 'xbl.elf', skip: noOpenssl, build: () => signedV6() },
  ],
  invalid: [
    {
      name: 'signed for another SW_ID than its certificate names',
      file: 'sbl1.mbn',
      skip: noOpenssl,
      build: () => signed({ swId: 0x2n }),
      errors: [{ path: '', message: 'the image signature does not verify with the key of the attestation certificate "Test User"' }],
    },
    {
      name: 'a chain whose CA is not the attestation certificate’s issuer',
      file: 'sbl1.mbn',
      skip: noOpenssl,
      build: () => signed({ chain: (c) => [c.chain[0], c.chain[2], c.chain[2]] }),
      errors: [{ path: '', message: 'the OEM certificate "Test User" is not signed by the next one, "Test Root CA"' }],
    },
    {
      name: 'a v6 image whose OEM metadata changed after signing',
      file: 'xbl.elf',
      skip: noOpenssl,
      build: () => {
        const b = signedV6();
        b[0x1000 + 48 + 10] ^= 1; // inside the OEM metadata (no QTI metadata before it)
        return b;
      },
      errors: [
        {
          path: '',
          message:
            'the OEM image signature (v6, over the header, QTI and OEM metadata and hash table) does not verify with the key of the attestation certificate "Test User" (it is an RSA PKCS#1 v1.5 signature by this key, over another digest)',
        },
      ],
    },
  ],
});
