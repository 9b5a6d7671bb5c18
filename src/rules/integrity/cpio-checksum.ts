import { factRule } from '../types';

/** A file in a cpio "crc" (070702) archive disagrees with the byte-sum checksum in its header (FORMATS.md §12.4). */
export default factRule('integrity/cpio-checksum', 'A file in a cpio 070702 archive (a ramdisk) does not match the checksum in its header', 'error', ['cpio-checksum']);
