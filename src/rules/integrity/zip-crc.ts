import { factRule } from '../types';

/** A zip member's bytes disagree with the CRC-32 in the central directory. */
export default factRule('integrity/zip-crc', 'A zip member does not match the CRC-32 recorded in the archive', 'error', ['zip-crc']);
