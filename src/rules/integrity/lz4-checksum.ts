import { factRule } from '../types';

/** An LZ4 header, block or content checksum (xxh32) or declared content size disagrees. */
export default factRule('integrity/lz4-checksum', 'An LZ4 frame header, block or content checksum, or its declared size, does not match the data', 'error', ['lz4-checksum']);
