/**
 * The format handlers, in detection order: by the confidence of their
 * detection (FormatTraits.confidence: magic, then weak magic, then name or
 * text), and within one confidence by their place in REGISTERED. That place
 * matters only where two handlers of one confidence could claim the same
 * bytes; those tie-breaks are marked there.
 */
import { blockOtaDataHandler } from './block-ota-data';
import type { DetectConfidence, DetectInput, FormatHandler, FormatTraits, NeighbourHook, SiblingHook, TrailerHook } from './types';
import { zipHandler } from './zip';
import { huaweiUpdateAppHandler } from './huawei-update-app';
import { unisocPacHandler } from './unisoc-pac';
import { rockchipRkfwHandler } from './rockchip-rkfw';
import { rockchipRkafHandler } from './rockchip-rkaf';
import { oppoOzipHandler, oppoOfpHandler, oneplusOpsHandler } from './oppo';
import { nokiaNb0Handler } from './nokia-nb0';
import { lgKdzHandler } from './lg-kdz';
import { lgDzHandler } from './lg-dz';
import { sonySinHandler } from './sony-sin';
import { sonyFtfHandler } from './sony-ftf';
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
import { careMapHandler } from './care-map';
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
import { motoFlashfileHandler } from './moto-flashfile';
import { qcomMbnHandler } from './qcom-mbn';
import { motoFlashfileSiblings } from './moto-flashfile/siblings';
import { brotliHandler } from './brotli';
import { otaMetadataHandler } from './ota-metadata';
import { updaterScriptHandler } from './updater-script';
import { androidInfoHandler } from './android-info';
import { fastbootScriptHandler } from './fastboot-script';
import { xiaomiRomInfoHandler } from './xiaomi-rom-info';
import { buildPropHandler } from './build-prop';
import { initRcHandler } from './init-rc';
import { dtboHandler } from './dtbo';
import { fdtHandler } from './fdt';
import { ext4Handler } from './ext4';
import { erofsHandler } from './erofs';
import { f2fsHandler } from './f2fs';
import { qcomDtbHandler } from './qcom-dtb';
import { amlogicDtbHandler } from './amlogic-dtb';
import { amlogicSecureHandler } from './amlogic-secure';
import { amlogicResHandler } from './amlogic-res';
import { amlogicUpgradeHandler } from './amlogic-upgrade';
import { rockchipLoaderHandler } from './rockchip-loader';
import { rockchipKrnlHandler } from './rockchip-krnl';
import { rockchipResourceHandler } from './rockchip-resource';
import { rockchipParameterHandler } from './rockchip-parameter';
import { unisocDhtbHandler } from './unisoc-dhtb';
import { samsungUhHandler } from './samsung-uh';
import { samsungKeystorageHandler } from './samsung-keystorage';
import { mtkImageHandler } from './mtk-image';
import { mtkPreloaderHandler } from './mtk-preloader';
import { mtkEfuseHandler } from './mtk-efuse';
import { otaPackageSiblings } from './ota-package';
import { checksumFileSiblings } from './checksum-file/siblings';
import { checksumSidecars } from './checksum-file/sidecar';
import { blockOtaSiblings } from './block-ota/rebuild';
import { splitSparseSiblings } from './android-sparse/split';
import { avbFooterTrailer } from './avb-footer/image';

export type RegisteredHandler = FormatHandler & { traits: FormatTraits };

/** Every registered handler declares its traits (`fallback`: for a handler whose own file does not yet). */
function registered(h: FormatHandler, fallback?: FormatTraits): RegisteredHandler {
  if (h.traits) return h as RegisteredHandler;
  if (!fallback) throw new Error(`format handler ${h.id} declares no traits`);
  return { ...h, traits: fallback };
}

