/**
 * MediaTek preloaders, the first code the boot ROM loads (u-boot's
 * tools/mtk_image.h has the structures):
 *
 * - `preloader_<project>.bin`: the GFH ("generic file header") chain at
 *   offset 0: blocks of `MMM`, a version byte, u16 size, u16 type. The first
 *   is FILE_INFO (type 0): `FILE_INFO` name, file version, file type, flash
 *   type, signature type, load address, file length, maximum size, content
 *   offset, signature length, jump offset, attributes.
 * - `preloader.img` / `preloader_ufs.img` as written to the boot partition:
 *   a device header first (`EMMC_BOOT`, `UFS_BOOT`, `SF_BOOT`, `SDMMC_BOOT`:
 *   name[12], u32 version, u32 size), the boot-ROM layout `BRLYT` at 0x200
 *   (version, header size, total size, magic 0x42424242, type...), then the
 *   GFH chain where the layout's header size says (0x1000 in a real UFS file).
 *
 * The file length FILE_INFO gives is checked against the bytes present.
 */
import type { ContainerHandler } from '../types';
import { FormatError } from '../../io/errors';

const DEVICE_HEADERS = ['EMMC_BOOT', 'UFS_BOOT', 'SF_BOOT', 'SDMMC_BOOT'];
const BRLYT_AT = 0x200;
const BRLYT_MAGIC = 0x42424242;
const GFH_MAGIC = 'MMM';
/** GFH blocks read: real preloaders have 5 or 6; the chain is also bounded by the bytes read. */
export const MAX_GFH_BLOCKS = 32;
const GFH_WINDOW = 0x2000;

/** Block types from u-boot's mtk_image.h. */
const GFH_TYPES: Record<number, string> = { 0: 'FILE_INFO', 1: 'BL_INFO', 2: 'ANTI_CLONE', 3: 'BL_SEC_KEY', 7: 'BROM_CFG', 8: 'BROM_SEC_CFG' };
const FLASH_TYPES: Record<number, string> = { 2: 'nand', 5: 'generic (eMMC/UFS/NOR/SD)' };
const SIG_TYPES: Record<number, string> = { 0: 'none', 1: 'sha256' };
/** BRLYT image types (u-boot), plus 0x1000c that real UFS preloaders carry. */
const BRLYT_TYPES: Record<number, string> = { 0x10002: 'nand', 0x10005: 'emmc', 0x10007: 'nor', 0x10008: 'sdmmc', 0x10009: 'snand', 0x1000c: 'ufs' };

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function cString(b: Buffer, at: number, len: number): string {
  const raw = b.subarray(at, Math.min(b.length, at + len));
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
}

/** A FILE_INFO block at `at`: `MMM`, then its name at +8. */
function isFileInfo(b: Buffer, at: number): boolean {
  return b.length >= at + 56 && b.toString('latin1', at, at + 3) === GFH_MAGIC && b.readUInt16LE(at + 6) === 0 && b.toString('latin1', at + 8, at + 17) === 'FILE_INFO';
}

function deviceHeader(b: Buffer): string | null {
  if (b.length < 20) return null;
  const name = cString(b, 0, 12);
  return DEVICE_HEADERS.includes(name) ? name : null;
}

