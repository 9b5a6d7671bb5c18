/** Every rule romscope runs, in report order. */
import type { Rule } from './types';
import zipCrc from './integrity/zip-crc';
import truncated from './integrity/truncated';
import tarMd5 from './integrity/tar-md5';
import lz4Checksum from './integrity/lz4-checksum';
import gzipChecksum from './integrity/gzip-checksum';
import xzChecksum from './integrity/xz-checksum';
import zstdChecksum from './integrity/zstd-checksum';
import bzip2Checksum from './integrity/bzip2-checksum';
import cpioChecksum from './integrity/cpio-checksum';
import checksumFile from './integrity/checksum-file';
import listedFileMissing from './integrity/listed-file-missing';
import sparseCrc from './integrity/sparse-crc';
import gptCrc from './integrity/gpt-crc';
import splitImageIncomplete from './integrity/split-image-incomplete';
import blockotaShortData from './integrity/blockota-short-data';
import blockotaRange from './layout/blockota-range';
import layoutOverlap from './layout/overlap';
import bootInvalid from './format/boot-invalid';
import bootId from './integrity/boot-id';
import patchLevelMismatch from './compat/patch-level-mismatch';
import ramdiskUnknownCompression from './format/ramdisk-unknown-compression';
import lpChecksum from './integrity/lp-checksum';
import imageChecksum from './integrity/image-checksum';
import imageTooLarge from './layout/image-too-large';
import missingImage from './layout/missing-image';
import unreadable from './format/unreadable';
import unsupported from './format/unsupported';
import unsafePath from './format/unsafe-path';
import budgetExceeded from './format/budget-exceeded';
import notFirmware from './format/not-firmware';
import sparseInvalid from './format/sparse-invalid';
import duplicateEntry from './format/duplicate-entry';
import layoutInvalid from './format/layout-invalid';
import avbFormatInvalid from './format/avb-invalid';
import avbSignatureInvalid from './signature/avb-invalid';
import avbChainKey from './signature/avb-chain-key';
import avbTestKey from './signature/avb-test-key';
import avbUnsigned from './signature/avb-unsigned';
import avbVerificationDisabled from './signature/avb-verification-disabled';
import avbHash from './integrity/avb-hash';
import avbHashtree from './integrity/avb-hashtree';
import deviceMismatch from './compat/device-mismatch';
import noDeviceDeclared from './compat/no-device-declared';
import declarationsDisagree from './compat/declarations-disagree';
import incrementalBase from './compat/incremental-base';
import bootloaderMismatch from './compat/bootloader-mismatch';
import otaMetadataMismatch from './compat/ota-metadata-mismatch';
import avbPropertyMismatch from './compat/avb-property-mismatch';
import boardMismatch from './compat/board-mismatch';
import partitionFingerprintsDiffer from './compat/partition-fingerprints-differ';
import downgrade from './rollback/downgrade';
import antiRollback from './rollback/anti-rollback';
import testKeysBuild from './signature/test-keys-build';

import payloadOperationHash from './integrity/payload-operation-hash';
import payloadPartitionHash from './integrity/payload-partition-hash';
import payloadProperties from './integrity/payload-properties';
import otaPropertyFiles from './integrity/ota-property-files';
import payloadSignatureInvalid from './signature/payload-invalid';
import otaSignatureInvalid from './signature/ota-invalid';
import mbnSegmentHash from './integrity/mbn-segment-hash';
import mbnSignatureInvalid from './signature/mbn-invalid';
import otaUnsigned from './signature/ota-unsigned';
import otaTestKey from './signature/ota-test-key';
import payloadFormatInvalid from './format/payload-invalid';
import fsChecksum from './integrity/fs-checksum';
import fsInvalid from './format/fs-invalid';
import debuggableUserBuild from './security/debuggable-user-build';
import suBinary from './security/su-binary';
import setuidFile from './security/setuid-file';
import worldWritable from './security/world-writable';
import rootService from './security/root-service';
export const RULES: readonly Rule[] = [
  zipCrc,
  truncated,
  tarMd5,
  lz4Checksum,
  gzipChecksum,
  xzChecksum,
  zstdChecksum,
  bzip2Checksum,
  cpioChecksum,
  checksumFile,
  listedFileMissing,
  sparseCrc,
  gptCrc,
  splitImageIncomplete,
  blockotaShortData,
  unreadable,
  unsupported,
  unsafePath,
  budgetExceeded,
  notFirmware,
  sparseInvalid,
  duplicateEntry,
  layoutInvalid,
  blockotaRange,
  layoutOverlap,
  bootInvalid,
  bootId,
  ramdiskUnknownCompression,
  patchLevelMismatch,
  lpChecksum,
  imageChecksum,
  imageTooLarge,
  missingImage,
  avbFormatInvalid,
  avbSignatureInvalid,
  avbChainKey,
  avbHash,
  avbHashtree,
  avbUnsigned,
  avbTestKey,
  avbVerificationDisabled,
  deviceMismatch,
  noDeviceDeclared,
  declarationsDisagree,
  incrementalBase,
  bootloaderMismatch,
  otaMetadataMismatch,
  avbPropertyMismatch,
  boardMismatch,
  partitionFingerprintsDiffer,
  downgrade,
  antiRollback,
  testKeysBuild,
  payloadOperationHash,
  payloadPartitionHash,
  payloadProperties,
  otaPropertyFiles,
  payloadFormatInvalid,
  payloadSignatureInvalid,
  otaSignatureInvalid,
  otaUnsigned,
  otaTestKey,
  fsChecksum,
  fsInvalid,
  mbnSegmentHash,
  mbnSignatureInvalid,
  debuggableUserBuild,
  suBinary,
  setuidFile,
  worldWritable,
  rootService,
];
