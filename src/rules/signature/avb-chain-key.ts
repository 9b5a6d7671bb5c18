import { factRule } from '../types';

/**
 * A chain partition descriptor names a public key; the vbmeta of that
 * partition in the package (vbmeta_system.img, the footer of boot.img...) is
 * signed with another key, not signed, or missing (FORMATS.md §5.4 step 7).
 */
export default factRule('signature/avb-chain-key', 'A chained AVB image (vbmeta_system, a boot footer...) is not signed with the key its chain descriptor names', 'error', ['avb-chain-key']);
