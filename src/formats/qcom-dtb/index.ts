/**
 * Qualcomm `QCDT` device-tree image (`dt.img` of msm kernels before DTBO,
 * made by dtbTool; the `dt` section of a v0 boot image). Little-endian:
 * `QCDT`, u32 version (1-3), u32 entry count, then the entries: platform
 * id, variant id, (v2+) subtype, SoC revision, (v3) four PMIC ids, u32
 * offset, u32 size of its FDT. Several entries often share one FDT; each
 * distinct FDT is one child `<n>.dtb`, its entries listed in its info.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';

const WORDS = { 1: 5, 2: 6, 3: 10 } as Record<number, number>;
const hex = (n: number) => `0x${n.toString(16)}`;

export const qcomDtbHandler: ContainerHandler = {
  id: 'qcom-dtb',
  kind: 'container',
  description: 'Qualcomm QCDT device-tree image (dt.img): FDTs with platform, variant, subtype, SoC revision and PMIC ids',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 12 && peek.toString('latin1', 0, 4) === 'QCDT' && WORDS[peek.readUInt32LE(4)] !== undefined,
  async decode(src, ctx) {
    const h = await src.read(0, 12);
    const version = h.readUInt32LE(4);
    const count = h.readUInt32LE(8);
    const words = WORDS[version];
    const entrySize = 4 * words;
    const max = ctx.budget.opts.maxMembers;
    if (count > max) ctx.fact({ kind: 'budget', message: `${count} entries, more than ${max} (limit --max-members); the rest are not listed` });
    const n = Math.min(count, max);
    if (12 + n * entrySize > src.size) throw new FormatError(`${n} entries of ${entrySize} bytes do not fit the ${src.size}-byte file`);
    const table = await src.read(12, n * entrySize);
    const byBlob = new Map<string, { offset: number; size: number; entries: Record<string, unknown>[] }>();
    for (let i = 0; i < n; i++) {
      const w = (k: number) => table.readUInt32LE(i * entrySize + 4 * k);
      const entry: Record<string, unknown> = { index: i, platformId: hex(w(0)), variantId: hex(w(1)) };
      let k = 2;
      if (version >= 2) entry.subtypeId = hex(w(k++));
      entry.socRev = hex(w(k++));
      if (version >= 3) entry.pmicIds = [w(k++), w(k++), w(k++), w(k++)].map(hex);
      const offset = w(k);
      const size = w(k + 1);
      Object.assign(entry, { offset, size });
      const key = `${offset}:${size}`;
      const blob = byBlob.get(key);
      if (blob) blob.entries.push(entry);
      else byBlob.set(key, { offset, size, entries: [entry] });
    }
    const children: ChildSpec[] = [];
    let i = 0;
    for (const b of byBlob.values()) {
      const name = `${i++}.dtb`;
      const info = { offset: b.offset, size: b.size, entries: b.entries };
      if (b.offset < 12 + count * entrySize || b.offset + b.size > src.size) {
        children.push({
          name,
          source: new SliceSource(src, 0, 0, name),
          readable: false,
          info,
          facts: [{ kind: 'truncated', message: `the FDT of entry ${String(b.entries[0].index)} (${b.size} bytes at offset ${b.offset}) lies outside the ${src.size}-byte file` }],
        });
      } else children.push({ name, source: new SliceSource(src, b.offset, b.size, name), info });
    }
    return { info: { version, entryCount: count, distinctDtbs: byBlob.size }, children };
  },
};
