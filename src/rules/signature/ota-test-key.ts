import { factRule } from '../types';

/**
 * An OTA package or payload signed with a public test key (the AOSP testkey,
 * update_engine's test keys; src/crypto/known-keys.ts): anyone can sign a
 * package a device with these keys accepts.
 */
export default factRule('signature/ota-test-key', 'An OTA package or A/B payload signed with a public test key (AOSP testkey, update_engine test keys)', 'warning', ['ota-test-key']);
