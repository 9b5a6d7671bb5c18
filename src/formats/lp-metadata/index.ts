import { phrases, counted, labelled } from '../summary';
/**
 * Dynamic partitions metadata (liblp; FORMATS.md §4): a full `super` image
 * (geometry at 4096, every metadata slot with its backup) or a
 * `super_empty.img` blob (geometry at 0, one metadata copy). Geometry, header
 * and table SHA-256 checksums are verified; every logical partition of a full
 * image is a child read through its extents, so what is inside it is decoded
 * and it can be extracted.
 */
import { createHash } from 'node:crypto';
import type { RandomSource } from '../../io/source';
import type { ChildSpec, ContainerHandler, ContainerResult } from '../types';
import { ChunkMap, ChunkKind } from '../android-sparse/chunk-map';
import { SparseExpandedSource } from '../android-sparse/expanded';
import { layoutFact, type LayoutEntry } from '../layout';
import { MEMORY_COST } from '../../io/limits';
import type { LpMetadataInfo } from '../../report/info';

const GEOMETRY_MAGIC = 0x616c4467;
const HEADER_MAGIC = 0x414c5030;
const SECTOR = 512;
/** Metadata copies larger than this are not believed (AOSP uses 64 KiB). */
const MAX_METADATA = 16 << 20;
const MAX_SLOTS = 8;

