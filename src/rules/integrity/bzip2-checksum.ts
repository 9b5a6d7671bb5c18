import { factRule } from '../types';

/** A bzip2 block CRC or a stream's combined CRC disagrees with the decompressed data. */
export default factRule('integrity/bzip2-checksum', 'A bzip2 block CRC or stream CRC does not match the decompressed data', 'error', ['bzip2-checksum']);
