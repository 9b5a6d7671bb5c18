/**
 * Nokia / FIH `.nb0` flash package (Nokia Android phones made by FIH; the
 * layout HemanthJabalpuri's nb0-unpack tools read): u32 file count, then
 * one 64-byte entry per file: u32 data offset (low), u32 size (low), u32
 * data offset (high), u32 size (high), 48-byte NUL-padded file name. Data
 * offsets count from the end of the entry table. There is no magic and no
 * checksum; the files are plain, so each is a child.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString } from '../image-checksum';

const ENTRY = 64;
/** Entries listed at most; --max-members may lower it. */
export const MAX_NB0_ENTRIES = 4096;

/** A name as a flash package has: printable ASCII, not empty. */
function plausibleName(b: Buffer, at: number): boolean {
  const s = b.subarray(at, at + 48);
  const end = s.indexOf(0);
  if (end === 0) return false;
  return s.subarray(0, end < 0 ? 48 : end).every((c) => c >= 0x20 && c < 0x7f);
}

export const nokiaNb0Handler: ContainerHandler = {
  id: 'nokia-nb0',
  kind: 'container',
  description: 'Nokia / FIH .nb0 flash package: a file table (offsets, sizes, names) and the files',
  traits: { role: 'archive', confidence: 'name' },
  detect: ({ name, size, peek }) => {
    if (!/\.nb0$/i.test(name) || size === null || peek.length < 4 + ENTRY) return false;
    const count = peek.readUInt32LE(0);
    // No magic: a count a table could have and a printable first name (a cut table is still recognised, and said to be cut).
    return count >= 1 && count <= 0xffff && plausibleName(peek, 4 + 16);
  },
  summary: (info) => (Array.isArray(info.entries) ? [`${info.entries.length} files`] : []),
  async decode(src, ctx) {
    if (src.size < 4) throw new FormatError(`${src.size} bytes: shorter than the file count`);
    const count = (await src.read(0, 4)).readUInt32LE(0);
    const dataStart = 4 + count * ENTRY;
    let n = Math.min(count, MAX_NB0_ENTRIES, ctx.budget.opts.maxMembers);
    if (n < count) ctx.fact({ kind: 'budget', message: `${count} files, more than ${n}; the rest are not listed`, offset: 0 });
    const fit = Math.floor((src.size - 4) / ENTRY);
    if (n > fit) {
      ctx.fact({ kind: 'truncated', message: `a table of ${count} entries of ${ENTRY} bytes runs past the end of the ${src.size}-byte file; ${fit} are read`, offset: 4 });
      n = fit;
    }
    const table = await src.read(4, n * ENTRY);
    const entries: Record<string, unknown>[] = [];
    const children: ChildSpec[] = [];
    const taken = new Set<string>();
    let end = dataStart;
    for (let i = 0; i < n; i++) {
      const e = table.subarray(i * ENTRY, (i + 1) * ENTRY);
      const hiOffset = e.readUInt32LE(8);
      const hiSize = e.readUInt32LE(12);
      const fileName = cString(e, 16, 48);
      const label = (fileName || `file${i}`).replace(/[/\\]/g, '_');
      // Past 2^53 bytes no real file reaches: said, not read.
      if (hiOffset >= 1 << 20 || hiSize >= 1 << 20) {
        entries.push({ name: fileName, offsetHigh: hiOffset, sizeHigh: hiSize });
        ctx.fact({ kind: 'unreadable', message: `entry ${i} (${label}): an offset or size past 2^52 bytes; not read`, offset: 4 + i * ENTRY, subject: label });
        continue;
      }
      const offset = dataStart + hiOffset * 2 ** 32 + e.readUInt32LE(0);
      const size = hiSize * 2 ** 32 + e.readUInt32LE(4);
      entries.push({ name: fileName, offset, size });
      let name = label;
      for (let k = 2; taken.has(name); k++) name = `${label}#${k}`;
      taken.add(name);
      if (offset + size > src.size) {
        ctx.fact({ kind: 'truncated', message: `${name} (${size} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file`, offset: 4 + i * ENTRY, subject: name });
        continue;
      }
      end = Math.max(end, offset + size);
      children.push({ name, source: new SliceSource(src, offset, size, name), info: { offset, size } });
    }
    const info: Record<string, unknown> = { fileCount: count, dataOffset: dataStart, entries };
    if (end < src.size && n === count) info.trailingBytes = src.size - end;
    return { info, children };
  },
};
