import { ruleTester } from '../harness';
import { buildSparse, type SparseChunk, type SparseOptions } from '../../../fixtures/builders/sparse';
import { pseudoRandom } from '../../../fixtures/builders/data';

const BS = 4096;
const data = pseudoRandom(2 * BS, 51);

const good: SparseChunk[] = [
  { type: 'raw', data },
  { type: 'fill', pattern: 0xcafef00d, blocks: 4 },
  { type: 'dontcare', blocks: 10 },
  { type: 'raw', data: data.subarray(0, BS) },
];

const sparse =
  (chunks: SparseChunk[] = good, o: SparseOptions = {}) =>
  () =>
    buildSparse(chunks, o);

/** A good image with one header field overwritten (for values the builder cannot lay out itself). */
const patched = (offset: number, width: 2 | 4, value: number) => () => {
  const b = buildSparse(good);
  if (width === 2) b.writeUInt16LE(value, offset);
  else b.writeUInt32LE(value, offset);
  return b;
};

/** The good chunks with one broken chunk after the first. */
const withChunk = (c: SparseChunk) => sparse([good[0], c, ...good.slice(1)]);

ruleTester('format/sparse-invalid', {
  valid: [
    { name: 'RAW, FILL and DONT_CARE chunks', file: 'ok.img', build: sparse() },
    { name: 'with a trailing CRC32 chunk', file: 'crc.img', build: sparse([...good, { type: 'crc32' }]) },
    { name: '32-byte file header and 16-byte chunk headers', file: 'ext.img', build: sparse([...good, { type: 'crc32' }], { fileHeaderSize: 32, chunkHeaderSize: 16 }) },
    {
      name: '1024-byte blocks',
      file: 'bs1k.img',
      build: sparse(
        [
          { type: 'raw', data: data.subarray(0, 3072) },
          { type: 'dontcare', blocks: 7 },
        ],
        { blockSize: 1024 },
      ),
    },
    { name: 'one DONT_CARE chunk for the whole image', file: 'hole.img', build: sparse([{ type: 'dontcare', blocks: 256 }]) },
    { name: 'a higher minor version is accepted', file: 'minor.img', build: patched(6, 2, 3) },
  ],
  invalid: [
    { name: 'major version 2', file: 'v2.img', build: sparse(good, { majorVersion: 2 }), errors: [{ path: '', message: 'major version 2' }] },
    { name: 'file header size 20', file: 'fh.img', build: patched(8, 2, 20), errors: [{ path: '', message: 'file header size 20' }] },
    { name: 'chunk header size 8', file: 'ch.img', build: patched(10, 2, 8), errors: [{ path: '', message: 'chunk header size 8' }] },
    { name: 'block size 0', file: 'bs0.img', build: patched(12, 4, 0), errors: [{ path: '', message: 'block size 0' }] },
    { name: 'block size 1026 (not a multiple of 4)', file: 'bs1026.img', build: patched(12, 4, 1026), errors: [{ path: '', message: 'block size 1026' }] },
    { name: 'total_blks 0', file: 'nob.img', build: sparse(good, { totalBlocks: 0 }), errors: [{ path: '', message: 'total block count is 0' }] },
    {
      name: 'RAW chunk whose payload disagrees with chunk_sz',
      file: 'raw.img',
      build: withChunk({ type: 'custom', chunkType: 0xcac1, blocks: 2, payload: data.subarray(0, BS) }),
      errors: [{ path: '', message: 'RAW chunk 1' }],
    },
    {
      name: 'FILL chunk with an 8-byte payload',
      file: 'fill.img',
      build: withChunk({ type: 'custom', chunkType: 0xcac2, blocks: 1, payload: Buffer.alloc(8, 0xaa) }),
      errors: [{ path: '', message: '8-byte payload (needs 4)' }],
    },
    {
      name: 'DONT_CARE chunk with a payload',
      file: 'dc.img',
      build: withChunk({ type: 'custom', chunkType: 0xcac3, blocks: 1, payload: Buffer.alloc(4) }),
      errors: [{ path: '', message: 'DONT_CARE chunk 1' }],
    },
    {
      name: 'CRC32 chunk with an 8-byte payload',
      file: 'crc8.img',
      build: withChunk({ type: 'custom', chunkType: 0xcac4, blocks: 0, payload: Buffer.alloc(8) }),
      errors: [{ path: '', message: 'CRC32 chunk 1' }],
    },
    {
      name: 'unknown chunk type 0xcac9',
      file: 'unk.img',
      build: withChunk({ type: 'custom', chunkType: 0xcac9, blocks: 1, payload: Buffer.alloc(4) }),
      errors: [{ path: '', message: 'unknown type 0xcac9' }],
    },
    {
      name: 'chunks cover more blocks than total_blks',
      file: 'more.img',
      build: sparse(good, { totalBlocks: 10 }),
      // The FILL chunk (blocks 2..5) fits, the DONT_CARE after it does not.
      errors: [{ path: '', message: 'past the image' }],
    },
    { name: 'chunks cover fewer blocks than total_blks', file: 'fewer.img', build: sparse(good, { totalBlocks: 100 }), errors: [{ path: '', message: 'the header declares 100' }] },
    {
      name: 'total_sz smaller than the chunk header',
      file: 'tiny.img',
      build: withChunk({ type: 'custom', chunkType: 0xcac3, blocks: 1, totalSize: 8, payload: Buffer.alloc(0) }),
      errors: [{ path: '', message: 'less than its own header' }],
    },
  ],
});
