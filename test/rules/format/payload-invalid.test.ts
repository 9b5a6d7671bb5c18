import { ruleTester } from '../harness';
import { buildPayload, encodeManifest, payloadHeader } from '../../../fixtures/builders/payload';
import { pseudoRandom } from '../../../fixtures/builders/data';

const raw = (m: Parameters<typeof encodeManifest>[0], blobs: Buffer = Buffer.alloc(0)) => {
  const b = encodeManifest(m);
  return Buffer.concat([payloadHeader(b.length, 0), b, blobs]);
};

ruleTester('format/payload-invalid', {
  valid: [
    { name: 'a full payload the builder writes', file: 'payload.bin', build: () => buildPayload([{ name: 'boot', data: pseudoRandom(4 * 4096, 1), type: 'REPLACE_XZ' }]).payload },
    { name: 'an empty partition list', file: 'payload.bin', build: () => raw({ partitions: [] }) },
  ],
  invalid: [
    {
      name: 'a manifest size of 2^63',
      file: 'payload.bin',
      build: () => Buffer.concat([payloadHeader(1n << 63n, 0), Buffer.alloc(64)]),
      errors: [{ path: '', message: 'manifest_size 9223372036854775808' }],
    },
    {
      name: 'an operation writing past the end of its partition',
      file: 'payload.bin',
      build: () => raw({ partitions: [{ name: 'boot', newSize: 4096, newHash: Buffer.alloc(32), operations: [{ type: 6, dst: [{ start: 0, blocks: 3 }] }] }] }),
      errors: [
        { path: '', message: 'writes blocks 0-2, past the end of boot (1 blocks of 4096 bytes)' },
        { path: 'boot.img', message: 'partition boot is not rebuilt: operation 0 writes past the end of the partition' },
      ],
    },
    {
      name: 'a blob past the end of the payload, and a full payload with minor version 6',
      file: 'payload.bin',
      build: () =>
        raw({
          minorVersion: 6,
          partitions: [{ name: 'boot', newSize: 4096, newHash: Buffer.alloc(32), operations: [{ type: 0, dataOffset: 0, dataLength: 4096, dataHash: Buffer.alloc(32), dst: [{ start: 0, blocks: 1 }] }] }],
        }),
      errors: [
        { path: '', message: 'a full payload has minor version 6' },
        { path: '', message: 'runs past the end of the payload' },
        { path: 'boot.img', message: "operation 0's data is past the end of the payload" },
      ],
    },
  ],
});
