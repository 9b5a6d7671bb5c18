/**
 * LG `.kdz` (issue 18 item 2): the firmware file LG's flash tools (LGUP)
 * take. A header lists the files the KDZ carries (the `.dz` holding the
 * partitions, the `.dll` the flash tool loads, on newer files a `.dylib`
 * and one more); each is a child, a plain slice of the file. Little-endian,
 * as ehem/kdztools (kdz.py, unkdz.py) and Isaac Garzon's kdz extractor read
 * it:
 *
 * - u32 header size and u32 magic: 1304 / `32 79 44 50` (v1), 1320 /
 *   `34 31 25 80` (v2), 1320 / `24 38 22 25` (v3);
 * - v1: two records of a 256-byte name, u32 size and u32 offset;
 * - v2 and v3: records of a 256-byte name, u64 size and u64 offset: two, a
 *   byte 0 or 3, two more (an unnamed record is all zeros);
 * - v3 only, from byte 1097: u32 size of the extended memory id (at the fixed
 *   offset 0x14738), a 5-byte tag, u64 total size of the additional records,
 *   the suffix map and SKU map (u64 offset, u32 size each), the FTM model
 *   name (32 bytes), the extended SKU map (u64 offset, u32 size); the rest of
 *   the header is zeros.
 *
 * Newer files have a "secure partition" block at byte 1320 (magic
 * `99 07 43 53`, 82448 bytes): u32 flags, u32 part count, u32 signature
 * size, a 512-byte signature, then 52-byte part entries (30-byte name, u8
 * hardware partition, u8 logical partition, u32 start, end and count of
 * sectors, u32 reserved, 32-byte hash). Its signature key and what the hashes
 * cover are not public: it is listed, not checked.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource, readExact } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString } from '../image-checksum';
import { str } from '../summary';

const VARIANTS: { version: 1 | 2 | 3; size: number; magic: number }[] = [
  { version: 1, size: 1304, magic: 0x50447932 },
  { version: 2, size: 1320, magic: 0x80253134 },
  { version: 3, size: 1320, magic: 0x25223824 },
];
const SECURE_AT = 1320;
const SECURE_SIZE = 82448;
const SECURE_MAGIC = 0x53430799;
const SECURE_HEAD = 16 + 512;
const SECURE_PART = 52;
/** Where v3 files keep the extended memory id. */
export const KDZ_EXTENDED_MEM_ID_AT = 0x14738;
/** Secure partition entries listed (the block holds at most 1575). */
export const MAX_KDZ_SECURE_PARTS = 2048;

function variantOf(peek: Buffer) {
  if (peek.length < 8) return null;
  const size = peek.readUInt32LE(0);
  const magic = peek.readUInt32LE(4);
  return VARIANTS.find((v) => v.size === size && v.magic === magic) ?? null;
}

interface KdzRecord {
  name: string;
  size: number;
  offset: number;
  /** Where the record is in the header. */
  at: number;
}

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

