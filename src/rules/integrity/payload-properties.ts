import { factRule } from '../types';

/** payload.bin disagrees with payload_properties.txt: FILE_HASH, FILE_SIZE, METADATA_HASH, METADATA_SIZE (FORMATS.md §6.6). */
export default factRule('integrity/payload-properties', 'payload.bin does not match its payload_properties.txt (FILE_HASH, FILE_SIZE, METADATA_HASH, METADATA_SIZE)', 'error', ['payload-properties']);