interface Geometry {
  metadataMaxSize: number;
  slotCount: number;
  logicalBlockSize: number;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** SHA-256 over the struct with its checksum field (at `at`, 32 bytes) zeroed. */
function checksumOk(b: Buffer, at: number): boolean {
  const copy = Buffer.from(b);
  const want = copy.subarray(at, at + 32).toString('hex');
  copy.fill(0, at, at + 32);
  return sha256(copy) === want;
}

function name36(b: Buffer, off: number): string {
  const f = b.subarray(off, off + 36);
  const nul = f.indexOf(0);
  return (nul < 0 ? f : f.subarray(0, nul)).toString('latin1');
}

/** `checksum` is null when it could not be computed (no magic, a struct size liblp rejects first). */
function parseGeometry(b: Buffer): { geo: Geometry | null; problem?: string; checksum: boolean | null } {
  if (b.length < 52 || b.readUInt32LE(0) !== GEOMETRY_MAGIC) return { geo: null, problem: 'no geometry magic', checksum: null };
  const size = b.readUInt32LE(4);
  if (size !== 52) return { geo: null, problem: `geometry struct_size is ${size}, not 52`, checksum: null };
  const checksum = checksumOk(b.subarray(0, 52), 8);
  const geo = { metadataMaxSize: b.readUInt32LE(40), slotCount: b.readUInt32LE(44), logicalBlockSize: b.readUInt32LE(48) };
  if (geo.metadataMaxSize === 0 || geo.metadataMaxSize % SECTOR !== 0 || geo.metadataMaxSize > MAX_METADATA)
    return { geo: null, problem: `metadata_max_size ${geo.metadataMaxSize} is not a multiple of 512 up to ${MAX_METADATA}`, checksum };
  if (geo.slotCount < 1 || geo.slotCount > MAX_SLOTS) return { geo: null, problem: `metadata_slot_count ${geo.slotCount} is not 1-${MAX_SLOTS}`, checksum };
  if (geo.logicalBlockSize === 0 || geo.logicalBlockSize % SECTOR !== 0) return { geo: null, problem: `logical_block_size ${geo.logicalBlockSize} is not a multiple of 512`, checksum };
  return { geo, checksum };
}

export interface LpPartition {
  name: string;
  attributes: string[];
  group: string;
  size: number;
  extents: { sectors: number; type: 'linear' | 'zero'; start: number; device: number }[];
}

export interface LpMetadata {
  version: string;
  headerSize: number;
  flags: number;
  partitions: LpPartition[];
  groups: { name: string; flags: number; maximumSize: number }[];
  blockDevices: { name: string; firstLogicalSector: number; alignment: number; alignmentOffset: number; size: number; flags: number }[];
}

/** Parses one metadata copy. Checksum problems and rule breaks are returned, not thrown. */
function parseMetadata(b: Buffer, maxSize: number, charge: (bytes: number) => void = () => {}): { md: LpMetadata | null; problems: string[]; checksumProblems: string[] } {
  const problems: string[] = [];
  const checksumProblems: string[] = [];
  const fail = (p: string) => ({ md: null, problems: [...problems, p], checksumProblems });
  if (b.length < 128 || b.readUInt32LE(0) !== HEADER_MAGIC) return fail('no metadata header magic');
  const major = b.readUInt16LE(4);
  const minor = b.readUInt16LE(6);
  const headerSize = b.readUInt32LE(8);
  if (major !== 10 || minor > 2) return fail(`metadata version ${major}.${minor} (romscope reads 10.0-10.2)`);
  if (headerSize !== (minor >= 2 ? 256 : 128)) return fail(`header_size ${headerSize} does not fit version 10.${minor}`);
  if (b.length < headerSize) return fail('metadata header is cut short');
  if (!checksumOk(b.subarray(0, headerSize), 12)) checksumProblems.push('metadata header SHA-256 does not match');
  const tablesSize = b.readUInt32LE(44);
  if (tablesSize > maxSize || headerSize + tablesSize > b.length) return fail(`tables_size ${tablesSize} does not fit in the ${maxSize}-byte metadata area`);
  const tables = b.subarray(headerSize, headerSize + tablesSize);
  if (sha256(tables) !== b.toString('hex', 48, 80)) checksumProblems.push('metadata tables SHA-256 does not match');
  const desc = (at: number, want: number | null, what: string) => {
    const offset = b.readUInt32LE(at);
    const num = b.readUInt32LE(at + 4);
    const size = b.readUInt32LE(at + 8);
    if (want !== null && size !== want) throw new Error(`${what} entries are ${size} bytes, not ${want}`);
    if (size === 0 && num > 0) throw new Error(`${what} entry size is 0`);
    if (offset > tablesSize || offset + num * size > tablesSize) throw new Error(`${what} table (${num} x ${size} at ${offset}) runs past tables_size ${tablesSize}`);
    return { offset, num, size };
  };
  let t;
  try {
    t = { parts: desc(80, 52, 'partition'), extents: desc(92, 24, 'extent'), groups: desc(104, 48, 'group'), devices: desc(116, null, 'block device') };
  } catch (e) {
    return fail((e as Error).message);
  }
  // Each table entry becomes an object (and perhaps a problem line) before anything is checked.
  charge((t.parts.num + t.extents.num + t.groups.num + t.devices.num) * MEMORY_COST.entry);
  const groups = [];
  for (let i = 0; i < t.groups.num; i++) {
    const g = tables.subarray(t.groups.offset + i * t.groups.size);
    groups.push({ name: name36(g, 0), flags: g.readUInt32LE(36), maximumSize: Number(g.readBigUInt64LE(40)) });
  }
  const blockDevices = [];
  for (let i = 0; i < t.devices.num; i++) {
    const d = tables.subarray(t.devices.offset + i * t.devices.size);
    blockDevices.push({
      firstLogicalSector: Number(d.readBigUInt64LE(0)),
      alignment: d.readUInt32LE(8),
      alignmentOffset: d.readUInt32LE(12),
      size: Number(d.readBigUInt64LE(16)),
      name: name36(d, 24),
      flags: d.readUInt32LE(60),
    });
  }
  if (blockDevices.length === 0) problems.push('no block devices');
  const extents = [];
  for (let i = 0; i < t.extents.num; i++) {
    const e = tables.subarray(t.extents.offset + i * t.extents.size);
    const type = e.readUInt32LE(8);
    const ext = { sectors: Number(e.readBigUInt64LE(0)), type: type === 0 ? ('linear' as const) : ('zero' as const), start: Number(e.readBigUInt64LE(12)), device: e.readUInt32LE(20) };
    if (type > 1) problems.push(`extent ${i} has unknown target type ${type}`);
    if (type === 0 && ext.device >= blockDevices.length) problems.push(`extent ${i} targets block device ${ext.device}, there are ${blockDevices.length}`);
    extents.push(ext);
  }
  const allowed = minor >= 1 ? 0xf : 0x3;
  const ATTRS = ['readonly', 'slot-suffixed', 'updated', 'disabled'];
  const partitions: LpPartition[] = [];
  for (let i = 0; i < t.parts.num; i++) {
    const p = tables.subarray(t.parts.offset + i * t.parts.size);
    const name = name36(p, 0);
    const attr = p.readUInt32LE(36);
    const first = p.readUInt32LE(40);
    const num = p.readUInt32LE(44);
    const group = p.readUInt32LE(48);
    if (attr & ~allowed) problems.push(`partition "${name}" has attribute bits 0x${attr.toString(16)} not allowed in 10.${minor}`);
    if (first + num > extents.length) {
      problems.push(`partition "${name}" uses extents ${first}..${first + num - 1}, there are ${extents.length}`);
      continue;
    }
    if (group >= groups.length) problems.push(`partition "${name}" is in group ${group}, there are ${groups.length}`);
    const ex = extents.slice(first, first + num);
    partitions.push({
      name,
      attributes: ATTRS.filter((_, k) => attr & (1 << k)),
      group: groups[group]?.name ?? `#${group}`,
      size: ex.reduce((n, e) => n + e.sectors * SECTOR, 0),
      extents: ex,
    });
  }
  const flags = minor >= 2 && b.length >= 132 ? b.readUInt32LE(128) : 0;
  return { md: { version: `10.${minor}`, headerSize, flags, partitions, groups, blockDevices }, problems, checksumProblems };
}

/** A logical partition's bytes: its LINEAR extents on the super image, ZERO extents as zeros. */
function logicalSource(superImg: RandomSource, p: LpPartition): RandomSource {
  const map = new ChunkMap();
  let at = 0;
  for (const e of p.extents) {
    if (e.type === 'linear') map.push(at, e.sectors, ChunkKind.Raw, e.start * SECTOR);
    at += e.sectors;
  }
  return new SparseExpandedSource(p.name, { map, files: [superImg] }, SECTOR, at);
}

export const lpMetadataHandler: ContainerHandler = {
  id: 'lp-metadata',
  summary: (i) => phrases(counted(i.partitions, 'partition'), counted(i.groups, 'group'), counted(i.metadataSlotCount, 'slot'), labelled('version', i.version)),
  kind: 'container',
  traits: { role: 'partition-table', confidence: 'magic' },
  description: 'dynamic partitions metadata (super.img, super_empty.img; liblp 10.0-10.2)',
  // super_empty: geometry at 0; a full image: at 4096, or only its backup at 8192 when the primary is wiped.
  detect: ({ peek }) => [0, 4096, 8192].some((at) => peek.length >= at + 4 && peek.readUInt32LE(at) === GEOMETRY_MAGIC),
  async decode(src, ctx): Promise<ContainerResult> {
    const invalid = (message: string, offset?: number) => ctx.fact({ kind: 'layout-invalid', message, offset });
    const checksum = (message: string, offset?: number) => ctx.fact({ kind: 'lp-checksum', message, offset });
    const empty = (await src.read(0, 4)).readUInt32LE(0) === GEOMETRY_MAGIC;
    const geoAt = empty ? 0 : 4096;
    // Geometry: primary, then (full images only) the backup copy.
    let geo: Geometry | null = null;
    for (const at of empty ? [geoAt] : [geoAt, geoAt + 4096]) {
      const g = parseGeometry(await src.read(at, 52));
      if (g.checksum === false) checksum(`geometry at offset ${at}: SHA-256 does not match`, at);
      else if (g.checksum) ctx.fact({ kind: 'lp-checksum-ok', message: `geometry at offset ${at} verified` });
      if (g.problem === 'no geometry magic') {
        if (!empty) checksum(`${at === geoAt ? 'primary' : 'backup'} geometry at offset ${at} is missing (no magic): wiped or damaged`, at);
      } else if (g.problem) invalid(`geometry at offset ${at}: ${g.problem}`, at);
      if (g.geo && g.checksum) {
        geo = g.geo;
        break;
      }
      geo ??= g.geo;
    }
    if (!geo) {
      invalid('no usable geometry');
      return { info: { image: empty ? 'super_empty' : 'super' }, children: [] };
    }
    const M = geo.metadataMaxSize;
    const copies: { slot: number; copy: 'primary' | 'backup'; at: number }[] = empty
      ? [{ slot: 0, copy: 'primary', at: 4096 }]
      : Array.from({ length: geo.slotCount }, (_, s) => [
          { slot: s, copy: 'primary' as const, at: 12288 + s * M },
          { slot: s, copy: 'backup' as const, at: 12288 + geo.slotCount * M + s * M },
        ]).flat();
    let md: LpMetadata | null = null;
    const slots: NonNullable<LpMetadataInfo['slots']> = [];
    for (const c of copies) {
      const buf = await src.read(c.at, M);
      let held = 0;
      const r = parseMetadata(buf, M, (n) => {
        ctx.budget.chargeMemory(n, `the LP metadata tables of slot ${c.slot} ${c.copy}`);
        held = n;
      });
      for (const p of r.checksumProblems) checksum(`slot ${c.slot} ${c.copy} metadata (offset ${c.at}): ${p}`, c.at);
      if (r.md && r.checksumProblems.length === 0) ctx.fact({ kind: 'lp-checksum-ok', message: `slot ${c.slot} ${c.copy} metadata verified` });
      // Only the first good copy is judged in detail; the rest must parse and verify.
      if (!md || !r.md) for (const p of r.problems) invalid(`slot ${c.slot} ${c.copy} metadata (offset ${c.at}): ${p}`, c.at);
      slots.push({ slot: c.slot, copy: c.copy, offset: c.at, valid: !!r.md && r.checksumProblems.length === 0 });
      if (!md && r.md && r.checksumProblems.length === 0) md = r.md;
      else ctx.budget.releaseMemory(held); // a copy not used is let go
    }
    const info: LpMetadataInfo = {
      image: empty ? 'super_empty' : 'super',
      metadataMaxSize: M,
      metadataSlotCount: geo.slotCount,
      logicalBlockSize: geo.logicalBlockSize,
      slots,
    };
    if (!md) {
      invalid('no metadata copy parses and verifies');
      return { info, children: [] };
    }
    Object.assign(info, {
      version: md.version,
      flags: md.flags || undefined,
      groups: md.groups,
      blockDevices: md.blockDevices,
      partitions: md.partitions.map((p) => ({ name: p.name, group: p.group, size: p.size, attributes: p.attributes, extents: p.extents.length })),
    });
    const dev0 = md.blockDevices[0];
    if (dev0 && !empty) {
      const reserved = 4096 + 2 * (4096 + M * geo.slotCount);
      if (dev0.firstLogicalSector * SECTOR < reserved) invalid(`first_logical_sector ${dev0.firstLogicalSector} lies inside the metadata area (${reserved} bytes)`);
    }
    // Groups: the partitions in a group must fit its maximum size.
    for (const g of md.groups) {
      const used = md.partitions.filter((p) => p.group === g.name).reduce((n, p) => n + p.size, 0);
      if (g.maximumSize && used > g.maximumSize) ctx.fact({ kind: 'layout-overlap', message: `group ${g.name} holds ${used} bytes of partitions, its maximum is ${g.maximumSize}` });
    }
    const children: ChildSpec[] = [];
    const entries: LayoutEntry[] = [];
    for (const p of md.partitions) {
      const linear = p.extents.filter((e) => e.type === 'linear');
      const group = md.groups.find((g) => g.name === p.group);
      entries.push({
        partition: p.name,
        file: null,
        sizeBytes: empty ? group?.maximumSize || null : p.size,
        startBytes: linear.length === 1 ? linear[0].start * SECTOR : null,
        device: 'super',
        flashed: false,
      });
      if (empty || p.size === 0) continue;
      try {
        // ZERO extents cost nothing to store but everything to read: charge the size first.
        ctx.budget.chargeExpanded(p.size);
      } catch (e) {
        if ((e as Error).name !== 'BudgetError') throw e;
        ctx.fact({ kind: 'budget', message: `logical partition ${p.name} is ${p.size} bytes: ${(e as Error).message}` });
        continue;
      }
      const bad = linear.find((e) => e.device !== 0 || (e.start + e.sectors) * SECTOR > src.size);
      if (bad) {
        if (bad.device !== 0) info.otherBlockDevices = true;
        else invalid(`partition ${p.name} has an extent (sectors ${bad.start}+${bad.sectors}) past the end of the super image (${src.size} bytes)`);
        continue;
      }
      children.push({ name: p.name, source: logicalSource(src, p), info: { group: p.group, attributes: p.attributes } });
    }
    ctx.fact(layoutFact('lp-metadata', entries, { sizesAreLimits: empty, overlapsChecked: true, deviceBytes: dev0 ? { super: dev0.size } : undefined }));
    return { info, children };
  },
};
