/**
 * Amlogic resource image (`logo.img`, magic `AML_RES!` at offset 8; made by
 * Amlogic's res_packer): the boot logo and upgrade pictures. Little-endian
 * header (64 bytes): u32 CRC-32 of every byte after it up to the image
 * size (zlib's CRC without the final inversion; verified), u32 version,
 * `AML_RES!`, u32 image size, u32 item count, u32 alignment. Version 2
 * items follow the header, 64 bytes each: u32 magic 0x27051956, u32, u32
 * data size, u32 data offset, u32, u32 offset of the next item header (0
 * for the last), u32, u32 index, 32-byte name. Each item is a child named
 * by its name (BMP pictures, a gzip-compressed one now and then).
 */
import type { ChildSpec, ContainerHandler } from '../types';
import type { RangeTap } from '../../io/digest-set';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString, crcTap } from '../image-checksum';

const HEADER = 64;
const ITEM = 64;
const ITEM_MAGIC = 0x27051956;

export const amlogicResHandler: ContainerHandler = {
  id: 'amlogic-res',
  kind: 'container',
  description: 'Amlogic resource image (logo.img, AML_RES!): boot logo and upgrade pictures with a CRC-32',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= HEADER && peek.toString('latin1', 8, 16) === 'AML_RES!',
  async decode(src, ctx) {
    const h = await src.read(0, HEADER);
    const crc = h.readUInt32LE(0);
    const version = h.readUInt32LE(4);
    const imageSize = h.readUInt32LE(16);
    const count = h.readUInt32LE(20);
    const info: Record<string, unknown> = { version, imageSize, itemCount: count, alignment: h.readUInt32LE(24), crc: `0x${crc.toString(16).padStart(8, '0')}` };
    const rangeTaps: RangeTap[] = [];
    if (imageSize > src.size) ctx.fact({ kind: 'truncated', message: `the header gives an image size of ${imageSize} bytes, the file has ${src.size}`, offset: 16 });
    else {
      if (imageSize < HEADER) throw new FormatError(`the image size ${imageSize} is smaller than the ${HEADER}-byte header`);
      rangeTaps.push(crcTap(ctx, 'crc32-no-final-xor', 4, imageSize, crc, "the resource image's CRC-32", 0));
      if (src.size > imageSize) info.trailingBytes = src.size - imageSize;
    }
    if (version !== 2) {
      ctx.fact({ kind: 'unsupported', message: `resource image version ${version}: only version 2 items are read` });
      return { info, children: [], rangeTaps };
    }
    const max = Math.min(count, ctx.budget.opts.maxMembers);
    if (count > max) ctx.fact({ kind: 'budget', message: `${count} items, more than ${max} (limit --max-members); the rest are not listed` });
    if (HEADER + max * ITEM > src.size) throw new FormatError(`${max} item headers do not fit the ${src.size}-byte file`);
    const table = await src.read(HEADER, max * ITEM);
    const children: ChildSpec[] = [];
    const taken = new Set<string>();
    for (let i = 0; i < max; i++) {
      const e = table.subarray(i * ITEM, (i + 1) * ITEM);
      if (e.readUInt32LE(0) !== ITEM_MAGIC) {
        ctx.fact({ kind: 'unreadable', message: `item ${i} does not start with the item magic 0x27051956`, offset: HEADER + i * ITEM });
        continue;
      }
      const size = e.readUInt32LE(8);
      const offset = e.readUInt32LE(12);
      let name = cString(e, 32, 32).replace(/[/\\]/g, '_') || `item${i}`;
      for (let k = 2; taken.has(name); k++) name = `${name}#${k}`;
      taken.add(name);
      const entry = { index: i, offset, size };
      if (offset + size > src.size) {
        children.push({
          name,
          source: new SliceSource(src, offset, size, name),
          info: entry,
          facts: [{ kind: 'truncated', message: `item ${name} (${size} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file` }],
        });
        continue;
      }
      children.push({ name, source: new SliceSource(src, offset, size, name), info: entry });
    }
    return { info, children, rangeTaps };
  },
};
