import { factRule } from '../types';

/**
 * A vbmeta image whose signature does not verify: its stored hash is not the
 * hash of its header and auxiliary block, the RSA signature does not verify
 * with its embedded key, or that key blob is unusable (FORMATS.md §5.4).
 */
export default factRule('signature/avb-invalid', 'An AVB vbmeta image whose hash or RSA signature does not verify', 'error', ['avb-signature']);
