import { factRule } from '../types';

/** A gzip member's CRC-32 or length trailer disagrees with the decompressed data. */
export default factRule('integrity/gzip-checksum', "A gzip stream's CRC-32 or length trailer does not match the decompressed data", 'error', ['gzip-checksum']);
