import { factRule } from '../types';

/**
 * A vbmeta image signed with a key whose private half is public (the AOSP
 * test keys, FORMATS.md §5.9; the table is src/formats/avb-vbmeta/known-keys.ts).
 * A warning: normal for AOSP, GSI and development builds, a red flag in a
 * production package (anyone can sign an image the device will accept).
 */
export default factRule('signature/avb-test-key', 'An AVB vbmeta image signed with a public test key (AOSP testkey_rsa*)', 'warning', ['avb-test-key']);
