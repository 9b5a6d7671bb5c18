/**
 * The ordered list of format handlers. Order matters only where two could
 * claim the same bytes: the more specific comes first (Odin .tar.md5 before tar).
 */
import type { DetectInput, FormatHandler } from './types';
import { zipHandler } from './zip';
import { samsungTarMd5Handler } from './samsung-tar-md5';
import { tarHandler } from './tar';
import { cpioHandler } from './cpio';
import { lz4Handler } from './lz4';
import { gzipHandler } from './gzip';
import { xzHandler, zstdHandler, bzip2Handler, lzmaHandler, lzopHandler } from './compressed';
import { checksumFileHandler } from './checksum-file';
import { sparseHandler } from './android-sparse';
import { androidBootHandler } from './android-boot';
import { lpMetadataHandler } from './lp-metadata';
import { gptHandler } from './gpt';
import { mbrHandler } from './mbr';
import { linuxKernelHandler } from './linux-kernel';
import { avbFooterHandler } from './avb-footer';
import { blockOtaHandler } from './block-ota';
import { samsungPitHandler } from './samsung-pit';
import { mtkScatterHandler } from './mtk-scatter';
import { qcomRawprogramHandler } from './qcom-rawprogram';
import { brotliHandler } from './brotli';

export const HANDLERS: readonly FormatHandler[] = [
  zipHandler,
  samsungTarMd5Handler,
  tarHandler,
  cpioHandler,
  sparseHandler,
  androidBootHandler,
  lpMetadataHandler,
  gptHandler,
  lz4Handler,
  gzipHandler,
  xzHandler,
  zstdHandler,
  bzip2Handler,
  lzmaHandler,
  lzopHandler,
  checksumFileHandler,
  blockOtaHandler,
  samsungPitHandler,
  mtkScatterHandler,
  qcomRawprogramHandler,
  avbFooterHandler,
  // 55 AA and four sane records: weak evidence, so after every stronger magic.
  mbrHandler,
  // Matches any child named `kernel`: after everything with a magic number.
  linuxKernelHandler,
  // Last: recognised by name only.
  brotliHandler,
];

/** Peek-only: picks the first handler that recognises the bytes, or null ("data"). */
export function detectFormat(d: DetectInput): FormatHandler | null {
  for (const h of HANDLERS) {
    try {
      if (h.detect(d)) return h;
    } catch {
      // A detector that trips over odd bytes simply does not match.
    }
  }
  return null;
}
