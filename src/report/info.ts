/**
 * The library's typed `info` (docs/library.md#typed-info): what each
 * decoder writes in `Artifact.info`, per format id, as the JSON report shows
 * it (docs/report-format.md#info-keys).
 *
 * Every key is optional: a damaged file stops its decoder early (its info is
 * then partial or empty, and a finding says why), and keys with no value are
 * left out. Besides its format's keys, an artifact carries the keys its
 * parent gives it (`PlacementInfo`: a zip member's compression, a partition's
 * number...). `ArtifactInfo` merges the two; a key both define has either type.
 *
 * The decoders build their info through these types where they build it in
 * one place, so the compiler holds them to it; `INFO_KEYS` lists the keys at
 * run time (each list checked complete against its type by the compiler) for
 * the test that compares real decoder output with them
 * (test/report/info.test.ts). Formats without a type here have
 * `Record<string, unknown>`.
 */
import type { FormatId } from '../formats/ids';
import type { GptPartition } from '../formats/gpt/header';
import type { MbrPartition } from '../formats/mbr';
import type { LpMetadata } from '../formats/lp-metadata';
import type { PitEntry } from '../formats/samsung-pit';
import type { OtaMetadataInfo as DecoderOtaMetadataInfo } from '../formats/ota-metadata';
import type { CertSummary } from '../crypto/keys';
import type { PartitionStateInfo } from '../formats/ota-metadata/protobuf';
import type { KeyDescription } from '../formats/avb-vbmeta/signature';

/** A boot image section (`sections`). */
export type BootSectionInfo = { name: string; offset: number; size: number };

/** One entry of a vendor_boot v4 ramdisk table (`vendorRamdisks`). */
export type VendorRamdiskInfo = { name: string; type: string | number; size: number; offset: number; boardId?: number[] };

/** `android-boot`: boot, recovery, init_boot (header v0-v4) and vendor_boot (v3, v4) images. */
export type AndroidBootInfo = {
  kind?: 'boot' | 'recovery' | 'init_boot' | 'vendor_boot';
  headerVersion?: number;
  qcomDtSize?: number;
  pageSize?: number;
  headerSize?: number;
  kernelSize?: number;
  ramdiskSize?: number;
  secondSize?: number;
  kernelAddr?: number;
  ramdiskAddr?: number;
  secondAddr?: number;
  tagsAddr?: number;
  /** `A.B.C`; null when not set. */
  osVersion?: string | null;
  /** `YYYY-MM`; null when not set. */
  patchLevel?: string | null;
  board?: string;
  cmdline?: string;
  recoveryDtboSize?: number;
  dtbSize?: number;
  dtbAddr?: number;
  bootSignatureSize?: number;
  /** v0-v2: the header's SHA-1 id (40 hex digits); null when all zeros. */
  id?: string | null;
  sections?: BootSectionInfo[];
  vendorRamdiskSize?: number;
  ramdiskTableSize?: number;
  ramdiskTableEntries?: number;
  ramdiskTableEntrySize?: number;
  bootconfigSize?: number;
  vendorRamdisks?: VendorRamdiskInfo[];
  trailingBytes?: number;
  avbFooter?: boolean;
  samsungSeAndroidEnforce?: boolean;
  gkiCertificate?: boolean;
};

/** An AVB descriptor (`descriptors`): `type` and `offset`, and the fields of its type. */
export type AvbDescriptorInfo = { type: string; offset: number; [field: string]: unknown };

export type VbmetaRole = 'top-level' | 'chained' | 'covered' | 'gki-boot-signature';

