/** Every rule romscope runs, in report order. */
import type { Rule } from './types';
import zipCrc from './integrity/zip-crc';
import truncated from './integrity/truncated';
import tarMd5 from './integrity/tar-md5';
import lz4Checksum from './integrity/lz4-checksum';
import gzipChecksum from './integrity/gzip-checksum';
import checksumFile from './integrity/checksum-file';
import listedFileMissing from './integrity/listed-file-missing';
import sparseCrc from './integrity/sparse-crc';
import unreadable from './format/unreadable';
import unsupported from './format/unsupported';
import unsafePath from './format/unsafe-path';
import budgetExceeded from './format/budget-exceeded';
import sparseInvalid from './format/sparse-invalid';

export const RULES: readonly Rule[] = [
  zipCrc,
  truncated,
  tarMd5,
  lz4Checksum,
  gzipChecksum,
  checksumFile,
  listedFileMissing,
  sparseCrc,
  unreadable,
  unsupported,
  unsafePath,
  budgetExceeded,
  sparseInvalid,
];

/** Fact kinds that record a passed integrity check (counted in the summary). */
export const PASSED_CHECK_KINDS = ['zip-crc-ok', 'tar-md5-ok', 'lz4-checksum-ok', 'checksum-file-ok', 'sparse-crc-ok'];
