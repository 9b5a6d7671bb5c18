import { factRule } from '../types';

/** A partition image in the package does not match the digest of its AVB hash descriptor (FORMATS.md §5.6). */
export default factRule('integrity/avb-hash', 'A partition image does not match the digest an AVB hash descriptor gives for it', 'error', ['avb-hash']);