export const mtkPreloaderHandler: ContainerHandler = {
  id: 'mtk-preloader',
  kind: 'container',
  description: 'MediaTek preloader: GFH headers (MMM, FILE_INFO), optionally behind an EMMC_BOOT/UFS_BOOT device header and BRLYT layout',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => isFileInfo(peek, 0) || (deviceHeader(peek) !== null && peek.length >= BRLYT_AT + 8 && peek.toString('latin1', BRLYT_AT, BRLYT_AT + 5) === 'BRLYT'),
  async decode(src, ctx) {
    const head = await src.read(0, Math.min(src.size, GFH_WINDOW));
    const info: Record<string, unknown> = {};
    let gfhAt = 0;
    const dev = deviceHeader(head);
    if (dev) {
      info.deviceHeader = { name: dev, version: head.readUInt32LE(12), size: head.readUInt32LE(16) };
      if (head.length < BRLYT_AT + 40) throw new FormatError(`a ${dev} header, but the file ends before the BRLYT layout at 0x200`);
      const magic = head.readUInt32LE(BRLYT_AT + 20);
      const type = head.readUInt32LE(BRLYT_AT + 24);
      const layout = {
        name: cString(head, BRLYT_AT, 8),
        version: head.readUInt32LE(BRLYT_AT + 8),
        headerSize: head.readUInt32LE(BRLYT_AT + 12),
        totalSize: head.readUInt32LE(BRLYT_AT + 16),
        magic: hex(magic),
        type: hex(type),
        typeName: BRLYT_TYPES[type],
      };
      info.layout = layout;
      if (magic !== BRLYT_MAGIC) ctx.fact({ kind: 'layout-invalid', message: `BRLYT magic is ${hex(magic)}, not 0x42424242`, offset: BRLYT_AT + 20 });
      // The GFH chain starts where the layout's header ends: in bytes (UFS), in 512-byte blocks (eMMC), or at the 0x800 u-boot's eMMC header fills.
      const cands = [layout.headerSize, layout.headerSize * 512, 0x800, 0x1000];
      let found = -1;
      for (const c of cands) {
        if (c > 0 && c < src.size) {
          const b = c + 56 <= head.length ? head : await src.read(c, 56);
          if (isFileInfo(b, b === head ? c : 0)) {
            found = c;
            break;
          }
        }
      }
      if (found < 0) {
        ctx.fact({ kind: 'layout-invalid', message: `no GFH FILE_INFO block after the ${dev} header (looked at ${cands.map((c) => `0x${c.toString(16)}`).join(', ')})` });
        return { info, children: [] };
      }
      gfhAt = found;
    }
    info.gfhOffset = gfhAt;
    const win = gfhAt === 0 ? head : await src.read(gfhAt, Math.min(src.size - gfhAt, GFH_WINDOW));
    if (!isFileInfo(win, 0)) throw new FormatError('no GFH FILE_INFO block where the preloader should start');
    const fileLength = win.readUInt32LE(32);
    const fileType = win.readUInt16LE(24);
    const flashType = win.readUInt8(26);
    const sigType = win.readUInt8(27);
    info.fileInfo = {
      fileVersion: win.readUInt32LE(20),
      fileType,
      flashType: FLASH_TYPES[flashType] ?? flashType,
      signatureType: SIG_TYPES[sigType] ?? sigType,
      loadAddress: hex(win.readUInt32LE(28)),
      fileLength,
      maxSize: win.readUInt32LE(36),
      contentOffset: win.readUInt32LE(40),
      signatureLength: win.readUInt32LE(44),
      jumpOffset: win.readUInt32LE(48),
      attributes: hex(win.readUInt32LE(52)),
    };
    const blocks: { offset: number; type: number; typeName?: string; version: number; size: number }[] = [];
    let at = 0;
    while (at + 8 <= win.length && blocks.length < MAX_GFH_BLOCKS && win.toString('latin1', at, at + 3) === GFH_MAGIC) {
      const size = win.readUInt16LE(at + 4);
      const type = win.readUInt16LE(at + 6);
      blocks.push({ offset: gfhAt + at, type, typeName: GFH_TYPES[type], version: win[at + 3], size });
      if (size < 8) {
        ctx.fact({ kind: 'layout-invalid', message: `GFH block at offset ${gfhAt + at} has size ${size}, less than its 8-byte header`, offset: gfhAt + at + 4 });
        break;
      }
      at += size;
    }
    info.gfh = blocks;
    const sec = blocks.find((b) => b.type === 8 && b.size >= 44);
    if (sec && sec.offset - gfhAt + 44 <= win.length) {
      const name = cString(win, sec.offset - gfhAt + 12, 32);
      if (name) info.customerName = name;
    }
    const have = src.size - gfhAt;
    if (fileLength > have) ctx.fact({ kind: 'truncated', message: `FILE_INFO gives the preloader ${fileLength} bytes from offset ${gfhAt}, the file has ${have}`, offset: src.size });
    else if (fileLength < have) info.bytesAfterPreloader = have - fileLength;
    return { info, children: [] };
  },
};
