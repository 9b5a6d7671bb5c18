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
import { xzHandler } from './xz';
import { zstdHandler } from './zstd';
import { bzip2Handler } from './bzip2';
import { lzmaHandler } from './lzma';
import { lzopHandler } from './compressed';
import { checksumFileHandler } from './checksum-file';
import { sparseHandler } from './android-sparse';
import { androidBootHandler } from './android-boot';
import { lpMetadataHandler } from './lp-metadata';
import { otaPayloadHandler } from './ota-payload';
import { otaMetadataPbHandler } from './ota-metadata/protobuf';
import { payloadPropertiesHandler } from './payload-properties';
import { x509CertificateHandler } from './x509-certificate';
import { gptHandler } from './gpt';
import { mbrHandler } from './mbr';
import { linuxKernelHandler } from './linux-kernel';
import { avbFooterHandler } from './avb-footer';
import { avbVbmetaHandler } from './avb-vbmeta';
import { blockOtaHandler } from './block-ota';
import { samsungPitHandler } from './samsung-pit';
import { mtkScatterHandler } from './mtk-scatter';
import { qcomRawprogramHandler } from './qcom-rawprogram';
import { brotliHandler } from './brotli';
import { otaMetadataHandler } from './ota-metadata';
import { updaterScriptHandler } from './updater-script';
import { androidInfoHandler } from './android-info';
import { fastbootScriptHandler } from './fastboot-script';
import { xiaomiRomInfoHandler } from './xiaomi-rom-info';
import { buildPropHandler } from './build-prop';

export const HANDLERS: readonly FormatHandler[] = [
  zipHandler,
  samsungTarMd5Handler,
  tarHandler,
  cpioHandler,
  sparseHandler,
  androidBootHandler,
  lpMetadataHandler,
  otaPayloadHandler,
  gptHandler,
  // Before lz4: both formats have the same skippable frames; zstd claims only those a zstd frame follows.
  zstdHandler,
  lz4Handler,
  gzipHandler,
  xzHandler,
  bzip2Handler,
  lzmaHandler,
  lzopHandler,
  checksumFileHandler,
  blockOtaHandler,
  samsungPitHandler,
  mtkScatterHandler,
  qcomRawprogramHandler,
  avbVbmetaHandler,
  avbFooterHandler,
  // 55 AA and four sane records: weak evidence, so after every stronger magic.
  mbrHandler,
  // Matches any child named `kernel`: after everything with a magic number.
  linuxKernelHandler,
  // Text files known by name (and confirmed by content): after every magic number.
  otaMetadataHandler,
  otaMetadataPbHandler,
  payloadPropertiesHandler,
  x509CertificateHandler,
  updaterScriptHandler,
  androidInfoHandler,
  fastbootScriptHandler,
  xiaomiRomInfoHandler,
  buildPropHandler,
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
