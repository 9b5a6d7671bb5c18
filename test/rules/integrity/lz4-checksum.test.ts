import { ruleTester } from '../harness';
import { buildLz4Frame } from '../../../fixtures/builders/lz4';
import { compressible } from '../../../fixtures/builders/data';

const data = compressible(300000, 11);
const all = { blockChecksums: true, contentChecksum: true, contentSize: true } as const;

async function tampered(at: (b: Buffer) => number): Promise<Buffer> {
  const b = await buildLz4Frame(data, all);
  b[at(b)] ^= 0x01;
  return b;
}

ruleTester('integrity/lz4-checksum', {
  valid: [
    { name: 'frame with every checksum', file: 'ok.img.lz4', build: () => buildLz4Frame(data, all) },
    { name: 'frame with no checksums', file: 'plain.img.lz4', build: () => buildLz4Frame(data) },
  ],
  invalid: [
    { name: 'wrong content checksum', file: 'c.img.lz4', build: () => tampered((b) => b.length - 1), errors: [{ path: '', message: 'content checksum' }] },
    { name: 'wrong header checksum', file: 'h.img.lz4', build: () => tampered(() => 14), errors: [{ path: '', message: 'header checksum' }] },
    {
      name: 'wrong block checksum',
      file: 'b.img.lz4',
      build: async () => {
        const b = await buildLz4Frame(data, all);
        const len = b.readUInt32LE(15) & 0x7fffffff;
        b[19 + len] ^= 0xff; // first byte of the first block's checksum
        return b;
      },
      errors: [{ path: '', message: 'block at offset 15' }],
    },
    {
      name: 'declared content size disagrees',
      file: 's.img.lz4',
      build: async () => {
        const b = await buildLz4Frame(data, { contentSize: true });
        b.writeUInt32LE(data.length + 1, 6);
        b[14] = 0; // header checksum is fixed below
        const xx = await (await import('xxhash-wasm')).default();
        b[14] = (xx.h32Raw(b.subarray(4, 14), 0) >>> 8) & 0xff;
        return b;
      },
      errors: [{ path: '', message: 'declares' }],
    },
  ],
});