/** `avb-vbmeta`: a vbmeta image or the vbmeta blob of a footer. */
export type AvbVbmetaInfo = {
  signature?: 'verified' | 'failed' | 'unsigned' | 'unverifiable';
  /** `SHA256_RSA4096`..., `NONE`, or `unknown (N)`. */
  algorithm?: string;
  /** A number; a decimal string past 2^53. */
  rollbackIndex?: number | string;
  rollbackIndexLocation?: number;
  flags?: number;
  flagNames?: string[];
  releaseString?: string;
  requiredLibavbVersion?: string;
  vbmetaSize?: number;
  publicKey?: KeyDescription | null;
  publicKeyMetadata?: { size: number; sha256: string };
  descriptors?: AvbDescriptorInfo[];
  trailer?: { kind: 'samsung-signer' | 'aftl' | 'unknown'; offset: number; size: number; version?: string };
  /** Set after the walk (docs/report-format.md#summarysignature). */
  role?: VbmetaRole;
  chainedBy?: { vbmeta: string; partition: string; rollbackIndexLocation: number }[];
};

/** `avb-footer`: the 64-byte footer of a partition image. Sizes are numbers, decimal strings past 2^53. */
export type AvbFooterInfo = {
  version?: string;
  originalImageSize?: number | string;
  vbmetaOffset?: number | string;
  vbmetaSize?: number | string;
};

/** `android-sparse`. */
export type AndroidSparseInfo = {
  version?: string;
  blockSize?: number;
  totalBlocks?: number;
  expandedSize?: number;
  chunks?: { total: number; raw: number; fill: number; dontCare: number; crc32: number };
  dataBytes?: number;
  fillBytes?: number;
  holeBytes?: number;
  headerSizes?: { file: number; chunk: number };
  trailingBytes?: number;
};

/** One partition of a payload manifest (`ota-payload` `partitions`). */
export type PayloadPartitionInfo = {
  name: string;
  newSize?: number;
  newSha256?: string;
  oldSize?: number;
  oldSha256?: string;
  operationCount?: number;
  operations?: Record<string, number>;
  dataBytes?: number;
  sourceHashes?: number;
  filesystemType?: string;
  version?: string;
  postinstall?: Record<string, unknown>;
  hashTree?: Record<string, unknown>;
  fec?: Record<string, unknown>;
  [field: string]: unknown;
};

/** The check of one payload signature message (`signatures.metadata`, `signatures.payload`). */
export type PayloadSignatureInfo = {
  status: 'verified' | 'failed' | 'unchecked' | 'absent';
  signatures?: number;
  key?: string;
  knownAs?: string;
  reason?: string;
  [field: string]: unknown;
};

/** `ota-payload`: an A/B `payload.bin`. */
export type OtaPayloadInfo = {
  payloadType?: 'full' | 'incremental';
  majorVersion?: number;
  minorVersion?: number;
  minorVersionKnown?: boolean;
  blockSize?: number;
  manifestSize?: number;
  metadataSignatureSize?: number;
  metadataSize?: number;
  partialUpdate?: boolean;
  maxTimestamp?: number;
  maxTimestampDate?: string;
  securityPatchLevel?: string;
  dynamicPartitionGroups?: { name: string; size: number; partitions: string[] }[];
  snapshotEnabled?: boolean;
  vabcEnabled?: boolean;
  vabcCompression?: string;
  cowVersion?: number;
  apexPackages?: { name: string; version: number; compressed: boolean }[];
  partitions?: PayloadPartitionInfo[];
  dataBytes?: number;
  operationHashes?: { checked: number; failed: number };
  signatures?: { metadata: PayloadSignatureInfo; payload: PayloadSignatureInfo; keys?: unknown[] };
  rebuilt?: boolean;
  rebuildNote?: string;
  /** `--base`: per partition, where its old image was found and what was checked. */
  base?: Record<string, unknown>[];
  trailingBytes?: number;
};

/** `ota-metadata`: `META-INF/com/android/metadata` (text) and `metadata.pb` (protobuf): the decoder's fields, and these. */
export type OtaMetadataInfo = DecoderOtaMetadataInfo & {
  /** `metadata.pb` only. */
  propertyFiles?: Record<string, string>;
  /** `metadata.pb` only. */
  partitionStates?: { pre?: PartitionStateInfo[]; post?: PartitionStateInfo[] };
  /** `utf-16le` / `utf-16be` for UTF-16 text. */
  encoding?: string;
};

