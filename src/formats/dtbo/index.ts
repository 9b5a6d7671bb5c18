/**
 * Android's DT table (`dtbo.img`, and `dtb.img` on many devices): a header
 * and an entry per device tree, all big-endian. The header (32 bytes):
 * magic d7b7ab1e, total_size, header_size, dt_entry_size, dt_entry_count,
 * dt_entries_offset, page_size, version. Each entry: dt_size, dt_offset,
 * id, rev, custom[4] (version 1 uses custom[0] as flags whose low 4 bits
 * name a compression: 0 none, 1 zlib, 2 gzip). Every entry is a child
 * (`<n>.dtbo`), a slice of the image, decoded as an FDT. The partition
 * image usually pads the table and may end in an AVB footer.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';

export const DT_TABLE_MAGIC = 0xd7b7ab1e;
const HEADER_SIZE = 32;
const ENTRY_SIZE = 32;
const COMPRESSION = ['none', 'zlib', 'gzip'];

export const dtboHandler: ContainerHandler = {
  id: 'dtbo',
  kind: 'container',
  description: 'Android DT table (dtbo.img, dtb.img): device tree blobs with id/rev/custom fields',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  detect: ({ peek }) => peek.length >= HEADER_SIZE && peek.readUInt32BE(0) === DT_TABLE_MAGIC,
  async decode(src, ctx) {
    const h = await src.read(0, HEADER_SIZE);
    if (h.length < HEADER_SIZE) throw new FormatError(`the DT table header needs ${HEADER_SIZE} bytes, the file has ${h.length}`);
    const header = {
      totalSize: h.readUInt32BE(4),
      headerSize: h.readUInt32BE(8),
      entrySize: h.readUInt32BE(12),
      entryCount: h.readUInt32BE(16),
      entriesOffset: h.readUInt32BE(20),
      pageSize: h.readUInt32BE(24),
      version: h.readUInt32BE(28),
    };
    const info: Record<string, unknown> = { ...header };
    if (header.totalSize > src.size) ctx.fact({ kind: 'truncated', message: `the DT table's total_size is ${header.totalSize} bytes, the file has ${src.size}`, offset: 4 });
    if (header.headerSize < HEADER_SIZE || header.entrySize < ENTRY_SIZE) {
      throw new FormatError(`header_size ${header.headerSize} or dt_entry_size ${header.entrySize} is smaller than the ${HEADER_SIZE}-byte structures`);
    }
    const tableEnd = header.entriesOffset + header.entryCount * header.entrySize;
    if (header.entriesOffset < header.headerSize || tableEnd > src.size) {
      throw new FormatError(`${header.entryCount} entries of ${header.entrySize} bytes at offset ${header.entriesOffset} do not fit the ${src.size}-byte file`);
    }
    const max = ctx.budget.opts.maxMembers;
    if (header.entryCount > max) {
      ctx.fact({ kind: 'budget', message: `${header.entryCount} entries, more than ${max} (limit --max-members); the rest are not listed` });
    }
    const count = Math.min(header.entryCount, max);
    const children: ChildSpec[] = [];
    const table = await src.read(header.entriesOffset, count * header.entrySize);
    for (let i = 0; i < count; i++) {
      const e = table.subarray(i * header.entrySize, i * header.entrySize + ENTRY_SIZE);
      const size = e.readUInt32BE(0);
      const offset = e.readUInt32BE(4);
      const custom = [0, 1, 2, 3].map((k) => e.readUInt32BE(16 + 4 * k));
      const entry: Record<string, unknown> = { index: i, offset, size, id: `0x${e.readUInt32BE(8).toString(16)}`, rev: `0x${e.readUInt32BE(12).toString(16)}`, custom: custom.map((c) => `0x${c.toString(16)}`) };
      const name = `${i}.dtbo`;
      if (header.version >= 1) entry.compression = COMPRESSION[custom[0] & 0xf] ?? `method ${custom[0] & 0xf}`;
      if (offset < header.headerSize || offset + size > src.size) {
        children.push({
          name,
          source: new SliceSource(src, 0, 0, name),
          readable: false,
          info: entry,
          facts: [{ kind: 'truncated', message: `entry ${i} (${size} bytes at offset ${offset}) lies past the end of the ${src.size}-byte file`, offset: header.entriesOffset + i * header.entrySize }],
        });
        continue;
      }
      if (entry.compression !== undefined && entry.compression !== 'none') {
        children.push({
          name,
          source: new SliceSource(src, offset, size, name),
          info: entry,
          facts: [{ kind: 'unsupported', message: `entry ${i} is ${String(entry.compression)}-compressed; its device tree is hashed, not decoded` }],
        });
        continue;
      }
      children.push({ name, source: new SliceSource(src, offset, size, name), info: entry });
    }
    if (header.totalSize < tableEnd) ctx.fact({ kind: 'unreadable', message: `total_size ${header.totalSize} ends before the entry table (${tableEnd})`, offset: 4 });
    return { info, children };
  },
};
