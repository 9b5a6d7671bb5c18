import { factRule } from '../types';

/** A sparse image's CRC32 chunk disagrees with the expanded data before it (FORMATS.md §1.4). */
export default factRule('integrity/sparse-crc', "A sparse image's CRC32 chunk does not match the expanded data before it", 'error', ['sparse-crc']);
