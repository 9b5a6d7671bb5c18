import { factRule } from '../types';

/** An OTA package without a whole-file signature, or an A/B payload without signatures. */
export default factRule('signature/ota-unsigned', 'An OTA package without a whole-file signature, or an A/B OTA payload that is not signed', 'warning', ['ota-unsigned']);
