/**
 * The ordered list of format handlers. Order matters only where two could
 * claim the same bytes: the more specific comes first (Odin .tar.md5 before tar).
 */
import type { DetectInput, FormatHandler, NeighbourHook, SiblingHook, TrailerHook } from './types';
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
import { dtboHandler } from './dtbo';
import { fdtHandler } from './fdt';
import { otaPackageSiblings } from './ota-package';
import { checksumFileSiblings } from './checksum-file/siblings';
import { checksumSidecars } from './checksum-file/sidecar';
import { blockOtaSiblings } from './block-ota/rebuild';
import { splitSparseSiblings } from './android-sparse/split';
import { avbFooterTrailer } from './avb-footer/image';

export const HANDLERS: readonly FormatHandler[] = [
  zipHandler,
  samsungTarMd5Handler,
  tarHandler,
  cpioHandler,
  sparseHandler,
  androidBootHandler,
  lpMetadataHandler,
  otaPayloadHandler,
  dtboHandler,
  fdtHandler,
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

/**
 * Hooks over a container's member list, in the order they run: the OTA
 * package checks and checksum files attach expectations to members; then
 * derived children (rebuilt block-OTA images, joined split sparse images)
 * follow the members in this order.
 */
export const SIBLING_HOOKS: readonly SiblingHook[] = [otaPackageSiblings, checksumFileSiblings, blockOtaSiblings, splitSparseSiblings];

/** Trailers any otherwise unrecognised image may end in. */
export const TRAILER_HOOKS: readonly TrailerHook[] = [avbFooterTrailer];

/** Files next to the input that say something about it. */
export const NEIGHBOUR_HOOKS: readonly NeighbourHook[] = [checksumSidecars];

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