/** A record of a GPT's protective MBR, or of an MBR. */
export type MbrRecordInfo = { slot: number; type: string; typeName?: string; bootable?: boolean; startLba: number; sectors: number };

/** One GPT header copy (`headers.primary`, `headers.backup`). */
export type GptHeaderInfo = {
  offset: number;
  lba: number;
  valid: boolean;
  headerCrc: 'ok' | 'bad' | 'unchecked' | 'zero';
  entriesCrc: 'ok' | 'bad' | 'unchecked' | 'zero';
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  entriesLba: number;
  numEntries: number;
  entrySize: number;
};

/** `gpt`: a disk image or a GPT dump. */
export type GptInfo = {
  dumpKind?: 'disk' | 'gpt_main' | 'gpt_backup' | 'gpt_both';
  sectorSize?: number;
  lun?: number;
  diskGuid?: string;
  protectiveMbr?: { valid: boolean; hybrid?: boolean; records?: MbrRecordInfo[] };
  headers?: { primary?: GptHeaderInfo; backup?: GptHeaderInfo };
  partitionsFrom?: 'primary' | 'backup';
  firstUsableLba?: number;
  lastUsableLba?: number;
  partitions?: GptPartition[];
  /** A dump whose CRC or disk-size fields the flash tool fills in. */
  template?: { crcFields: 'zero' | 'set'; table: 'primary' | 'backup' | 'both'; placedOnDevice?: string[] };
};

/** `mbr`. */
export type MbrInfo = {
  dumpKind?: 'disk' | 'table';
  sectorSize?: number;
  diskSignature?: string;
  hybrid?: boolean;
  partitions?: MbrPartition[];
};

/** `lp-metadata`: `super.img` and `super_empty.img`. */
export type LpMetadataInfo = {
  image?: 'super' | 'super_empty';
  metadataMaxSize?: number;
  metadataSlotCount?: number;
  logicalBlockSize?: number;
  slots?: { slot: number; copy: 'primary' | 'backup'; offset: number; valid: boolean }[];
  version?: string;
  flags?: number;
  groups?: LpMetadata['groups'];
  blockDevices?: LpMetadata['blockDevices'];
  partitions?: { name: string; group: string; size: number; attributes: string[]; extents: number }[];
  otherBlockDevices?: boolean;
};

/** `samsung-pit`. */
export type SamsungPitInfo = {
  entryCount?: number;
  partitionCount?: number;
  header?: { unknown1: number; unknown2: number; unknown3: number; unknown4: number; unknown5: number; unknown6: number; unknown7: number; unknown8: number };
  partitions?: PitEntry[];
};

/** `ext4` (ext2 and ext3 too). Times are ISO 8601, null when not set. */
export type Ext4Info = {
  /** With --no-hash: the tree is not walked, and this says so. */
  tree?: string;
  type?: string;
  label?: string;
  uuid?: string;
  blockSize?: number;
  blocksCount?: number;
  freeBlocks?: number;
  usedBytes?: number;
  fsBytes?: number;
  inodesCount?: number;
  freeInodes?: number;
  inodeSize?: number;
  groups?: number;
  features?: string[];
  lastMountTime?: string | null;
  lastMountedOn?: string | null;
  lastWriteTime?: string | null;
  created?: string | null;
  createdBy?: string;
  revision?: number;
  state?: 'clean' | 'not clean';
  metadataChecksums?: boolean;
  directories?: number;
  entries?: number;
  files?: number;
  symlinks?: number;
  walkIncomplete?: string;
  propertyFiles?: string[];
  initScripts?: number;
  checksumsChecked?: number;
  checksumsFailed?: number;
};

/** `erofs`. */
export type ErofsInfo = {
  /** With --no-hash: the tree is not walked, and this says so. */
  tree?: string;
  fileSystem?: 'erofs';
  blockSize?: number;
  uuid?: string;
  volumeName?: string;
  buildTime?: string | null;
  blocks?: number;
  size?: number;
  inodes?: number;
  rootNid?: number;
  featuresCompat?: string[];
  featuresIncompat?: string[];
  filesRead?: string;
  /** The compression algorithms the image uses. */
  compression?: string[];
  root?: { mode: string; uid: number; gid: number };
  directories?: number;
  entries?: number;
  initScripts?: number;
};

