/**
 * Public keys romscope recognises, by the SHA-1 and SHA-256 of their AVB
 * public key blob (FORMATS.md §5.3, §5.9; the bytes `avbtool
 * extract_public_key` writes and `avbtool info_image` hashes for "Public key
 * (sha1)"). `test: true` marks a key whose private half is public: anything
 * signed with it could have been signed by anyone. Add a key by adding a row;
 * both digests are checked, so a row cannot match by one of them alone.
 */
export interface KnownKey {
  /** Short name shown in reports. */
  name: string;
  bits: number;
  sha1: string;
  sha256: string;
  /** The private key is published (AOSP test keys). */
  test: boolean;
  /** Where the key comes from. */
  source: string;
}

export const KNOWN_KEYS: readonly KnownKey[] = [
  {
    name: 'AOSP testkey_rsa2048',
    bits: 2048,
    sha1: 'cdbb77177f731920bbe0a0f94f84d9038ae0617d',
    sha256: '22de3994532196f61c039e90260d78a93a4c57362c7e789be928036e80b77c8c',
    test: true,
    source: 'external/avb/test/data/testkey_rsa2048.pem (also mkbootimg gki/testdata and tests/data)',
  },
  {
    name: 'AOSP testkey_rsa4096',
    bits: 4096,
    sha1: '2597c218aae470a130f61162feaae70afd97f011',
    sha256: '7728e30f50bfa5cea165f473175a08803f6a8346642b5aa10913e9d9e6defef6',
    test: true,
    source: 'external/avb/test/data/testkey_rsa4096.pem (the AOSP build default for vbmeta when BOARD_AVB_KEY_PATH is unset)',
  },
  {
    name: 'AOSP testkey_rsa8192',
    bits: 8192,
    sha1: '5227b569de003adc7f8ec3fc03e05dfbd969abad',
    sha256: 'e15e2365469ce672a91d02cc8d9c2f29b787481e574d3b56ac774153d7ced614',
    test: true,
    source: 'external/avb/test/data/testkey_rsa8192.pem',
  },
  {
    // Not in FORMATS.md §5.9: digests computed from the upstream PEM
    // (LineageOS/android_external_avb 8aaa369, test/data/testkey_atx_psk.pem)
    // the way avbtool extract_public_key builds the blob; the key is also in
    // test/data/atx_metadata.bin, and signs avb's own test vbmeta images.
    name: 'AOSP testkey_atx_psk',
    bits: 4096,
    sha1: '8adad1c1270df79cd3a7de181a921bcab313df20',
    sha256: '7ec02ee1be696366f3fa91240a8ec68125c4145d698f597aa2b3464b59ca7fc3',
    test: true,
    source: 'external/avb/test/data/testkey_atx_psk.pem (Android Things product signing test key)',
  },
  {
    name: 'AOSP GKI testkey_rsa2048',
    bits: 2048,
    sha1: '0067a13568ab352512498699718edcb7739547d4',
    sha256: '002fe7ff2d694978ae72584a516912132e7c257202119c791d83e350c5c2f87d',
    test: true,
    source: 'build/make/target/product/gsi/testkey_rsa2048.pem (GKI boot signatures, GSI system images)',
  },
];

export function findKnownKey(sha1: string, sha256: string): KnownKey | undefined {
  return KNOWN_KEYS.find((k) => k.sha1 === sha1 && k.sha256 === sha256);
}