export const lgKdzHandler: ContainerHandler = {
  id: 'lg-kdz',
  kind: 'container',
  description: 'LG .kdz: a file table (v1, v2, v3) over the .dz of partitions and the flash tool .dll',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => variantOf(peek) !== null,
  summary: (info) => {
    const out: string[] = [];
    const model = str(info.ftmModelName);
    if (model) out.push(`model ${model}`);
    if (typeof info.version === 'number') out.push(`KDZ v${info.version}`);
    if (Array.isArray(info.records)) out.push(`${info.records.length} files`);
    return out;
  },
  async decode(src, ctx) {
    const v = variantOf(await src.read(0, 8));
    if (!v) throw new FormatError('no KDZ header (size and magic) at offset 0');
    const h = await readExact(src, 0, v.size, `the KDZ v${v.version} header`);
    const records: KdzRecord[] = [];
    const info: Record<string, unknown> = { version: v.version, headerSize: v.size, magic: `0x${v.magic.toString(16)}` };
    let tableEnd: number;
    if (v.version === 1) {
      for (const at of [8, 8 + 264]) records.push({ name: cString(h, at, 256), size: h.readUInt32LE(at + 256), offset: h.readUInt32LE(at + 260), at });
      tableEnd = 8 + 2 * 264;
    } else {
      for (const at of [8, 280, 553, 825]) records.push({ name: cString(h, at, 256), size: u64(h, at + 256), offset: u64(h, at + 264), at });
      const marker = h[552];
      if (marker !== 0 && marker !== 3) ctx.fact({ kind: 'unreadable', message: `the byte after the second KDZ record is ${marker}, not 0 or 3`, offset: 552 });
      tableEnd = 1097;
    }
    const children: ChildSpec[] = [];
    const add = (name: string, offset: number, size: number, where: number, extra: Record<string, unknown> = {}) => {
      if (offset < v.size && size > 0) {
        ctx.fact({ kind: 'unreadable', message: `${name}: its offset ${offset} lies inside the ${v.size}-byte KDZ header; not read`, offset: where });
        return;
      }
      const spec: ChildSpec = { name, source: new SliceSource(src, Math.min(offset, src.size), size, name), info: { offset, size, ...extra } };
      if (offset + size > src.size) spec.facts = [{ kind: 'truncated', message: `${name} (${size} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file` }];
      children.push(spec);
    };
    const listed: Record<string, unknown>[] = [];
    const taken = new Set<string>();
    for (const r of records) {
      if (!r.name) {
        if (r.size !== 0 || r.offset !== 0) ctx.fact({ kind: 'unreadable', message: `an unnamed KDZ record at byte ${r.at} has size ${r.size} and offset ${r.offset}; not read`, offset: r.at });
        continue;
      }
      listed.push({ name: r.name, size: r.size, offset: r.offset });
      let name = r.name.replace(/[/\\]/g, '_');
      if (taken.has(name)) name = `${name}#${listed.length}`;
      taken.add(name);
      add(name, r.offset, r.size, r.at);
    }
    info.records = listed;
    if (v.version === 3) {
      const extSize = h.readUInt32LE(1097);
      info.tag = cString(h, 1101, 5);
      const additional = u64(h, 1106);
      const maps = [
        { name: 'suffix_map.dat', offset: u64(h, 1114), size: h.readUInt32LE(1122), at: 1114 },
        { name: 'sku_map.dat', offset: u64(h, 1126), size: h.readUInt32LE(1134), at: 1126 },
        { name: 'extended_sku_map.dat', offset: u64(h, 1170), size: h.readUInt32LE(1178), at: 1170 },
      ];
      info.ftmModelName = cString(h, 1138, 32);
      info.additionalRecordsSize = additional;
      info.extendedMemId = { offset: KDZ_EXTENDED_MEM_ID_AT, size: extSize };
      for (const m of maps) info[m.name.replace(/\.dat$/, '').replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = { offset: m.offset, size: m.size };
      const sum = maps.reduce((a, m) => a + m.size, 0);
      if (sum !== additional) ctx.fact({ kind: 'unreadable', message: `the KDZ header gives the additional records ${additional} bytes, its three maps take ${sum}`, offset: 1106 });
      if (extSize > 0) add('extended_mem_id.dat', KDZ_EXTENDED_MEM_ID_AT, extSize, 1097);
      for (const m of maps) if (m.size > 0) add(m.name, m.offset, m.size, m.at);
      tableEnd = 1182;
    }
    if (!h.subarray(tableEnd, v.size).every((x) => x === 0))
      ctx.fact({ kind: 'unreadable', message: `bytes ${tableEnd}-${v.size - 1} of the KDZ header are not zeros, as every known variant has them; not read`, offset: tableEnd });

    // The secure partition block, when there is one.
    const sp = await src.read(SECURE_AT, SECURE_HEAD);
    if (v.version > 1 && sp.length >= 16 && sp.readUInt32LE(0) === SECURE_MAGIC) {
      const count = sp.readUInt32LE(8);
      const sigSize = sp.readUInt32LE(12);
      const secure: Record<string, unknown> = { offset: SECURE_AT, flags: `0x${sp.readUInt32LE(4).toString(16)}`, partCount: count, signatureSize: sigSize, checked: false };
      info.securePartition = secure;
      if (SECURE_AT + SECURE_SIZE > src.size) ctx.fact({ kind: 'truncated', message: `the secure partition block (${SECURE_SIZE} bytes at ${SECURE_AT}) runs past the end of the file`, offset: SECURE_AT });
      if (sigSize > 512) ctx.fact({ kind: 'unreadable', message: `the secure partition's signature size ${sigSize} is more than its 512-byte field`, offset: SECURE_AT + 12 });
      const room = Math.floor((SECURE_SIZE - SECURE_HEAD) / SECURE_PART);
      if (count > room) ctx.fact({ kind: 'unreadable', message: `the secure partition lists ${count} parts; its block holds at most ${room}; none are listed`, offset: SECURE_AT + 8 });
      else {
        const n = Math.min(count, MAX_KDZ_SECURE_PARTS);
        const t = await src.read(SECURE_AT + SECURE_HEAD, n * SECURE_PART);
        const parts: Record<string, unknown>[] = [];
        for (let i = 0; i + SECURE_PART <= t.length; i += SECURE_PART)
          parts.push({
            name: cString(t, i, 30),
            hwPartition: t[i + 30],
            logicalPartition: t[i + 31],
            startSector: t.readUInt32LE(i + 32),
            endSector: t.readUInt32LE(i + 36),
            sectorCount: t.readUInt32LE(i + 40),
            hash: t.subarray(i + 48, i + 80).toString('hex'),
          });
        secure.parts = parts;
      }
    }
    return { info, children };
  },
};
