/**
 * Every fact kind, declared once (docs/facts.md#kinds documents each one; a
 * test checks that the doc and this table agree). The lists that used to be
 * written out by hand (the kinds `summary.integrity` counts, the kinds
 * `romscope extract` refuses, the kinds `summary.signature` reads) are
 * derived from this table by `src/facts/index.ts`.
 */

/**
 * What a fact of this kind is:
 *
 * - `integrity-passed`: an integrity check that passed; `summary.integrity` counts it as a check.
 * - `integrity-failure`: an integrity check that failed, or bytes that are missing although no
 *   checksum compared them; `summary.integrity` counts it as a check and as a failure.
 * - `check`: another check, or its result, that `summary.integrity` does not count.
 * - `signature`: a signature, a signing key or a signed digest, and what became of its verification.
 * - `declaration`: what a package says about the device it is for or the build it installs.
 * - `layout`: the entries of a partition table or flash layout (not a problem in itself).
 * - `malformed`: a structure that breaks the rules of its format.
 * - `limit`: romscope stopped, or could not check, because of a limit of its own or a feature it lacks.
 * - `note`: how a decoder proceeded (not a problem in itself).
 */
export type FactCategory = 'integrity-passed' | 'integrity-failure' | 'check' | 'signature' | 'declaration' | 'layout' | 'malformed' | 'limit' | 'note';

export const FACT_CATEGORIES: readonly FactCategory[] = ['integrity-passed', 'integrity-failure', 'check', 'signature', 'declaration', 'layout', 'malformed', 'limit', 'note'];

/** How `summary.signature` reads a kind: for which scheme (`src/formats/avb-vbmeta/summary.ts`, `src/pipeline/ota-summary.ts`) and as what. */
export interface SignatureRole {
  readonly scheme: 'avb' | 'ota' | 'qcom' | 'sony';
  readonly status: 'failed' | 'verified' | 'unsigned' | 'unverifiable';
  /** For a verified kind: what was verified, as the summary's reason names it. */
  readonly what?: string;
}

export interface FactKindSpec {
  readonly category: FactCategory;
  /** One line: what a fact of this kind says. */
  readonly description: string;
  /** The ids of the rules that report it (empty: no rule does; a summary may still read it). */
  readonly rules: readonly string[];
  /**
   * The bytes of the artifact carrying it are not what the package promises
   * (missing, cut short, undecodable, over a limit, or not matching a digest
   * the package gives): `romscope extract` refuses to keep such bytes.
   */
  readonly badBytes?: true;
  readonly signature?: SignatureRole;
}

