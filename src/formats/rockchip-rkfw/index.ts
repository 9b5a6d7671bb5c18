/**
 * Rockchip `update.img` as rkImageMaker writes it (the file RKDevTool /
 * upgrade_tool flash whole): an `RKFW` header, the loader, the `RKAF`
 * firmware image (afptool's output), and an MD5 trailer. All
 * little-endian. The 102-byte header: magic `RKFW`; u16 header size
 * (0x66); u32 firmware version (major << 24 | minor << 16 | revision); u32
 * the packing tool's version; release time (u16 year, then month, day,
 * hour, minute, second bytes); u32 chip (four ASCII bytes stored reversed,
 * `330C` for RK3399, or an old family code: 0x50 RK29xx, 0x60 RK30xx, 0x70
 * RK31xx, 0x80 RK32xx); u32 loader offset and size; u32 image offset and
 * size; u32 unknown; u32 OS type (1: Android); 49 unused bytes; u32 boot
 * storage. The trailer is 32 lowercase hex characters, the MD5 of every
 * byte before it, checked in the file's single hashing pass.
 *
 * The loader is the child `loader.bin` (a `BOOT` / `LDR ` loader,
 * src/formats/rockchip-loader), the image the child `firmware.img`
 * (src/formats/rockchip-rkaf): the names rkImageMaker -unpack gives them,
 * except that the loader is not called `boot.bin`, which would pass for a
 * boot partition's image.
 */
import type { ChildSpec, ContainerHandler, RangeDigestRequest } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';

/** The fields up to the image size; rkImageMaker writes 0x66 bytes. */
const HEADER_MIN = 41;
const MD5_HEX = 32;
const FAMILIES: Record<number, string> = { 0x50: 'RK29xx', 0x60: 'RK30xx', 0x70: 'RK31xx', 0x80: 'RK32xx' };

/** The chip tag as the loader header writes it: four printable bytes reversed (`330C`), else a family code. */
export function rockchipChip(tag: Buffer): string {
  if (tag.every((b) => b >= 0x20 && b < 0x7f)) return Buffer.from(tag).reverse().toString('latin1');
  const n = tag.readUInt32LE(0);
  return FAMILIES[n] ?? `0x${n.toString(16).padStart(8, '0')}`;
}

export const rockchipRkfwHandler: ContainerHandler = {
  id: 'rockchip-rkfw',
  kind: 'container',
  description: 'Rockchip update.img (RKFW, rkImageMaker): loader and RKAF firmware image with an MD5 trailer',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= HEADER_MIN && peek.toString('latin1', 0, 4) === 'RKFW' && peek.readUInt16LE(4) >= HEADER_MIN && peek.readUInt16LE(4) <= 4096,
  summary: (info) => {
    const out: string[] = [];
    if (typeof info.chip === 'string') out.push(`chip ${info.chip}`);
    if (typeof info.version === 'string') out.push(`version ${info.version}`);
    return out;
  },
  async decode(src, ctx) {
    const h = await src.read(0, 0x66);
    const headerSize = h.readUInt16LE(4);
    if (h.length < HEADER_MIN || src.size < headerSize) throw new FormatError(`the RKFW header gives its size as ${headerSize} bytes, the file has ${src.size}`);
    const v = h.readUInt32LE(6);
    const pad = (n: number) => String(n).padStart(2, '0');
    const loaderOffset = h.readUInt32LE(25);
    const loaderSize = h.readUInt32LE(29);
    const imageOffset = h.readUInt32LE(33);
    const imageSize = h.readUInt32LE(37);
    const info: Record<string, unknown> = {
      headerSize,
      version: `${v >>> 24}.${(v >>> 16) & 0xff}.${v & 0xffff}`,
      toolVersion: `0x${h.readUInt32LE(10).toString(16).padStart(8, '0')}`,
      releaseTime: `${h.readUInt16LE(14)}-${pad(h[16])}-${pad(h[17])} ${pad(h[18])}:${pad(h[19])}:${pad(h[20])}`,
      chip: rockchipChip(h.subarray(21, 25)),
      chipTag: `0x${h.readUInt32LE(21).toString(16)}`,
      loaderOffset,
      loaderSize,
      imageOffset,
      imageSize,
    };
    if (headerSize >= 49 && h.length >= 49) info.osType = h.readUInt32LE(45);
    if (headerSize >= 0x66 && h.length >= 0x66) info.bootStorage = h.readUInt32LE(98);
    const children: ChildSpec[] = [];
    const parts = [
      { name: 'loader.bin', offset: loaderOffset, size: loaderSize, at: 25 },
      { name: 'firmware.img', offset: imageOffset, size: imageSize, at: 33 },
    ];
    const [a, b] = parts;
    const overlap = a.size > 0 && b.size > 0 && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
    if (overlap)
      ctx.fact({ kind: 'unreadable', message: `the loader (bytes ${a.offset}-${a.offset + a.size - 1}) and the firmware image (bytes ${b.offset}-${b.offset + b.size - 1}) overlap; only the loader is read`, offset: 33 });
    let end = headerSize;
    for (const p of parts) {
      if (p.size === 0) continue;
      if (overlap && p === b) continue;
      if (p.offset < headerSize) {
        ctx.fact({ kind: 'unreadable', message: `${p.name}: offset ${p.offset} is inside the ${headerSize}-byte header; not read`, offset: p.at });
        continue;
      }
      const spec: ChildSpec = { name: p.name, source: new SliceSource(src, Math.min(p.offset, src.size), p.size, p.name), info: { offset: p.offset, size: p.size } };
      if (p.offset + p.size > src.size) spec.facts = [{ kind: 'truncated', message: `${p.name} (${p.size} bytes at offset ${p.offset}) runs past the end of the ${src.size}-byte file` }];
      children.push(spec);
      end = Math.max(end, p.offset + p.size);
    }
    const rangeDigests: RangeDigestRequest[] = [];
    if (end + MD5_HEX > src.size) {
      ctx.fact({ kind: 'truncated', message: `the file ends at byte ${src.size}, before the ${MD5_HEX}-character MD5 that follows the image (at ${end})`, offset: end });
      return { info, children, rangeDigests };
    }
    const trailer = (await src.read(end, MD5_HEX)).toString('latin1');
    if (!/^[0-9a-fA-F]{32}$/.test(trailer)) {
      ctx.fact({ kind: 'unreadable', message: `the ${MD5_HEX} bytes after the image (at ${end}) are not an MD5 in hex; the file's MD5 is not checked`, offset: end });
      return { info, children, rangeDigests };
    }
    const md5 = trailer.toLowerCase();
    info.md5 = md5;
    if (src.size > end + MD5_HEX) {
      info.trailingBytes = src.size - end - MD5_HEX;
      ctx.fact({ kind: 'unreadable', message: `${src.size - end - MD5_HEX} bytes follow the MD5 trailer; they are not covered by it`, offset: end + MD5_HEX });
    }
    rangeDigests.push({
      algo: 'md5',
      start: 0,
      end,
      // Only the file's own facts wait on it: the loader and the image inside are read once, for their digests and this MD5.
      standalone: true,
      done(got) {
        if (got === md5) ctx.fact({ kind: 'image-checksum-ok', message: `the MD5 trailer (${md5}) matches bytes 0-${end - 1}`, offset: end });
        else ctx.fact({ kind: 'image-checksum', message: `the MD5 trailer is ${md5}, but bytes 0-${end - 1} give ${got} (MD5)`, offset: end });
      },
    });
    return { info, children, rangeDigests };
  },
};
