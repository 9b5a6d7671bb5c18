import { factRule } from '../types';

/** A Zstandard frame's content checksum or declared content size disagrees with its decoded data. */
export default factRule('integrity/zstd-checksum', "A Zstandard frame's content checksum or content size does not match the decompressed data", 'error', ['zstd-checksum']);
