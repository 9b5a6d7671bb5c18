import { ruleTester } from '../harness';
import { buildPayload, type PartitionInput } from '../../../fixtures/builders/payload';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const parts = (): PartitionInput[] => [
  { name: 'boot', data: pseudoRandom(6 * 4096, 1), type: 'REPLACE_XZ', chunkBlocks: 2 },
  { name: 'system', data: pseudoRandom(4 * 4096, 2), type: 'REPLACE_ZSTD', chunkBlocks: 1 },
];

ruleTester('integrity/payload-operation-hash', {
  valid: [
    { name: 'every operation blob matches its data_sha256_hash', file: 'payload.bin', build: () => buildPayload(parts()).payload },
    { name: 'a payload inside an OTA zip', file: 'ota.zip', build: () => buildZip([{ name: 'payload.bin', data: buildPayload(parts()).payload }]) },
  ],
  invalid: [
    {
      name: 'an operation whose manifest hash is wrong',
      file: 'payload.bin',
      build: () => buildPayload(parts(), { breaks: { wrongOpHash: { part: 1, op: 2 } } }).payload,
      errors: [{ path: '', message: /partition system operation 2 \(REPLACE_ZSTD\): the SHA-256 of its blob/ }],
    },
    {
      name: 'a blob changed after the manifest was written, in an OTA zip',
      file: 'ota.zip',
      build: () => buildZip([{ name: 'payload.bin', data: buildPayload(parts(), { breaks: { flipBlob: { part: 0, op: 1 } } }).payload }]),
      errors: [{ path: 'payload.bin', message: 'partition boot operation 1 (REPLACE_XZ)' }],
    },
  ],
});
