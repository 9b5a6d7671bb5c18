import { factRule } from '../types';

/** An xz stream fails the decoder's verification: a block check (CRC32, CRC64, SHA-256), a header or index CRC32, or its LZMA2 data. */
export default factRule('integrity/xz-checksum', 'An xz stream fails its own integrity checks (block check, header or index CRC32) or its data does not decode', 'error', ['xz-checksum']);
