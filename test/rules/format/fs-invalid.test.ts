import { ruleTester } from '../harness';
import { buildErofs } from '../../../fixtures/builders/erofs';
import { buildProp } from '../../../fixtures/builders/rom';

const FILES = [{ name: 'build.prop', data: buildProp({ 'ro.product.device': 'x' }) }];

function damaged(f: (b: Buffer, fx: ReturnType<typeof buildErofs>) => void): Buffer {
  const fx = buildErofs(FILES, { checksum: false });
  f(fx.image, fx);
  return fx.image;
}

ruleTester('format/fs-invalid', {
  valid: [{ name: 'a consistent EROFS image', file: 'system.img', build: () => buildErofs(FILES).image }],
  invalid: [
    {
      name: 'a root inode with a data layout EROFS does not define',
      file: 'system.img',
      build: () => damaged((b, fx) => b.writeUInt16LE(7 << 1, fx.rootInode)),
      errors: [{ path: '', message: 'has data layout 7, which EROFS does not define' }],
    },
    {
      name: 'a directory entry whose name offset is not a multiple of 12',
      file: 'system.img',
      build: () => damaged((b, fx) => b.writeUInt16LE(37, fx.rootInode + 32 + 8)),
      errors: [{ path: '', message: 'is not a multiple of 12' }],
    },
    {
      name: 'a file whose inline data crosses its block (a lying size): on the file',
      file: 'system.img',
      build: () => damaged((b, fx) => b.writeUInt32LE(4000, fx.inodes['build.prop'] + 8)),
      errors: [{ path: '', message: 'crosses a block boundary' }],
    },
  ],
});
