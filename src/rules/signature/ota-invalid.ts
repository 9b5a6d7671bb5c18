import { factRule } from '../types';

/**
 * An OTA package's whole-file signature (signapk -w) or JAR signature does
 * not verify, is malformed, or is not made with the --key key (FORMATS.md §7.1).
 */
export default factRule('signature/ota-invalid', "An OTA package's whole-file signature or JAR signature does not verify, is malformed, or is not by the --key key", 'error', [
  'ota-signature',
  'jar-signature',
  'jar-digest',
]);
