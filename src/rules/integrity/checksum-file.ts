import { factRule } from '../types';

/** A digest in a shipped or sidecar checksum file (SHA256SUMS, *.md5, ...) disagrees with the file it names. */
export default factRule('integrity/checksum-file', 'A file does not match the digest a shipped or sidecar checksum file gives for it', 'error', ['checksum-file']);
