import { ruleTester } from '../harness';
import { buildSparse, type SparseChunk } from '../../../fixtures/builders/sparse';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const BS = 4096;
const data = pseudoRandom(3 * BS, 41);
const more = pseudoRandom(2 * BS, 42);

/** RAW, FILL and DONT_CARE before the CRC, so all three count towards it. */
const body: SparseChunk[] = [
  { type: 'raw', data },
  { type: 'fill', pattern: 0x11223344, blocks: 2 },
  { type: 'dontcare', blocks: 3 },
  { type: 'raw', data: more },
];

/** File offset of the first RAW chunk's data: 28-byte file header, 12-byte chunk header. */
const FIRST_RAW_DATA = 28 + 12;

ruleTester('integrity/sparse-crc', {
  valid: [
    { name: 'correct trailing CRC32 chunk', file: 'ok.img', build: () => buildSparse([...body, { type: 'crc32' }]) },
    {
      name: 'correct CRC32 chunk in the middle (covers only the blocks before it)',
      file: 'mid.img',
      build: () => buildSparse([body[0], body[1], { type: 'crc32' }, body[2], body[3]]),
    },
    {
      name: 'two correct CRC32 chunks, 32-byte file and 16-byte chunk headers',
      file: 'two.img',
      build: () => buildSparse([body[0], { type: 'crc32' }, ...body.slice(1), { type: 'crc32' }], { fileHeaderSize: 32, chunkHeaderSize: 16 }),
    },
    { name: 'no CRC32 chunk at all (nothing to check)', file: 'plain.img', build: () => buildSparse(body) },
  ],
  invalid: [
    {
      name: 'wrong value in the trailing CRC32 chunk',
      file: 'x.img',
      build: () => buildSparse([...body, { type: 'crc32', crc: 0xdeadbeef }]),
      // On the expanded image (the root's child "raw"), not on the sparse file.
      errors: [{ path: 'raw', message: 'deadbeef' }],
    },
    {
      name: 'a flipped byte inside a RAW chunk of an image with a correct CRC32 chunk',
      file: 'x.img',
      build: () => {
        const b = buildSparse([...body, { type: 'crc32' }]);
        b[FIRST_RAW_DATA + 1000] ^= 0x40;
        return b;
      },
      errors: [{ path: 'raw', message: 'CRC32 chunk at offset' }],
    },
    {
      name: "wrong CRC32 value in a sparse image inside a zip: on the member's raw child",
      file: 'pkg.zip',
      build: () => buildZip([{ name: 'x.img', data: buildSparse([...body, { type: 'crc32', crc: 0x12345678 }]), method: 'deflate' }]),
      errors: [{ path: 'x.img/raw', message: '12345678' }],
    },
    {
      name: 'a flipped byte before a CRC32 chunk in the middle; the later data is fine',
      file: 'y.img',
      build: () => {
        const b = buildSparse([body[0], { type: 'crc32' }, ...body.slice(1)]);
        b[FIRST_RAW_DATA + 5] ^= 0x01;
        return b;
      },
      errors: [{ path: 'raw', message: `bytes 0-${3 * BS}` }],
    },
  ],
});
