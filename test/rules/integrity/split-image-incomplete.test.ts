import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildSparse } from '../../../fixtures/builders/sparse';
import { pseudoRandom } from '../../../fixtures/builders/data';

const BS = 4096;
const TOTAL = 12;
/** Piece n of a 3-way split of a 12-block image: blocks 4n..4n+3 are data, the rest DONT_CARE (as libsparse resparses). */
const piece = (n: number, total = TOTAL) =>
  buildSparse(
    [
      ...(n > 0 ? [{ type: 'dontcare' as const, blocks: 4 * n }] : []),
      { type: 'raw' as const, data: pseudoRandom(4 * BS, 100 + n) },
      ...(total - 4 * (n + 1) > 0 ? [{ type: 'dontcare' as const, blocks: total - 4 * (n + 1) }] : []),
    ],
    { totalBlocks: total },
  );
const pkg = (pieces: [string, Buffer][]) => buildZip(pieces.map(([name, data]) => ({ name, data })));

ruleTester('integrity/split-image-incomplete', {
  valid: [
    { name: 'three sparsechunk pieces', file: 'moto.zip', build: () => pkg([0, 1, 2].map((n) => [`super.img_sparsechunk.${n}`, piece(n)])) },
    { name: 'numbered super.N.img pieces', file: 'x.zip', build: () => pkg([0, 1, 2].map((n) => [`super.${n}.img`, piece(n)])) },
    {
      name: 'numbered files that are not sparse are left alone',
      file: 'y.zip',
      build: () =>
        pkg([
          ['lib.so.1', Buffer.from('a')],
          ['lib.so.3', Buffer.from('b')],
        ]),
    },
  ],
  invalid: [
    {
      name: 'a missing middle piece',
      file: 'moto.zip',
      build: () => pkg([0, 2].map((n) => [`system.img_sparsechunk.${n}`, piece(n)])),
      errors: [{ path: 'system.img', message: 'piece number 1 is missing' }],
    },
    {
      name: 'a missing first piece',
      file: 'moto.zip',
      build: () => pkg([2, 3].map((n) => [`system.img_sparsechunk.${n}`, piece(n - 1)])),
      errors: [{ path: 'system.img', message: 'start at number 2' }],
    },
    {
      name: 'a piece from another image (different size)',
      file: 'moto.zip',
      build: () =>
        pkg([
          ['super.img_sparsechunk.0', piece(0)],
          ['super.img_sparsechunk.1', piece(1, 16)],
        ]),
      errors: [{ path: 'super.img', message: 'not one image' }],
    },
    {
      name: 'the same data in two pieces (a duplicated piece)',
      file: 'moto.zip',
      build: () =>
        pkg([
          ['super.img_sparsechunk.0', piece(0)],
          ['super.img_sparsechunk.1', piece(0)],
        ]),
      errors: [
        { path: 'super.img', message: 'both write block 0' },
        { path: 'super.img', message: 'overlapping' },
      ],
    },
  ],
});
