import { ruleTester } from '../harness';
import { buildPayload } from '../../../fixtures/builders/payload';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { newRsaKeyPair } from '../../../fixtures/builders/keys';

const KEY = newRsaKeyPair(2048);
const OTHER = newRsaKeyPair(2048);
const pem = (k: typeof KEY) => Buffer.from(k.publicKey.export({ type: 'spki', format: 'pem' }));
const parts = () => [{ name: 'boot', data: pseudoRandom(4 * 4096, 1), type: 'REPLACE_XZ' as const }];

ruleTester('signature/payload-invalid', {
  valid: [
    { name: 'both signatures verify with --key', file: 'payload.bin', build: () => buildPayload(parts(), { key: KEY.privateKey }).payload, options: { keys: [pem(KEY)] } },
    { name: 'signed, but no key to check it with (unverifiable, not invalid)', file: 'payload.bin', build: () => buildPayload(parts(), { key: KEY.privateKey }).payload },
    { name: 'unsigned (signature/ota-unsigned says so)', file: 'payload.bin', build: () => buildPayload(parts()).payload },
  ],
  invalid: [
    {
      name: 'signed with another key than --key',
      file: 'payload.bin',
      build: () => buildPayload(parts(), { key: OTHER.privateKey }).payload,
      options: { keys: [pem(KEY)] },
      errors: [
        { path: '', message: 'the metadata signature over bytes 0-' },
        { path: '', message: 'the payload signature over the header, manifest and blobs' },
      ],
    },
    {
      name: 'the payload signature damaged',
      file: 'payload.bin',
      build: () => buildPayload(parts(), { key: KEY.privateKey, breaks: { flipPayloadSignature: true } }).payload,
      options: { keys: [pem(KEY)] },
      errors: [{ path: '', message: 'none of its 1 signature(s) verifies with key 1' }],
    },
  ],
});
