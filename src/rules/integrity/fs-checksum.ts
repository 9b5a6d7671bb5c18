import { factRule } from '../types';

/** A file system's metadata checksum (crc32c: superblock, inode, directory block...) disagrees with its bytes. */
export default factRule('integrity/fs-checksum', "A file system's metadata checksum does not match its bytes", 'error', ['fs-checksum']);