export const FACT_KINDS = {
  'zip-crc': { category: 'integrity-failure', description: 'a zip member does not match the CRC-32 of the central directory', rules: ['integrity/zip-crc'], badBytes: true },
  'zip-crc-ok': { category: 'integrity-passed', description: 'a zip member matches its CRC-32', rules: [] },
  'checksum-file': { category: 'integrity-failure', description: 'a file does not match the digest a shipped or sidecar checksum file gives for it', rules: ['integrity/checksum-file'] },
  'checksum-file-ok': { category: 'integrity-passed', description: 'a file matches the digest a checksum file gives for it', rules: [] },
  'checksum-missing': { category: 'check', description: 'a checksum file names a file that is not among its siblings', rules: ['integrity/listed-file-missing'] },
  'tar-md5': { category: 'integrity-failure', description: "a Samsung .tar.md5 archive's trailing md5 line is missing or disagrees", rules: ['integrity/tar-md5'] },
  'tar-md5-ok': { category: 'integrity-passed', description: 'a .tar.md5 archive matches its trailing md5 line', rules: [] },
  'lz4-checksum': { category: 'integrity-failure', description: 'an LZ4 frame checksum or declared content size disagrees', rules: ['integrity/lz4-checksum'], badBytes: true },
  'lz4-checksum-ok': { category: 'integrity-passed', description: "an LZ4 frame's content checksum matches", rules: [] },
  'gzip-checksum': { category: 'integrity-failure', description: "a gzip member's CRC-32 or length trailer disagrees", rules: ['integrity/gzip-checksum'], badBytes: true },
  'gzip-checksum-ok': { category: 'integrity-passed', description: 'a whole gzip stream decoded and every trailer matched', rules: [] },
  'xz-checksum': {
    category: 'integrity-failure',
    description: "an xz stream fails liblzma's (or xz-embedded's) verification: a block check, a header or index CRC32, or the compressed data itself",
    rules: ['integrity/xz-checksum'],
    badBytes: true,
  },
  'xz-checksum-ok': { category: 'integrity-passed', description: 'a whole xz file decoded and every header, index and block check matched', rules: [] },
  'zstd-checksum': { category: 'integrity-failure', description: "a zstd frame's content checksum or declared content size disagrees, or its blocks break the format", rules: ['integrity/zstd-checksum'], badBytes: true },
  'zstd-checksum-ok': { category: 'integrity-passed', description: 'a whole zstd file decoded and every frame matched its content checksum and size', rules: [] },
  'bzip2-checksum': { category: 'integrity-failure', description: "a bzip2 block CRC or a stream's combined CRC disagrees, or its blocks break the format", rules: ['integrity/bzip2-checksum'], badBytes: true },
  'bzip2-checksum-ok': { category: 'integrity-passed', description: 'a whole bzip2 file decoded and every block and stream CRC matched', rules: [] },
  'cpio-checksum': { category: 'integrity-failure', description: 'a file of a cpio 070702 archive disagrees with the checksum in its header', rules: ['integrity/cpio-checksum'], badBytes: true },
  'cpio-checksum-ok': { category: 'integrity-passed', description: 'every 070702 file of a cpio archive matched its checksum', rules: [] },
  'sparse-crc': { category: 'integrity-failure', description: "a sparse image's CRC32 chunk disagrees with the expanded data before it", rules: ['integrity/sparse-crc'], badBytes: true },
  'sparse-crc-ok': { category: 'integrity-passed', description: "a sparse image's CRC32 chunk matches", rules: [] },
  'lp-checksum': { category: 'integrity-failure', description: 'a dynamic-partitions geometry or metadata copy fails its SHA-256', rules: ['integrity/lp-checksum'], badBytes: true },
  'lp-checksum-ok': { category: 'integrity-passed', description: 'a dynamic-partitions geometry or metadata copy matches its SHA-256', rules: [] },
  'fs-checksum': { category: 'integrity-failure', description: "a file system's metadata checksum (crc32c) disagrees", rules: ['integrity/fs-checksum'] },
  'fs-checksum-ok': { category: 'integrity-passed', description: "a file system's metadata checksums (crc32c) that were read all match", rules: [] },
  'fs-invalid': { category: 'malformed', description: 'a file system structure is inconsistent (a block past the end, a loop, a bad count)', rules: ['format/fs-invalid'] },
  'sparse-invalid': { category: 'malformed', description: 'a sparse image header or chunk breaks the format', rules: ['format/sparse-invalid'] },
  'image-checksum': {
    category: 'integrity-failure',
    description: "a vendor image's own checksum (a Rockchip CRC, an Amlogic resource CRC-32, a Unisoc DHTB payload SHA-256, a Sony SIN v3 hash block) disagrees with its bytes",
    rules: ['integrity/image-checksum'],
    badBytes: true,
  },
  'image-checksum-ok': { category: 'integrity-passed', description: "a vendor image's own checksum matches its bytes", rules: [] },
  'gpt-crc': { category: 'integrity-failure', description: 'a GPT header or partition entry array disagrees with its CRC-32', rules: ['integrity/gpt-crc'] },
  'gpt-crc-ok': { category: 'integrity-passed', description: 'a GPT header or partition entry array matches its CRC-32', rules: [] },
  'gpt-template': { category: 'note', description: 'a GPT table file is a template the flash tool completes (zero CRC fields, disk-size fields and grow-to-end partitions filled in on the device)', rules: [] },
  'gpt-primary-bad': { category: 'note', description: 'the partitions were read from the backup GPT because the primary is not usable', rules: [] },
  'split-incomplete': { category: 'integrity-failure', description: 'the pieces of a split sparse image are missing, repeated or do not fit together', rules: ['integrity/split-image-incomplete'], badBytes: true },
  'blockota-short-data': { category: 'integrity-failure', description: "a block OTA's new.dat or patch.dat is missing or shorter than its transfer list needs", rules: ['integrity/blockota-short-data'], badBytes: true },
  'blockota-range': { category: 'malformed', description: 'a block OTA transfer list writes a block twice or past its partition', rules: ['layout/blockota-range'] },
  'layout-invalid': { category: 'malformed', description: 'a partition table or flash layout breaks the rules of its format', rules: ['format/layout-invalid'] },
  layout: { category: 'layout', description: 'the entries of a partition table or flash layout', rules: ['layout/overlap', 'layout/image-too-large', 'layout/missing-image'] },
  'layout-overlap': { category: 'malformed', description: 'partitions of one table overlap, or lie outside its usable space', rules: ['layout/overlap'] },
  'duplicate-entry': { category: 'malformed', description: 'an archive member has the name of an earlier member', rules: ['format/duplicate-entry'] },
  'boot-invalid': { category: 'malformed', description: 'a boot or vendor_boot header breaks the layout', rules: ['format/boot-invalid'] },
  'boot-id': { category: 'check', description: "a v0-v2 boot image's id is not the SHA-1 of its sections", rules: ['integrity/boot-id'] },
  'boot-id-ok': { category: 'check', description: "a v0-v2 boot image's id is the SHA-1 of its sections", rules: [] },
  'avb-invalid': { category: 'malformed', description: 'a vbmeta header or descriptor breaks a libavb check', rules: ['format/avb-invalid'] },
  'avb-signature': {
    category: 'signature',
    description: "a vbmeta's hash or RSA signature does not verify, or its key blob is unusable",
    rules: ['signature/avb-invalid'],
    signature: { scheme: 'avb', status: 'failed' },
  },
  'avb-signature-ok': { category: 'signature', description: "a vbmeta's hash and signature verify", rules: [] },
  'avb-unsigned': { category: 'signature', description: 'a vbmeta uses algorithm NONE', rules: ['signature/avb-unsigned'] },
  'avb-test-key': { category: 'signature', description: 'a vbmeta is signed with a public test key', rules: ['signature/avb-test-key'] },
  'avb-flags': { category: 'signature', description: 'vbmeta flags disable dm-verity or verification', rules: ['signature/avb-verification-disabled'] },
  'avb-chain-key': {
    category: 'signature',
    description: 'a chained vbmeta is signed with another key than its chain descriptor names, or not at all',
    rules: ['signature/avb-chain-key'],
    signature: { scheme: 'avb', status: 'failed' },
  },
  'avb-chain-key-ok': { category: 'signature', description: 'a chained vbmeta is signed with the key its chain descriptor names', rules: [] },
  'avb-hash': { category: 'integrity-failure', description: 'an image does not match the digest of its AVB hash descriptor', rules: ['integrity/avb-hash'], signature: { scheme: 'avb', status: 'failed' } },
  'avb-hash-ok': { category: 'integrity-passed', description: 'an image matches the digest of its AVB hash descriptor', rules: [], signature: { scheme: 'avb', status: 'verified', what: 'image digest' } },
  'avb-hashtree': {
    category: 'integrity-failure',
    description: 'an image does not match the root digest of its AVB hashtree descriptor',
    rules: ['integrity/avb-hashtree'],
    signature: { scheme: 'avb', status: 'failed' },
  },
  'avb-hashtree-ok': { category: 'integrity-passed', description: 'an image matches the root digest of its AVB hashtree descriptor', rules: [], signature: { scheme: 'avb', status: 'verified', what: 'image digest' } },
  'payload-invalid': { category: 'malformed', description: "an A/B payload's header or manifest breaks update_engine's rules", rules: ['format/payload-invalid'] },
  'payload-operation-hash': { category: 'integrity-failure', description: "a payload operation's blob does not match its SHA-256", rules: ['integrity/payload-operation-hash'] },
  'payload-operation-hash-ok': { category: 'integrity-passed', description: 'every blob of a payload partition matches its SHA-256', rules: [] },
  'payload-base': {
    category: 'integrity-failure',
    description: "an incremental payload's base build (--base) is not the one it patches: a partition missing, its size or SHA-256 not old_partition_info's, or an operation's source blocks not its src_sha256_hash",
    rules: ['compat/incremental-base'],
  },
  'payload-base-ok': { category: 'integrity-passed', description: "a partition of the base build (--base) matches an incremental payload's old_partition_info", rules: [] },
  'payload-partition-hash': { category: 'integrity-failure', description: 'a partition rebuilt from a full payload does not match its SHA-256', rules: ['integrity/payload-partition-hash'], badBytes: true },
  'payload-partition-hash-ok': { category: 'integrity-passed', description: 'a partition rebuilt from a full payload matches its SHA-256', rules: [] },
  'payload-properties': { category: 'integrity-failure', description: 'payload.bin disagrees with a value of its payload_properties.txt', rules: ['integrity/payload-properties'], badBytes: true },
  'payload-properties-ok': { category: 'integrity-passed', description: 'payload.bin agrees with a value of its payload_properties.txt', rules: [] },
  'ota-property-files': { category: 'integrity-failure', description: 'an ota-property-files entry does not point at a stored member', rules: ['integrity/ota-property-files'] },
  'ota-property-files-ok': { category: 'integrity-passed', description: 'every entry of an ota-property-files list points at its member', rules: [] },
  'payload-signature': {
    category: 'signature',
    description: "a payload's metadata or payload signature is malformed, missing its pair, or does not verify",
    rules: ['signature/payload-invalid'],
    signature: { scheme: 'ota', status: 'failed' },
  },
  'payload-signature-ok': { category: 'signature', description: 'a payload signature verifies', rules: [], signature: { scheme: 'ota', status: 'verified', what: 'the payload signatures' } },
  'payload-signature-unchecked': { category: 'signature', description: 'a payload signature has no key to check it against', rules: [], signature: { scheme: 'ota', status: 'unverifiable' } },
  'ota-signature': {
    category: 'signature',
    description: "a zip's whole-file signature does not verify, is malformed, or is not by the --key key",
    rules: ['signature/ota-invalid'],
    signature: { scheme: 'ota', status: 'failed' },
  },
  'ota-signature-ok': { category: 'signature', description: "a zip's whole-file signature verifies", rules: [], signature: { scheme: 'ota', status: 'verified', what: 'the whole-file signature' } },
  'jar-signature': {
    category: 'signature',
    description: "an OTA package's JAR signature does not verify, or does not list every member",
    rules: ['signature/ota-invalid'],
    signature: { scheme: 'ota', status: 'failed' },
  },
  'jar-signature-ok': { category: 'signature', description: "an OTA package's JAR signature verifies and lists every member", rules: [], signature: { scheme: 'ota', status: 'verified', what: 'the JAR signature' } },
  'jar-digest': {
    category: 'signature',
    description: 'a member of a JAR-signed OTA package does not match the digest of MANIFEST.MF',
    rules: ['signature/ota-invalid'],
    badBytes: true,
    signature: { scheme: 'ota', status: 'failed' },
  },
  'jar-digest-ok': { category: 'signature', description: 'a member of a JAR-signed OTA package matches the digest of MANIFEST.MF', rules: [] },
  'ota-unsigned': { category: 'signature', description: 'an OTA package without a whole-file signature, or an unsigned payload', rules: ['signature/ota-unsigned'], signature: { scheme: 'ota', status: 'unsigned' } },
  'ota-test-key': { category: 'signature', description: 'an OTA package or payload is signed with a public test key', rules: ['signature/ota-test-key'] },
  'mbn-segment-hash': {
    category: 'integrity-failure',
    description: "a segment of a Qualcomm signed image does not match its digest in the image's hash table segment",
    rules: ['integrity/mbn-segment-hash'],
    badBytes: true,
    signature: { scheme: 'qcom', status: 'failed' },
  },
  'mbn-segment-hash-ok': { category: 'integrity-passed', description: 'every segment of a Qualcomm signed image matches its digest in the hash table segment', rules: [] },
  'mbn-signature': {
    category: 'signature',
    description: "a Qualcomm signed image's signature does not verify with its attestation certificate, or its certificate chain is broken",
    rules: ['signature/mbn-invalid'],
    signature: { scheme: 'qcom', status: 'failed' },
  },
  'mbn-signature-ok': {
    category: 'signature',
    description: "a Qualcomm signed image's signature and chain verify up to a root given with --key",
    rules: [],
    signature: { scheme: 'qcom', status: 'verified', what: 'the image signature' },
  },
  'mbn-signature-unchecked': {
    category: 'signature',
    description: "a Qualcomm signed image's signature could not be verified to a trusted root (no OEM root key, or a signature version romscope does not verify)",
    rules: [],
    signature: { scheme: 'qcom', status: 'unverifiable' },
  },
  'mbn-unsigned': { category: 'signature', description: "a Qualcomm image's hash table segment carries no signature", rules: [], signature: { scheme: 'qcom', status: 'unsigned' } },
  'sin-signature-unchecked': {
    category: 'signature',
    description: "a Sony .sin image's certificate part or .cms signature, shown but not verified (Sony's keys and scheme are not public)",
    rules: [],
    signature: { scheme: 'sony', status: 'unverifiable' },
  },
  truncated: { category: 'integrity-failure', description: 'bytes end before their own structure says they should', rules: ['integrity/truncated'], badBytes: true },
  unreadable: { category: 'malformed', description: 'bytes that do not decode', rules: ['format/unreadable'], badBytes: true },
  unsupported: { category: 'limit', description: 'something romscope cannot decode or check (encryption, a compression method, a digest algorithm, a size)', rules: ['format/unsupported'] },
  unidentified: { category: 'note', description: 'bytes in no format romscope knows, and what they look like (empty, zeros, an HTML page, a Git LFS pointer, text, binary data)', rules: ['format/not-firmware'] },
  'unsafe-path': { category: 'malformed', description: 'a member name that would escape the extraction directory', rules: ['format/unsafe-path'] },
  budget: { category: 'limit', description: 'inspection stopped at a limit (depth, members, expanded bytes)', rules: ['format/budget-exceeded'], badBytes: true },
  declaration: {
    category: 'declaration',
    description: 'a condition on the device the package is for',
    rules: ['compat/device-mismatch', 'compat/no-device-declared', 'compat/declarations-disagree', 'compat/incremental-base', 'compat/bootloader-mismatch', 'compat/ota-metadata-mismatch', 'compat/board-mismatch'],
  },
  build: {
    category: 'declaration',
    description: 'a value about the build the package installs',
    rules: ['rollback/downgrade', 'rollback/anti-rollback', 'signature/test-keys-build', 'compat/ota-metadata-mismatch', 'security/debuggable-user-build'],
  },
  'fs-entry': {
    category: 'note',
    description: 'a file, directory or link of a file system image or ramdisk that a security posture rule reads: setuid, setgid, world-writable, or named like a su binary',
    rules: ['security/su-binary', 'security/setuid-file', 'security/world-writable'],
  },
  'init-service': { category: 'note', description: 'an init service that runs as root (no `user` option, or `user root`) or in the `su` SELinux domain', rules: ['security/root-service'] },
} as const satisfies Record<string, FactKindSpec>;
