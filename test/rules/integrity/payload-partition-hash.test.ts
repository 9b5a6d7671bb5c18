import { ruleTester } from '../harness';
import { buildPayload } from '../../../fixtures/builders/payload';
import { pseudoRandom } from '../../../fixtures/builders/data';

const data = pseudoRandom(8 * 4096, 3);

ruleTester('integrity/payload-partition-hash', {
  valid: [
    { name: 'the rebuilt partition matches new_partition_info', file: 'payload.bin', build: () => buildPayload([{ name: 'vendor', data, type: 'REPLACE_XZ', chunkBlocks: 3 }]).payload },
    {
      name: 'zero blocks written by ZERO and DISCARD',
      file: 'payload.bin',
      build: () =>
        buildPayload([
          {
            name: 'cache',
            data: Buffer.concat([data.subarray(0, 4096), Buffer.alloc(3 * 4096)]),
            ops: [
              { type: 'REPLACE', dst: [{ start: 0, blocks: 1 }] },
              { type: 'ZERO', dst: [{ start: 1, blocks: 1 }] },
              { type: 'DISCARD', dst: [{ start: 2, blocks: 2 }] },
            ],
          },
        ]).payload,
    },
  ],
  invalid: [
    {
      name: "new_partition_info has another image's hash",
      file: 'payload.bin',
      build: () => buildPayload([{ name: 'vendor', data, type: 'REPLACE_ZSTD' }], { breaks: { wrongPartitionHash: 0 } }).payload,
      errors: [{ path: 'vendor.img', message: 'the payload manifest (new_partition_info)' }],
    },
    {
      name: 'blocks no operation writes (read as zeros) where the image has data',
      file: 'payload.bin',
      build: () => buildPayload([{ name: 'odm', data, ops: [{ type: 'REPLACE', dst: [{ start: 0, blocks: 6 }] }] }]).payload,
      errors: [{ path: 'odm.img', message: /sha256 is [0-9a-f]{64}, the payload manifest/ }],
    },
  ],
});
