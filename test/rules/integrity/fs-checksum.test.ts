import { ruleTester } from '../harness';
import { mke2fs, type TreeEntry } from '../../../fixtures/builders/ext4';
import { hasTool } from '../../helpers';

const tree: Record<string, TreeEntry> = { 'build.prop': { type: 'file', data: 'ro.product.device=x\n' }, 'etc/hosts': { type: 'file', data: '127.0.0.1 localhost\n' } };
const image = (csum: boolean) => mke2fs(tree, ['-t', 'ext4', '-b', '4096', '-O', csum ? 'metadata_csum' : '^metadata_csum'], 1024);
const skip = () => (hasTool('mke2fs') ? false : 'mke2fs (e2fsprogs) not installed');

/** An image with one byte flipped where `find` says. */
const damaged = (find: (img: Buffer) => number) => () => {
  const b = image(true);
  b[find(b)] ^= 0x20;
  return b;
};

ruleTester('integrity/fs-checksum', {
  valid: [
    { name: 'an ext4 image with metadata_csum, as mke2fs writes it', file: 'system.img', build: () => image(true), skip },
    { name: 'an ext4 image without checksums', file: 'vendor.img', build: () => image(false), skip },
  ],
  invalid: [
    { name: 'the superblock label changed', file: 'system.img', build: damaged(() => 1024 + 0x78), skip, errors: [{ path: '', message: 'superblock crc32c' }] },
    {
      name: 'a name in the root directory changed',
      file: 'system.img',
      build: damaged((b) => b.indexOf('build.prop', 8192)),
      skip,
      errors: [{ path: '', message: 'crc32c' }],
    },
  ],
});
