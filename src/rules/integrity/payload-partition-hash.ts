import { factRule } from '../types';

/** A partition rebuilt from a full A/B payload does not match new_partition_info's SHA-256 (FORMATS.md §6.3). */
export default factRule('integrity/payload-partition-hash', 'A partition rebuilt from a full A/B OTA payload does not match the SHA-256 its manifest gives', 'error', ['payload-partition-hash']);
