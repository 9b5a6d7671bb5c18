/** Every rule romscope runs, in report order. */
import type { Rule } from './types';
import zipCrc from './integrity/zip-crc';
import truncated from './integrity/truncated';
import tarMd5 from './integrity/tar-md5';
import lz4Checksum from './integrity/lz4-checksum';
import gzipChecksum from './integrity/gzip-checksum';
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
import imageTooLarge from './layout/image-too-large';
import missingImage from './layout/missing-image';
import unreadable from './format/unreadable';
import unsupported from './format/unsupported';
import unsafePath from './format/unsafe-path';
import budgetExceeded from './format/budget-exceeded';
import sparseInvalid from './format/sparse-invalid';
import duplicateEntry from './format/duplicate-entry';
import layoutInvalid from './format/layout-invalid';

export const RULES: readonly Rule[] = [
  zipCrc,
  truncated,
  tarMd5,
  lz4Checksum,
  gzipChecksum,
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
  imageTooLarge,
  missingImage,
];

/**
 * Fact kinds that record one integrity check; `<kind>-ok` is the same check
 * passed. The summary counts these facts, so it does not change when a user
 * re-grades a rule's severity.
 */
export const INTEGRITY_CHECK_KINDS = ['zip-crc', 'tar-md5', 'lz4-checksum', 'gzip-checksum', 'cpio-checksum', 'checksum-file', 'sparse-crc', 'lp-checksum', 'gpt-crc'];
export const PASSED_CHECK_KINDS = INTEGRITY_CHECK_KINDS.map((k) => `${k}-ok`);
/** Facts that mean the bytes are not what their container says, though no checksum compared them. */
export const INTEGRITY_FAILURE_KINDS = [...INTEGRITY_CHECK_KINDS, 'truncated', 'split-incomplete', 'blockota-short-data'];
