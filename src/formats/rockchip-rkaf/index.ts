/**
 * Rockchip `RKAF` firmware image: what afptool -pack makes from a
 * `package-file` listing, and what rkImageMaker wraps in an `RKFW`
 * update.img (src/formats/rockchip-rkfw); some SDKs ship it alone as
 * update.img. All little-endian. The header: magic `RKAF`; u32 length (the
 * bytes the CRC covers: the file less its last four); model (34 bytes), id
 * (30), manufacturer (56), NUL-padded ASCII from parameter.txt's
 * MACHINE_MODEL, MACHINE_ID and MANUFACTURER; u32 unknown; u32 version
 * (FIRMWARE_VER as major << 24 | minor << 16 | revision); u32 item count;
 * then one 112-byte item per packed file: name (32 bytes, the package-file
 * name: `bootloader`, `parameter`, `boot`...), file name (60, its path in
 * the package-file: `Image/boot.img`), u32 NAND size and u32 NAND address
 * (the partition's, in 512-byte sectors, from parameter's mtdparts;
 * 0xFFFFFFFF when it has none), u32 offset in the image, u32 padded size,
 * u32 size. The header is 2048 bytes for up to 16 items; RK3562 SDKs write
 * a 4096-byte one whose table goes on past 16. Each file starts on a
 * 2048-byte boundary. After the last byte of the image, a 4-byte Rockchip
 * CRC-32 of everything before it, checked in the image's hashing pass.
 *
 * Items are children named by their file name (`Image/boot.img`); the
 * `parameter` item keeps the `PARM` wrapper afptool adds (length, text,
 * CRC: src/formats/rockchip-parameter checks it). An item of file name
 * `SELF` stands for the image itself and `RESERVED` for a partition left
 * unwritten: both are listed, neither is a child. Two items over the same
 * bytes (A/B slots of one image) give one child.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import type { RangeTap } from '../../io/digest-set';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString, crcTap } from '../image-checksum';
import { ItemRanges, safeItemPath, uniqueName } from '../item-ranges';

const TABLE_AT = 140;
const ITEM = 112;
/** Items read; afptool's table holds 16 (32 in the RK3562 variant). */
export const MAX_RKAF_ITEMS = 256;
const NO_ADDRESS = 0xffffffff;

export const rockchipRkafHandler: ContainerHandler = {
  id: 'rockchip-rkaf',
  kind: 'container',
  description: 'Rockchip RKAF firmware image (afptool): items from a package-file, with a Rockchip CRC-32',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= TABLE_AT && peek.toString('latin1', 0, 4) === 'RKAF' && peek.readUInt32LE(4) >= TABLE_AT,
  summary: (info) => {
    const out: string[] = [];
    if (typeof info.model === 'string' && info.model) out.push(`model ${info.model}`);
    if (typeof info.version === 'string') out.push(`version ${info.version}`);
    if (Array.isArray(info.items)) out.push(`${info.items.length} items`);
    return out;
  },
  async decode(src, ctx) {
    if (src.size < TABLE_AT) throw new FormatError(`an RKAF header needs ${TABLE_AT} bytes, the file has ${src.size}`);
    const h = await src.read(0, TABLE_AT);
    const length = h.readUInt32LE(4);
    const v = h.readUInt32LE(132);
    const itemCount = h.readUInt32LE(136);
    const info: Record<string, unknown> = {
      length,
      model: cString(h, 8, 34),
      id: cString(h, 42, 30),
      manufacturer: cString(h, 72, 56),
      version: `${v >>> 24}.${(v >>> 16) & 0xff}.${v & 0xffff}`,
      itemCount,
    };
    const rangeTaps: RangeTap[] = [];
    if (length + 4 > src.size) ctx.fact({ kind: 'truncated', message: `the header gives an image of ${length} bytes and a 4-byte CRC, the file has ${src.size} bytes`, offset: 4 });
    else {
      const crc = (await src.read(length, 4)).readUInt32LE(0);
      info.crc = `0x${crc.toString(16).padStart(8, '0')}`;
      rangeTaps.push(crcTap(ctx, 'rockchip-crc32', 0, length, crc, "the image's CRC", length));
      if (src.size > length + 4) {
        info.trailingBytes = src.size - length - 4;
        ctx.fact({ kind: 'unreadable', message: `${src.size - length - 4} bytes follow the CRC at the end of the ${length}-byte image`, offset: length + 4 });
      }
    }

    let count = itemCount;
    if (count > MAX_RKAF_ITEMS) {
      ctx.fact({ kind: 'budget', message: `the header lists ${itemCount} items, more than ${MAX_RKAF_ITEMS}; only the first ${MAX_RKAF_ITEMS} are read`, offset: 136 });
      count = MAX_RKAF_ITEMS;
    }
    const fit = Math.floor((src.size - TABLE_AT) / ITEM);
    if (count > fit) {
      ctx.fact({ kind: 'truncated', message: `the header lists ${itemCount} items of ${ITEM} bytes; the file holds ${fit}`, offset: 136 });
      count = fit;
    }
    const tableEnd = TABLE_AT + count * ITEM;
    const table = await src.read(TABLE_AT, count * ITEM);
    const items: Record<string, unknown>[] = [];
    info.items = items;
    const children: ChildSpec[] = [];
    const ranges = new ItemRanges();
    const taken = new Set<string>();
    for (let i = 0; i < count; i++) {
      const e = table.subarray(i * ITEM, (i + 1) * ITEM);
      const at = TABLE_AT + i * ITEM;
      const name = cString(e, 0, 32);
      const fileName = cString(e, 32, 60);
      const nandAddress = e.readUInt32LE(100);
      const offset = e.readUInt32LE(96);
      const size = e.readUInt32LE(108);
      const item: Record<string, unknown> = {
        name,
        fileName,
        nandSize: e.readUInt32LE(92),
        nandAddress: nandAddress === NO_ADDRESS ? null : nandAddress,
        offset,
        paddedSize: e.readUInt32LE(104),
        size,
      };
      items.push(item);
      const label = name || fileName || `item ${i}`;
      if (fileName === 'SELF') {
        item.note = 'the image itself (what the flash tool writes to this partition as a backup)';
        continue;
      }
      if (fileName === 'RESERVED') {
        item.note = 'a partition the package leaves unwritten';
        continue;
      }
      if (size === 0) continue;
      if (offset < tableEnd) {
        ctx.fact({ kind: 'unreadable', message: `item ${i} (${label}): its ${size} bytes at offset ${offset} lie over the header or the item table; not read`, offset: at + 96 });
        continue;
      }
      const verdict = ranges.claim({ start: offset, end: offset + size, name: label });
      if (verdict.kind === 'same') {
        item.sameBytesAs = verdict.as;
        continue;
      }
      if (verdict.kind === 'overlaps') {
        ctx.fact({ kind: 'unreadable', message: `item ${i} (${label}): its bytes ${offset}-${offset + size - 1} overlap those of ${verdict.with.name}; not read`, offset: at + 96 });
        continue;
      }
      const child = uniqueName(taken, safeItemPath(fileName) ?? safeItemPath(`${name.replace(/[\\/]/g, '_')}.img`) ?? `item${i}.img`);
      const spec: ChildSpec = { name: child, source: new SliceSource(src, Math.min(offset, src.size), size, child), info: { name, offset, size } };
      if (offset + size > src.size) spec.facts = [{ kind: 'truncated', message: `${label} (${size} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file` }];
      children.push(spec);
    }
    return { info, children, rangeTaps };
  },
};