/** `f2fs` (its superblock; the files are not read yet). */
export type F2fsInfo = {
  fileSystem?: 'f2fs';
  version?: string;
  label?: string;
  uuid?: string;
  blockSize?: number;
  sectorSize?: number;
  blocks?: number;
  size?: number;
  blocksPerSegment?: number;
  segmentsPerSection?: number;
  sectionsPerZone?: number;
  sections?: number;
  segments?: number;
  mainSegments?: number;
  rootInode?: number;
  features?: string[];
  madeBy?: string;
  createdBy?: string;
  filesRead?: string;
};

/** A certificate as romscope describes it (`wholeFileSignature.signer`, `otacert`). */
export type CertificateInfo = CertSummary & { [field: string]: unknown };

/** `zip`; an OTA package's signature and property-file checks are on it too. */
export type ZipInfo = {
  entries?: number;
  files?: number;
  directories?: number;
  comment?: string;
  zip64?: boolean;
  recoveredFromLocalHeaders?: boolean;
  wholeFileSignature?: { status: 'verified' | 'failed'; reason?: string; digest?: string; signedBytes?: number; signer?: CertificateInfo; [field: string]: unknown };
  jarSignature?: { signatureFile?: string; signatureBlock?: string; status: string; digest?: string; members?: number; signer?: CertificateInfo; [field: string]: unknown };
  otacert?: CertificateInfo[];
  otacertMatchesSigner?: boolean;
  otaPropertyFiles?: { key: string; from: string[]; entries: number; failed: number; [field: string]: unknown }[];
};

/** `tar`. */
export type TarInfo = {
  flavour?: 'v7' | 'ustar' | 'gnu' | 'pax';
  files?: number;
};

/** `samsung-tar-md5`: an Odin `.tar.md5` (a tar, then an md5sum line). */
export type SamsungTarMd5Info = TarInfo & {
  md5Expected?: string;
  md5Name?: string;
  md5Actual?: string;
};

/** The `info` of each format with a type of its own. */
export type FormatInfos = {
  'android-boot': AndroidBootInfo;
  'avb-vbmeta': AvbVbmetaInfo;
  'avb-footer': AvbFooterInfo;
  'android-sparse': AndroidSparseInfo;
  'ota-payload': OtaPayloadInfo;
  'ota-metadata': OtaMetadataInfo;
  gpt: GptInfo;
  mbr: MbrInfo;
  'lp-metadata': LpMetadataInfo;
  'samsung-pit': SamsungPitInfo;
  ext4: Ext4Info;
  erofs: ErofsInfo;
  f2fs: F2fsInfo;
  zip: ZipInfo;
  tar: TarInfo;
  'samsung-tar-md5': SamsungTarMd5Info;
};

/** Format ids with a typed `info`. */
export type TypedFormatId = keyof FormatInfos;

/** Format ids whose `info` is `Record<string, unknown>`, and `data` (nothing matched). */
export type UntypedFormatId = Exclude<FormatId, TypedFormatId> | 'data';

/**
 * Keys an artifact gets from where it is, whatever its format: from its
 * parent (an archive member, a partition, a file of a file system, a section
 * of a boot image, an entry of a device tree table...), from romscope (a
 * derived image: `rebuiltFrom`, `joinedFrom`) or from the walk (`incomplete`).
 */
