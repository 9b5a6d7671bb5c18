import { factRule } from '../types';

/**
 * An A/B payload's metadata or payload signature does not verify with the
 * trusted keys (--key, or the package's otacert), is malformed, or only one
 * of the two is present (FORMATS.md §6.5).
 */
export default factRule('signature/payload-invalid', "An A/B OTA payload's metadata or payload signature is missing its pair, malformed, or does not verify with the trusted key", 'error', ['payload-signature']);
