import { factRule } from '../types';

/** A file system's metadata checksum (crc32c: ext4 metadata_csum) disagrees with the structure it covers. */
export default factRule('integrity/fs-checksum', "A file system's metadata checksum (crc32c) does not match the structure it covers", 'error', ['fs-checksum']);