const REGISTERED: readonly RegisteredHandler[] = [
  registered(blockOtaDataHandler),
  // Tie-break: a Sony .ftf is a zip; the name decides, before the plain zip claims it.
  registered(sonyFtfHandler),
  registered(zipHandler),
  // Tie-break: a Sony SIN v4/v5 is a tar whose first member is a .cms signature; the more specific claims it first.
  registered(sonySinHandler),
  // Tie-break: an Odin .tar.md5 is a tar too; the more specific claims it first.
  registered(samsungTarMd5Handler),
  registered(tarHandler),
  registered(cpioHandler),
  registered(sparseHandler),
  registered(androidBootHandler),
  registered(lpMetadataHandler),
  registered(otaPayloadHandler),
  registered(dtboHandler),
  registered(fdtHandler),
  registered(qcomDtbHandler),
  registered(amlogicDtbHandler),
  registered(amlogicSecureHandler),
  registered(amlogicResHandler),
  registered(amlogicUpgradeHandler),
  registered(rockchipLoaderHandler),
  registered(rockchipKrnlHandler),
  registered(rockchipResourceHandler),
  registered(unisocDhtbHandler),
  registered(samsungUhHandler),
  registered(samsungKeystorageHandler),
  registered(huaweiUpdateAppHandler),
  registered(unisocPacHandler),
  registered(rockchipRkfwHandler),
  registered(rockchipRkafHandler),
  registered(oppoOzipHandler),
  registered(oppoOfpHandler),
  registered(oneplusOpsHandler),
  registered(nokiaNb0Handler),
  registered(lgKdzHandler),
  registered(lgDzHandler),
  registered(ext4Handler),
  registered(gptHandler),
  registered(erofsHandler),
  registered(f2fsHandler),
  registered(qcomMbnHandler),
  registered(mtkImageHandler),
  registered(mtkPreloaderHandler),
  registered(mtkEfuseHandler),
  // Tie-break: zstd before lz4: both have the same skippable frames; zstd claims only those a zstd frame follows.
  registered(zstdHandler),
  registered(lz4Handler),
  registered(gzipHandler),
  registered(xzHandler),
  registered(bzip2Handler),
  registered(lzmaHandler),
  registered(lzopHandler),
  registered(samsungPitHandler),
  registered(avbVbmetaHandler),
  registered(avbFooterHandler),
  registered(mbrHandler),
  registered(checksumFileHandler),
  registered(blockOtaHandler),
  registered(mtkScatterHandler),
  registered(qcomRawprogramHandler),
  registered(motoFlashfileHandler),
  // Tie-break: a child named `kernel` (a boot image's) is the kernel, whatever text it holds.
  registered(linuxKernelHandler),
  registered(otaMetadataHandler),
  registered(otaMetadataPbHandler),
  registered(careMapHandler),
  registered(payloadPropertiesHandler),
  registered(x509CertificateHandler),
  registered(updaterScriptHandler),
  registered(androidInfoHandler),
  registered(fastbootScriptHandler),
  registered(xiaomiRomInfoHandler),
  registered(buildPropHandler),
  registered(initRcHandler),
  registered(rockchipParameterHandler),
  // Tie-break: the name alone, the content not looked at: last.
  registered(brotliHandler),
];

const CONFIDENCE_RANK: Record<DetectConfidence, number> = { 'exact-name': -1, magic: 0, 'weak-magic': 1, name: 2 };

/** Every handler, in the order detection tries them (a stable sort keeps REGISTERED's order within a confidence). */
export const HANDLERS: readonly RegisteredHandler[] = [...REGISTERED].sort((a, b) => CONFIDENCE_RANK[a.traits.confidence] - CONFIDENCE_RANK[b.traits.confidence]);

const BY_ID = new Map<string, RegisteredHandler>();
for (const h of HANDLERS) if (!BY_ID.has(h.id)) BY_ID.set(h.id, h);

/**
 * The handler of a format id as reports carry it, or null: `data` (nothing
 * matched) and ids no handler has. A decoder's refined format (a tar found to
 * be an Odin `samsung-tar-md5`) is the id of a registered handler too. Where
 * two handlers share an id (text and protobuf OTA metadata) they share traits;
 * the first is returned.
 */
export function handlerById(id: string): RegisteredHandler | null {
  return BY_ID.get(id) ?? null;
}

/** The traits of a format id as reports carry it; null for `data` and unknown ids. */
export function traitsOf(formatId: string): FormatTraits | null {
  return handlerById(formatId)?.traits ?? null;
}

/**
 * Whether an AVB footer may end an artifact of this format (FORMATS.md §5.7):
 * a partition image, or data in no known format (any partition's contents).
 */
export function mayCarryAvbFooter(formatId: string): boolean {
  if (formatId === 'data') return true;
  return traitsOf(formatId)?.avbFooter === true;
}

/** A compression stream: its only child is the decoded bytes. */
export function isCompression(formatId: string): boolean {
  return traitsOf(formatId)?.role === 'compression';
}

/**
 * Hooks over a container's member list, in the order they run: the OTA
 * package checks and checksum files attach expectations to members; then
 * derived children (rebuilt block-OTA images, joined split sparse images)
 * follow the members in this order.
 */
export const SIBLING_HOOKS: readonly SiblingHook[] = [otaPackageSiblings, checksumFileSiblings, motoFlashfileSiblings, blockOtaSiblings, splitSparseSiblings];

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
