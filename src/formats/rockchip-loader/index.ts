/**
 * Rockchip loader (`MiniLoaderAll.bin`, `*_loader_v*.bin` from boot_merger):
 * the image rkdeveloptool and the Rockchip flash tools send to the mask ROM
 * first. All little-endian. Header (magic `BOOT`, or `LDR ` in newer
 * loaders): u16 header size; u32 version; u32 merge version; release time
 * (u16 year, then month, day, hour, minute, second bytes); u32 chip tag
 * (four ASCII bytes, stored reversed: `C033` is RK3399's `330C`); then
 * three entry tables (471: DDR init code, 472: USB plug code, loader:
 * FlashData/FlashBoot) each as u8 count, u32 offset, u8 entry size; u8
 * sign flag; u8 RC4 flag (0: entry data is RC4-scrambled). An entry: u8
 * size, u32 type (1, 2, 4), 40 bytes of UTF-16LE name, u32 data offset,
 * u32 data size, u32 delay. After the last entry's data, a 4-byte Rockchip
 * CRC-32 of every byte before it (verified).
 */
import type { ChildSpec, ContainerHandler } from '../types';
import type { RangeTap } from '../../io/digest-set';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { crcTap } from '../image-checksum';

const HEADER_MIN = 45;
const ENTRY_MIN = 57;
/** A real loader has a handful of entries; the count is a byte, so at most 255 per table. */
const TABLES = [
  { group: '471', type: 1, at: 25 },
  { group: '472', type: 2, at: 31 },
  { group: 'loader', type: 4, at: 37 },
] as const;

const isMagic = (b: Buffer) => b.length >= 4 && (b.toString('latin1', 0, 4) === 'BOOT' || b.toString('latin1', 0, 4) === 'LDR ');

export const rockchipLoaderHandler: ContainerHandler = {
  id: 'rockchip-loader',
  kind: 'container',
  description: 'Rockchip loader (MiniLoaderAll.bin): DDR init, USB plug and flash-boot entries with a CRC',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => isMagic(peek) && peek.length >= HEADER_MIN && peek.readUInt16LE(4) >= HEADER_MIN && peek.readUInt16LE(4) <= 4096,
  async decode(src, ctx) {
    const h = await src.read(0, 4096);
    const headerSize = h.readUInt16LE(4);
    if (h.length < headerSize) throw new FormatError(`the loader header needs ${headerSize} bytes, the file has ${h.length}`);
    const y = h.readUInt16LE(14);
    const pad = (n: number) => String(n).padStart(2, '0');
    const chipBytes = h.subarray(21, 25);
    const info: Record<string, unknown> = {
      magic: h.toString('latin1', 0, 4).trim(),
      headerSize,
      version: `${(h.readUInt32LE(6) >>> 8).toString(16)}.${(h.readUInt32LE(6) & 0xff).toString(16).padStart(2, '0')}`,
      mergeVersion: `0x${h.readUInt32LE(10).toString(16)}`,
      releaseTime: `${y}-${pad(h[16])}-${pad(h[17])} ${pad(h[18])}:${pad(h[19])}:${pad(h[20])}`,
      chip: Buffer.from(chipBytes)
        .reverse()
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '?'),
      chipTag: `0x${h.readUInt32LE(21).toString(16)}`,
      signFlag: h[43],
      rc4Scrambled: h[44] === 0,
    };
    const children: ChildSpec[] = [];
    const entries: Record<string, unknown>[] = [];
    const taken = new Set<string>();
    let dataEnd = headerSize;
    for (const t of TABLES) {
      const count = h[t.at];
      const offset = h.readUInt32LE(t.at + 1);
      const size = h[t.at + 5];
      if (count === 0) continue;
      if (size < ENTRY_MIN || offset < headerSize || offset + count * size > src.size) {
        throw new FormatError(`the ${t.group} table (${count} entries of ${size} bytes at offset ${offset}) does not fit the ${src.size}-byte file`);
      }
      const table = await src.read(offset, count * size);
      for (let i = 0; i < count; i++) {
        const e = table.subarray(i * size, (i + 1) * size);
        const type = e.readUInt32LE(1);
        const name =
          e
            .subarray(5, 45)
            .toString('utf16le')
            .replace(/\0.*$/s, '')
            .replace(/[^\x20-\x7e]/g, '_') || `entry${i}`;
        const dataOffset = e.readUInt32LE(45);
        const dataSize = e.readUInt32LE(49);
        const entry = { table: t.group, name, type, dataOffset, dataSize, delay: e.readUInt32LE(53) };
        entries.push(entry);
        if (type !== t.type) ctx.fact({ kind: 'unreadable', message: `${t.group} entry ${i} (${name}) has type ${type}, not ${t.type}`, offset: offset + i * size + 1 });
        let child = `${t.group}/${name}`;
        for (let n = 2; taken.has(child); n++) child = `${t.group}/${name}#${n}`;
        taken.add(child);
        if (dataOffset + dataSize > src.size) {
          children.push({
            name: child,
            source: new SliceSource(src, dataOffset, dataSize, child),
            info: entry,
            facts: [{ kind: 'truncated', message: `entry ${name} (${dataSize} bytes at offset ${dataOffset}) runs past the end of the ${src.size}-byte file` }],
          });
          continue;
        }
        dataEnd = Math.max(dataEnd, dataOffset + dataSize);
        children.push({ name: child, source: new SliceSource(src, dataOffset, dataSize, child), info: entry });
      }
    }
    info.entries = entries;
    const rangeTaps: RangeTap[] = [];
    if (dataEnd + 4 <= src.size) {
      const crc = (await src.read(dataEnd, 4)).readUInt32LE(0);
      info.crc = `0x${crc.toString(16).padStart(8, '0')}`;
      rangeTaps.push(crcTap(ctx, 'rockchip-crc32', 0, dataEnd, crc, "the loader's CRC", dataEnd));
      if (src.size > dataEnd + 4) info.trailingBytes = src.size - dataEnd - 4;
    } else ctx.fact({ kind: 'truncated', message: `the file ends at byte ${src.size}, before the 4-byte CRC that follows the last entry (at ${dataEnd})`, offset: dataEnd });
    return { info, children, rangeTaps };
  },
};
