import { ruleTester } from '../harness';
import { buildPayload } from '../../../fixtures/builders/payload';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

function ota(edit: (props: string) => string = (p) => p): Buffer {
  const b = buildPayload([{ name: 'boot', data: pseudoRandom(3 * 4096, 5), type: 'REPLACE_XZ' }]);
  return buildZip([
    { name: 'payload.bin', data: b.payload },
    { name: 'payload_properties.txt', data: Buffer.from(edit(b.properties)) },
  ]);
}

ruleTester('integrity/payload-properties', {
  valid: [
    { name: 'FILE_HASH, FILE_SIZE, METADATA_HASH and METADATA_SIZE all match payload.bin', file: 'ota.zip', build: () => ota() },
    { name: 'extra keys (POWERWASH) are fine', file: 'ota.zip', build: () => ota((p) => p + 'POWERWASH=1\n') },
  ],
  invalid: [
    {
      name: 'FILE_HASH of another payload',
      file: 'ota.zip',
      build: () => ota((p) => p.replace(/^FILE_HASH=\S+/m, `FILE_HASH=${Buffer.alloc(32, 1).toString('base64')}`)),
      errors: [{ path: 'payload.bin', message: 'payload_properties.txt (FILE_HASH) says 0101' }],
    },
    {
      name: 'FILE_SIZE and METADATA_SIZE off by one',
      file: 'ota.zip',
      build: () => ota((p) => p.replace(/^FILE_SIZE=(\d+)/m, (_, n) => `FILE_SIZE=${Number(n) + 1}`).replace(/^METADATA_SIZE=(\d+)/m, (_, n) => `METADATA_SIZE=${Number(n) + 1}`)),
      errors: [
        { path: 'payload.bin', message: 'payload_properties.txt (FILE_SIZE) says' },
        { path: 'payload.bin', message: 'payload_properties.txt (METADATA_SIZE) says' },
        // METADATA_HASH is then taken over the wrong bytes.
        { path: 'payload.bin', message: 'payload_properties.txt (METADATA_HASH) says' },
      ],
    },
  ],
});
