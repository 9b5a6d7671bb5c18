import { factRule } from '../types';

/** An A/B payload operation whose blob does not match its data_sha256_hash (FORMATS.md §6.4). */
export default factRule('integrity/payload-operation-hash', "An A/B OTA payload operation's data does not match the SHA-256 its manifest gives", 'error', ['payload-operation-hash']);