export type PlacementInfo = {
  /** The bytes could not all be read or decoded. */
  incomplete?: boolean;
  /** The input: checksum files next to it that list it. */
  sidecarChecksumFiles?: string[];
  /** zip member: `stored`, `deflate`, or a method not decoded; a device tree table entry's compression. */
  compression?: string;
  compressedSize?: number;
  /** tar, cpio member: octal permission bits; ext4, erofs file: `0` and octal. */
  mode?: string;
  /** tar, cpio member: seconds since 1970; ext4 file: ISO 8601 (null when not set). */
  mtime?: number | string | null;
  uid?: number;
  gid?: number;
  hardLinks?: number;
  /** ext4 file. */
  inode?: number;
  links?: number;
  /** ext4 file: its type (`file`, `symlink`...); a Rockchip loader entry: its entry type. */
  type?: string | number;
  /** ext4, erofs file: its size; a table entry or an appended device tree: its size. */
  size?: number;
  selinux?: string;
  capabilities?: { revision: number; effective: boolean; permitted: string; inheritable: string };
  xattrs?: Record<string, string>;
  /** ext4 symlink: its target. */
  target?: string;
  /** erofs file. */
  nid?: number;
  layout?: string;
  /** gpt or mbr partition: its entry number; payload partition: its name. */
  partition?: number | string;
  startOffset?: number;
  notOpened?: string;
  /** lp-metadata partition. */
  group?: string;
  attributes?: string[];
  /** Payload partition (a description) or rebuilt block-OTA image (member names). */
  rebuiltFrom?: string | string[];
  unwrittenBytes?: number;
  verity?: Record<string, unknown>;
  partitionHash?: string;
  /** Rebuilt block-OTA image. */
  imageBlocks?: number;
  unusedNewDataBytes?: number;
  access?: 'streamed';
  /** Joined split sparse image. */
  joinedFrom?: string[];
  blockSize?: number;
  totalBlocks?: number;
  expandedSize?: number;
  /** Huawei UPDATE.APP record: its partition name and hardware id. */
  record?: string;
  hardwareId?: string;
  /** Amlogic burning package item: its main type (`PARTITION`, `USB`...), sub type (`system`, `DDR`...) and file type (`normal`, `sparse`...). */
  mainType?: string;
  subType?: string;
  fileType?: string;
  /** LG .dz partition: its hardware partition, first sector, sector size and chunk count. */
  hwPartition?: number;
  startSector?: number;
  sectorSize?: number;
  chunks?: number;
  /** Boot image kernel or ramdisk section. */
  mtkHeader?: { name: string; size: number };
  appendedDtbs?: number;
  compressedKernelSize?: number;
  /** vendor_boot ramdisk fragment. */
  ramdiskName?: string;
  ramdiskType?: string | number;
  /** Entry of a device tree, resource or loader table (dtbo, qcom-dtb, amlogic, rockchip, mtk-image, fdt). */
  index?: number;
  offset?: number;
  id?: string;
  rev?: string;
  custom?: string[];
  soc?: string;
  platform?: string;
  variant?: string;
  table?: string;
  name?: string;
  dataOffset?: number;
  dataSize?: number;
  delay?: number;
  hashSize?: number;
  entries?: Record<string, unknown>[];
};

/**
 * The `info` of an artifact of format `F`: its format's keys and the keys of
 * its place; a key both define may have either type (a decoder's value
 * replaces its parent's, a parent's shows when the decoder leaves the key out).
 */
export type ArtifactInfo<F extends string> = F extends TypedFormatId
  ? { [K in keyof FormatInfos[F]]?: K extends keyof PlacementInfo ? FormatInfos[F][K] | PlacementInfo[K] : FormatInfos[F][K] } & {
      [K in Exclude<keyof PlacementInfo, keyof FormatInfos[F]>]?: PlacementInfo[K];
    }
  : Record<string, unknown>;

/** The runtime list of a type's keys; the `satisfies` clause makes the compiler check it is complete and has nothing more. */
type KeyList<T> = Record<keyof T, true>;

