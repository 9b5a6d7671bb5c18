import { factRule } from '../types';

/** A GPT header or partition entry array whose CRC32 does not match its bytes (FORMATS.md §3.2). */
export default factRule('integrity/gpt-crc', 'A GPT header or partition entry array does not match its CRC32', 'error', ['gpt-crc']);
