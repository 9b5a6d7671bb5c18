/**
 * Public test keys and certificates: anyone can sign with them, so a package
 * signed with one proves nothing about who built it (FORMATS.md §7.2). This
 * is the one place romscope keeps them; fingerprints only, never key files.
 *
 * - `certSha256` / `certSha1`: fingerprint of the X.509 certificate (DER), as
 *   `openssl x509 -fingerprint` prints it, lower-case hex without colons.
 * - `spkiSha256`: SHA-256 of the DER SubjectPublicKeyInfo, which also names a
 *   bare public key (an A/B payload is signed with a key, not a certificate).
 */
export interface KnownKey {
  /** What to call it in a finding. */
  name: string;
  /** Where it is published. */
  source: string;
  certSha256?: string;
  certSha1?: string;
  spkiSha256?: string;
}

export const KNOWN_TEST_KEYS: readonly KnownKey[] = [
  {
    name: 'AOSP test key (testkey)',
    source: 'build/make/target/product/security/testkey.x509.pem',
    certSha256: 'a40da80a59d170caa950cf15c18c454d47a39b26989d8b640ecd745ba71bf5dc',
    certSha1: '61ed377e85d386a8dfee6b864bd85b0bfaa5af81',
    spkiSha256: 'ef57b690165cb561b5026922c00d2d6574e8b184fa7d161e076f06e06e6d35db',
  },
  { name: 'AOSP platform test key', source: 'build/make/target/product/security/platform.x509.pem', certSha1: '27196e386b875e76adf700e7ea84e4c6eee33dfa' },
  { name: 'AOSP shared test key', source: 'build/make/target/product/security/shared.x509.pem', certSha1: '5b368cff2da2686996bc95eac190eaa4f5630fe5' },
  { name: 'AOSP media test key', source: 'build/make/target/product/security/media.x509.pem', certSha1: 'b79df4a82e90b57ea76525ab7037ab238a42f5d3' },
  { name: 'AOSP networkstack test key', source: 'build/make/target/product/security/networkstack.x509.pem', certSha1: '7c8bdabd21f953a1b18ccbe7b91393d9fdf94830' },
  { name: 'update_engine unit-test key', source: 'system/update_engine/unittest_key.pem', spkiSha256: '9513253dc8b6b793051a9a997ed09ffd23d9f3ad0b27610fd2356abfd07103c7' },
  { name: 'update_engine payload test key', source: 'system/update_engine/scripts/update_payload/payload-test-key.pem', spkiSha256: '0e50c83d4e84617cd7ada6be59892c5d430b6d3d81a565fff564cb91a5ba2273' },
  { name: 'update_engine brillo payload key', source: 'system/update_engine/update_payload_key/brillo-update-payload-key.pub.pem', spkiSha256: '49d7df2ab47c7f4f99838be097728905bac50540afa2db3d970050a14f748719' },
];

/** The known test key a certificate or public key is, if any. */
export function knownTestKey(id: { certSha256?: string; certSha1?: string; spkiSha256?: string }): KnownKey | undefined {
  return KNOWN_TEST_KEYS.find(
    (k) => (k.certSha256 !== undefined && k.certSha256 === id.certSha256) || (k.certSha1 !== undefined && k.certSha1 === id.certSha1) || (k.spkiSha256 !== undefined && k.spkiSha256 === id.spkiSha256),
  );
}