/** Every key each typed format's decoder may write, at run time (for tests and tools). */
export const INFO_KEYS: { readonly [F in TypedFormatId]: readonly (keyof FormatInfos[F])[] } & { readonly placement: readonly (keyof PlacementInfo)[] } = {
  'android-boot': keys({
    kind: true,
    headerVersion: true,
    qcomDtSize: true,
    pageSize: true,
    headerSize: true,
    kernelSize: true,
    ramdiskSize: true,
    secondSize: true,
    kernelAddr: true,
    ramdiskAddr: true,
    secondAddr: true,
    tagsAddr: true,
    osVersion: true,
    patchLevel: true,
    board: true,
    cmdline: true,
    recoveryDtboSize: true,
    dtbSize: true,
    dtbAddr: true,
    bootSignatureSize: true,
    id: true,
    sections: true,
    vendorRamdiskSize: true,
    ramdiskTableSize: true,
    ramdiskTableEntries: true,
    ramdiskTableEntrySize: true,
    bootconfigSize: true,
    vendorRamdisks: true,
    trailingBytes: true,
    avbFooter: true,
    samsungSeAndroidEnforce: true,
    gkiCertificate: true,
  } satisfies KeyList<AndroidBootInfo>),
  'avb-vbmeta': keys({
    signature: true,
    algorithm: true,
    rollbackIndex: true,
    rollbackIndexLocation: true,
    flags: true,
    flagNames: true,
    releaseString: true,
    requiredLibavbVersion: true,
    vbmetaSize: true,
    publicKey: true,
    publicKeyMetadata: true,
    descriptors: true,
    trailer: true,
    role: true,
    chainedBy: true,
  } satisfies KeyList<AvbVbmetaInfo>),
  'avb-footer': keys({ version: true, originalImageSize: true, vbmetaOffset: true, vbmetaSize: true } satisfies KeyList<AvbFooterInfo>),
  'android-sparse': keys({
    version: true,
    blockSize: true,
    totalBlocks: true,
    expandedSize: true,
    chunks: true,
    dataBytes: true,
    fillBytes: true,
    holeBytes: true,
    headerSizes: true,
    trailingBytes: true,
  } satisfies KeyList<AndroidSparseInfo>),
  'ota-payload': keys({
    payloadType: true,
    majorVersion: true,
    minorVersion: true,
    minorVersionKnown: true,
    blockSize: true,
    manifestSize: true,
    metadataSignatureSize: true,
    metadataSize: true,
    partialUpdate: true,
    maxTimestamp: true,
    maxTimestampDate: true,
    securityPatchLevel: true,
    dynamicPartitionGroups: true,
    snapshotEnabled: true,
    vabcEnabled: true,
    vabcCompression: true,
    cowVersion: true,
    apexPackages: true,
    partitions: true,
    dataBytes: true,
    operationHashes: true,
    signatures: true,
    rebuilt: true,
    rebuildNote: true,
    base: true,
    trailingBytes: true,
  } satisfies KeyList<OtaPayloadInfo>),
  'ota-metadata': keys({
    type: true,
    wipe: true,
    downgrade: true,
    splDowngrade: true,
    retrofitDynamicPartitions: true,
    requiredCache: true,
    precondition: true,
    postcondition: true,
    propertyFiles: true,
    partitionStates: true,
    encoding: true,
  } satisfies KeyList<OtaMetadataInfo>),
  gpt: keys({
    dumpKind: true,
    sectorSize: true,
    lun: true,
    diskGuid: true,
    protectiveMbr: true,
    headers: true,
    partitionsFrom: true,
    firstUsableLba: true,
    lastUsableLba: true,
    partitions: true,
    template: true,
  } satisfies KeyList<GptInfo>),
  mbr: keys({ dumpKind: true, sectorSize: true, diskSignature: true, hybrid: true, partitions: true } satisfies KeyList<MbrInfo>),
  'lp-metadata': keys({
    image: true,
    metadataMaxSize: true,
    metadataSlotCount: true,
    logicalBlockSize: true,
    slots: true,
    version: true,
    flags: true,
    groups: true,
    blockDevices: true,
    partitions: true,
    otherBlockDevices: true,
  } satisfies KeyList<LpMetadataInfo>),
  'samsung-pit': keys({ entryCount: true, partitionCount: true, header: true, partitions: true } satisfies KeyList<SamsungPitInfo>),
  ext4: keys({
    tree: true,
    type: true,
    label: true,
    uuid: true,
    blockSize: true,
    blocksCount: true,
    freeBlocks: true,
    usedBytes: true,
    fsBytes: true,
    inodesCount: true,
    freeInodes: true,
    inodeSize: true,
    groups: true,
    features: true,
    lastMountTime: true,
    lastMountedOn: true,
    lastWriteTime: true,
    created: true,
    createdBy: true,
    revision: true,
    state: true,
    metadataChecksums: true,
    directories: true,
    entries: true,
    files: true,
    symlinks: true,
    walkIncomplete: true,
    propertyFiles: true,
    initScripts: true,
    checksumsChecked: true,
    checksumsFailed: true,
  } satisfies KeyList<Ext4Info>),
  erofs: keys({
    tree: true,
    fileSystem: true,
    blockSize: true,
    uuid: true,
    volumeName: true,
    buildTime: true,
    blocks: true,
    size: true,
    inodes: true,
    rootNid: true,
    featuresCompat: true,
    featuresIncompat: true,
    filesRead: true,
    compression: true,
    root: true,
    directories: true,
    entries: true,
    initScripts: true,
  } satisfies KeyList<ErofsInfo>),
  f2fs: keys({
    fileSystem: true,
    version: true,
    label: true,
    uuid: true,
    blockSize: true,
    sectorSize: true,
    blocks: true,
    size: true,
    blocksPerSegment: true,
    segmentsPerSection: true,
    sectionsPerZone: true,
    sections: true,
    segments: true,
    mainSegments: true,
    rootInode: true,
    features: true,
    madeBy: true,
    createdBy: true,
    filesRead: true,
  } satisfies KeyList<F2fsInfo>),
  zip: keys({
    entries: true,
    files: true,
    directories: true,
    comment: true,
    zip64: true,
    recoveredFromLocalHeaders: true,
    wholeFileSignature: true,
    jarSignature: true,
    otacert: true,
    otacertMatchesSigner: true,
    otaPropertyFiles: true,
  } satisfies KeyList<ZipInfo>),
  tar: keys({ flavour: true, files: true } satisfies KeyList<TarInfo>),
  'samsung-tar-md5': keys({ flavour: true, files: true, md5Expected: true, md5Name: true, md5Actual: true } satisfies KeyList<SamsungTarMd5Info>),
  placement: keys({
    incomplete: true,
    sidecarChecksumFiles: true,
    compression: true,
    compressedSize: true,
    mode: true,
    mtime: true,
    uid: true,
    gid: true,
    hardLinks: true,
    inode: true,
    links: true,
    type: true,
    size: true,
    selinux: true,
    capabilities: true,
    xattrs: true,
    target: true,
    nid: true,
    layout: true,
    partition: true,
    startOffset: true,
    notOpened: true,
    group: true,
    attributes: true,
    rebuiltFrom: true,
    unwrittenBytes: true,
    verity: true,
    partitionHash: true,
    imageBlocks: true,
    unusedNewDataBytes: true,
    access: true,
    joinedFrom: true,
    blockSize: true,
    totalBlocks: true,
    expandedSize: true,
    record: true,
    hardwareId: true,
    mainType: true,
    subType: true,
    fileType: true,
    hwPartition: true,
    startSector: true,
    sectorSize: true,
    chunks: true,
    mtkHeader: true,
    appendedDtbs: true,
    compressedKernelSize: true,
    ramdiskName: true,
    ramdiskType: true,
    index: true,
    offset: true,
    id: true,
    rev: true,
    custom: true,
    soc: true,
    platform: true,
    variant: true,
    table: true,
    name: true,
    dataOffset: true,
    dataSize: true,
    delay: true,
    hashSize: true,
    entries: true,
  } satisfies KeyList<PlacementInfo>),
};

function keys<T extends object>(list: T): (keyof T)[] {
  return Object.keys(list) as (keyof T)[];
}
