/**
 * Rockchip resource image (`resource.img`, magic `RSCE`; built by the
 * kernel's resource_tool): device trees, boot logos and other files the
 * bootloader loads. All little-endian; sizes in 512-byte blocks. Header:
 * `RSCE`, u16 resource version, u16 index table version, u8 header blocks,
 * u8 table offset (blocks), u8 table entry blocks, u32 entry count. Each
 * entry (one block): `ENTR`, a 256-byte NUL-padded path, then (index table
 * version 0) u32 content offset in blocks and u32 content size in bytes;
 * newer tables put a 32-byte hash and u32 hash size before them. Every
 * file is a child named by its path (a `.dtb` is decoded as an FDT).
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString } from '../image-checksum';

const BLOCK = 512;
const PATH_LEN = 256;

export const rockchipResourceHandler: ContainerHandler = {
  id: 'rockchip-resource',
  kind: 'container',
  description: 'Rockchip resource image (resource.img, RSCE): device trees and logos',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 16 && peek.toString('latin1', 0, 4) === 'RSCE' && peek[8] > 0 && peek[10] > 0,
  async decode(src, ctx) {
    const h = await src.read(0, 16);
    const resourceVersion = h.readUInt16LE(4);
    const tableVersion = h.readUInt16LE(6);
    const headerBlocks = h[8];
    const tableOffset = h[9];
    const entryBlocks = h[10];
    const count = h.readUInt32LE(12);
    const info: Record<string, unknown> = { resourceVersion, tableVersion, headerBlocks, tableOffset, entryBlocks, entryCount: count };
    const tableStart = tableOffset * BLOCK;
    const entrySize = entryBlocks * BLOCK;
    const max = ctx.budget.opts.maxMembers;
    if (count > max) ctx.fact({ kind: 'budget', message: `${count} entries, more than ${max} (limit --max-members); the rest are not listed` });
    const n = Math.min(count, max);
    if (tableStart + n * entrySize > src.size) throw new FormatError(`${n} entries of ${entrySize} bytes at offset ${tableStart} do not fit the ${src.size}-byte file`);
    const table = await src.read(tableStart, n * entrySize);
    const children: ChildSpec[] = [];
    const taken = new Set<string>();
    // Index table version 0 (what every image seen so far uses) has no hash; later ones insert hash[32] and hash_size before the offset.
    const at = tableVersion === 0 ? 4 + PATH_LEN : 4 + PATH_LEN + 36;
    for (let i = 0; i < n; i++) {
      const e = table.subarray(i * entrySize, (i + 1) * entrySize);
      if (e.toString('latin1', 0, 4) !== 'ENTR') {
        ctx.fact({ kind: 'unreadable', message: `entry ${i} does not start with ENTR`, offset: tableStart + i * entrySize });
        continue;
      }
      let name = cString(e, 4, PATH_LEN).replace(/^\/+/, '') || `entry${i}`;
      const offset = e.readUInt32LE(at) * BLOCK;
      const size = e.readUInt32LE(at + 4);
      const entry: Record<string, unknown> = { index: i, offset, size };
      if (tableVersion !== 0) entry.hashSize = e.readUInt32LE(4 + PATH_LEN + 32);
      for (let k = 2; taken.has(name); k++) name = `${name}#${k}`;
      taken.add(name);
      if (offset + size > src.size) {
        children.push({
          name,
          source: new SliceSource(src, offset, size, name),
          info: entry,
          facts: [{ kind: 'truncated', message: `${name} (${size} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file` }],
        });
        continue;
      }
      children.push({ name, source: new SliceSource(src, offset, size, name), info: entry });
    }
    return { info, children };
  },
};
