import { factRule } from '../types';

/**
 * A vbmeta image whose header flags turn off dm-verity (bit 0,
 * HASHTREE_DISABLED) or verification altogether (bit 1,
 * VERIFICATION_DISABLED), as `fastboot --disable-verity
 * --disable-verification` or `avbtool --flags` set them (FORMATS.md §5.1, §5.4).
 */
export default factRule('signature/avb-verification-disabled', 'An AVB vbmeta image whose flags disable dm-verity or verification', 'warning', ['avb-flags']);
