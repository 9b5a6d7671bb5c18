/**
 * Amlogic multi-DTB (`dtb.img` / `_aml_dtb` of Amlogic TV boxes and
 * boards; often gzip-compressed, which the gzip handler unwraps first).
 * Little-endian header: magic `AML_` (0x5F4C4D41), u32 version (1: 4-byte
 * name fields, 2: 16-byte), u32 entry count; then per entry three name
 * fields (SoC, platform, variant: ASCII, each 4-byte word stored reversed,
 * padded with spaces or NULs), u32 offset and u32 size of its FDT. The
 * names join to the `amlogic-dt-id` the bootloader picks the tree by
 * (`gxl_p212_2g`). Every entry is a child `<id>.dtb`, decoded as an FDT.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';

export const AML_DTB_MAGIC = 0x5f4c4d41;
const FIELD = { 1: 4, 2: 16 } as Record<number, number>;

/** One name field: every 4-byte word reversed, padding cut. */
function nameField(b: Buffer): string {
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(b[i + 3], b[i + 2], b[i + 1], b[i]);
  return Buffer.from(out)
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .replace(/\0.*$/s, '')
    .replace(/[^\x20-\x7e]/g, '?');
}

export const amlogicDtbHandler: ContainerHandler = {
  id: 'amlogic-dtb',
  kind: 'container',
  description: 'Amlogic multi-DTB (dtb.img, AML_ header): one device tree per SoC/platform/variant',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 12 && peek.readUInt32LE(0) === AML_DTB_MAGIC && FIELD[peek.readUInt32LE(4)] !== undefined,
  async decode(src, ctx) {
    const h = await src.read(0, 12);
    const version = h.readUInt32LE(4);
    const count = h.readUInt32LE(8);
    const len = FIELD[version];
    const entrySize = 3 * len + 8;
    const max = ctx.budget.opts.maxMembers;
    if (count > max) ctx.fact({ kind: 'budget', message: `${count} entries, more than ${max} (limit --max-members); the rest are not listed` });
    const n = Math.min(count, max);
    if (12 + n * entrySize > src.size) throw new FormatError(`${n} entries of ${entrySize} bytes do not fit the ${src.size}-byte file`);
    const table = await src.read(12, n * entrySize);
    const children: ChildSpec[] = [];
    const entries: Record<string, unknown>[] = [];
    const taken = new Set<string>();
    for (let i = 0; i < n; i++) {
      const e = table.subarray(i * entrySize, (i + 1) * entrySize);
      const [soc, platform, variant] = [0, 1, 2].map((k) => nameField(e.subarray(k * len, (k + 1) * len)));
      const offset = e.readUInt32LE(3 * len);
      const size = e.readUInt32LE(3 * len + 4);
      const id = [soc, platform, variant].join('_');
      const entry = { index: i, id, soc, platform, variant, offset, size };
      entries.push(entry);
      let name = `${id.replace(/[/\\]/g, '_') || `entry${i}`}.dtb`;
      for (let k = 2; taken.has(name); k++) name = `${id}#${k}.dtb`;
      taken.add(name);
      if (offset < 12 + count * entrySize || offset + size > src.size) {
        children.push({
          name,
          source: new SliceSource(src, 0, 0, name),
          info: entry,
          readable: false,
          facts: [{ kind: 'truncated', message: `entry ${id} (${size} bytes at offset ${offset}) lies outside the ${src.size}-byte file` }],
        });
      } else children.push({ name, source: new SliceSource(src, offset, size, name), info: entry });
    }
    return { info: { version, entryCount: count, entries }, children };
  },
};
