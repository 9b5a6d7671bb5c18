import { ruleTester } from '../harness';
import { mke2fs, type TreeEntry } from '../../../fixtures/builders/ext4';
import { hasTool } from '../../helpers';

const tree: Record<string, TreeEntry> = { 'build.prop': { type: 'file', data: 'ro.product.device=x\n' }, 'etc/hosts': { type: 'file', data: '127.0.0.1 localhost\n' } };
const image = () => mke2fs(tree, ['-t', 'ext4', '-b', '1024', '-O', '^metadata_csum'], 1024);
const skip = () => (hasTool('mke2fs') ? false : 'mke2fs (e2fsprogs) not installed');

ruleTester('format/fs-invalid', {
  valid: [{ name: 'an ext4 image as mke2fs writes it', file: 'system.img', build: image, skip }],
  invalid: [
    {
      name: "a directory entry's rec_len that breaks the chain",
      file: 'system.img',
      build: () => {
        const b = image();
        // The entry of build.prop in the root directory: its rec_len is 4 bytes before its name.
        const name = b.indexOf('build.prop', 4096);
        b.writeUInt16LE(7, name - 4);
        return b;
      },
      skip,
      errors: [{ path: '', message: 'rec_len 7' }],
    },
    {
      name: 'a superblock whose inode count lies',
      file: 'system.img',
      build: () => {
        const b = image();
        b.writeUInt32LE(b.readUInt32LE(1024) + 8, 1024);
        return b;
      },
      skip,
      errors: [{ path: '', message: 's_inodes_count' }],
    },
  ],
});
