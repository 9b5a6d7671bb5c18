import { phrases, counted, labelled } from '../summary';
/**
 * Classic MBR partition tables (FORMATS.md §3.1): SD-card and older eMMC
 * images, MediaTek `MBR` files, and hybrid MBRs whose GPT is gone. A GPT
 * disk's protective MBR is not this format: `gpt` claims those disks and
 * describes their MBR in its own info.
 *
 * Detection is deliberately strict (the signature alone is two bytes):
 * sane boot flags, zeroed empty records, non-overlapping records, at most
 * one extended partition, and not a FAT/NTFS/exFAT boot sector. Extended
 * partitions are followed through their chain of extended boot records
 * (EBRs) with a hop limit. Partitions are numbered as Linux and sfdisk
 * number them: 1–4 for the four records, 5 and up for logical partitions.
 */
import type { RandomSource } from '../../io/source';
import { SliceSource } from '../../io/source';
import type { Fact } from '../../report/model';
import type { ChildSpec, ContainerHandler, ContainerResult, DecodeContext } from '../types';
import { layoutFact, type LayoutEntry } from '../layout';
import { hasGptSignature } from '../gpt/header';
import { EXTENDED_TYPES, GPT_PROTECTIVE, SECTOR, hasBootSignature, hexByte, isPureProtectiveMbr, mbrImplausible, mbrTypeName, readRecords } from './records';
import type { MbrInfo } from '../../report/info';

/** More logical partitions than this is a loop or garbage (Linux stops at 100 hops too). */
const MAX_LOGICAL = 128;
const MAX_REPORTED = 20;

export interface MbrPartition {
  number: number;
  kind: 'primary' | 'extended' | 'logical';
  type: string;
  typeName?: string;
  bootable?: boolean;
  startLba: number;
  sectors: number;
  sizeBytes: number;
}

export const mbrHandler: ContainerHandler = {
  id: 'mbr',
  summary: (i) => phrases(counted(i.partitions, 'partition'), labelled('disk signature', i.diskSignature)),
  kind: 'container',
  traits: { role: 'partition-table', confidence: 'weak-magic' },
  description: 'classic or hybrid MBR partition table, with extended (logical) partitions',
  detect: ({ peek }) => peek.length >= SECTOR && !hasGptSignature(peek, 512) && !hasGptSignature(peek, 4096) && !isPureProtectiveMbr(peek) && mbrImplausible(peek) === null,
  decode: decodeMbr,
};

async function decodeMbr(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult> {
  const size = src.size;
  const s0 = await src.read(0, SECTOR);
  if (s0.length < SECTOR) {
    ctx.fact({ kind: 'truncated', message: `an MBR needs ${SECTOR} bytes, the file has ${s0.length}`, offset: s0.length });
    return { info: {}, children: [] };
  }
  const why = mbrImplausible(s0);
  if (why) ctx.fact({ kind: 'layout-invalid', message: `not a usable MBR: ${why}`, offset: 446 });
  if (!hasBootSignature(s0)) return { info: {}, children: [] };
  const records = readRecords(s0).filter((r) => r.type !== 0 && r.sectors > 0);
  // A file that reaches into its partitions is a disk image; a bare 512-byte table (MediaTek `MBR`) is not.
  const isDisk = size > SECTOR && records.some((r) => r.startLba * SECTOR < size);
  const parts: MbrPartition[] = [];
  for (const r of records) parts.push(makePartition(r.slot + 1, EXTENDED_TYPES.has(r.type) ? 'extended' : 'primary', r.type, r.bootFlag, r.startLba, r.sectors));

  const ext = records.find((r) => EXTENDED_TYPES.has(r.type));
  // Partitions not opened, with the reason: those over a table (the MBR, an EBR) or over another partition.
  const closed = new Map<number, string>();
  const ebrs = new Set<number>();
  if (ext && isDisk) parts.push(...(await readLogical(src, ctx, ext.startLba, ext.sectors, ebrs, closed)));

  const data = parts.filter((p) => p.kind !== 'extended');
  for (const f of overlapFacts(data, closed)) ctx.fact(f);
  for (const p of data) {
    if (p.startLba === 0) closed.set(p.number, 'starts at LBA 0 (over the MBR)');
    else for (const e of ebrs) if (e >= p.startLba && e < p.startLba + p.sectors) closed.set(p.number, `holds the extended boot record at LBA ${e}`);
  }

  const info: MbrInfo = {
    dumpKind: isDisk ? 'disk' : 'table',
    sectorSize: SECTOR,
    diskSignature: `0x${s0.readUInt32LE(440).toString(16).padStart(8, '0')}`,
    hybrid: records.some((r) => r.type === GPT_PROTECTIVE) || undefined,
    partitions: parts,
  };
  const entries: LayoutEntry[] = data
    .filter((p) => p.type !== hexByte(GPT_PROTECTIVE))
    .map((p) => ({ partition: `partition${p.number}`, file: null, sizeBytes: p.sizeBytes, startBytes: p.startLba * SECTOR, device: 'disk', flashed: false }));
  ctx.fact(layoutFact('mbr', entries, { overlapsChecked: true }));

  const children: ChildSpec[] = [];
  if (isDisk) {
    for (const p of data) {
      const start = p.startLba * SECTOR;
      if (p.type === hexByte(GPT_PROTECTIVE) || start >= size) continue;
      const facts: Fact[] = [];
      if (start + p.sizeBytes > size) {
        facts.push({ kind: 'truncated', message: `partition ${p.number} needs ${p.sizeBytes} bytes from offset ${start}, the image ends after ${size - start}`, offset: size - start });
      }
      const name = `partition${p.number}`;
      const notOpened = closed.get(p.number);
      children.push({
        name,
        source: new SliceSource(src, start, p.sizeBytes, name),
        facts: facts.length ? facts : undefined,
        info: { partition: p.number, startOffset: start, ...(notOpened ? { notOpened } : {}) },
        ...(notOpened ? { open: false } : {}),
      });
    }
  }
  return { info, children };
}

/**
 * Follows the EBR chain of an extended partition: each EBR holds one logical
 * partition (relative to the EBR) and a link to the next EBR (relative to the
 * extended partition's start). Records 3 and 4 of an EBR are ignored, as Linux
 * mostly does (they often hold garbage).
 */
async function readLogical(src: RandomSource, ctx: DecodeContext, extStart: number, extSectors: number, seen: Set<number>, closed: Map<number, string>): Promise<MbrPartition[]> {
  const out: MbrPartition[] = [];
  let number = 5;
  let cur: number | null = extStart;
  for (let hops = 0; cur !== null; hops++) {
    if (hops >= MAX_LOGICAL) {
      ctx.fact({ kind: 'layout-invalid', message: `the extended partition's EBR chain is longer than ${MAX_LOGICAL} links; the rest is not read`, offset: cur * SECTOR });
      break;
    }
    if (seen.has(cur)) {
      ctx.fact({ kind: 'layout-invalid', message: `the EBR chain loops back to LBA ${cur}`, offset: cur * SECTOR });
      break;
    }
    seen.add(cur);
    const ebr = await src.read(cur * SECTOR, SECTOR);
    if (ebr.length < SECTOR) {
      ctx.fact({ kind: 'truncated', message: `the extended boot record at LBA ${cur} is past the end of the image`, offset: src.size });
      break;
    }
    if (!hasBootSignature(ebr)) {
      ctx.fact({ kind: 'layout-invalid', message: `the extended boot record at LBA ${cur} has no 55 AA signature`, offset: cur * SECTOR + 510 });
      break;
    }
    const recs = readRecords(ebr).slice(0, 2);
    let next: number | null = null;
    for (const r of recs) {
      if (r.sectors === 0 || r.type === 0) continue;
      if (EXTENDED_TYPES.has(r.type)) {
        next ??= extStart + r.startLba;
        continue;
      }
      const p = makePartition(number++, 'logical', r.type, r.bootFlag, cur + r.startLba, r.sectors);
      if (p.startLba < extStart || p.startLba + p.sectors > extStart + extSectors) {
        closed.set(p.number, 'lies outside its extended partition');
        ctx.fact({
          kind: 'layout-overlap',
          message: `logical partition ${p.number} (LBAs ${p.startLba}..${p.startLba + p.sectors - 1}) lies outside its extended partition (${extStart}..${extStart + extSectors - 1})`,
          offset: cur * SECTOR + 446 + r.slot * 16,
        });
      }
      out.push(p);
    }
    cur = next;
  }
  return out;
}

function makePartition(number: number, kind: MbrPartition['kind'], type: number, boot: number, startLba: number, sectors: number): MbrPartition {
  return { number, kind, type: hexByte(type), typeName: mbrTypeName(type), bootable: boot === 0x80 || undefined, startLba, sectors, sizeBytes: sectors * SECTOR };
}

function overlapFacts(parts: MbrPartition[], closed: Map<number, string>): Fact[] {
  const out: Fact[] = [];
  const sorted = [...parts].sort((a, b) => a.startLba - b.startLba || a.number - b.number);
  let reach: MbrPartition | null = null;
  let n = 0;
  for (const p of sorted) {
    const end = p.startLba + p.sectors - 1;
    if (reach && p.startLba <= reach.startLba + reach.sectors - 1) {
      if (!closed.has(p.number)) closed.set(p.number, `overlaps partition ${reach.number}`);
      if (!closed.has(reach.number)) closed.set(reach.number, `overlaps partition ${p.number}`);
      if (n++ < MAX_REPORTED) {
        const shared = Math.min(end, reach.startLba + reach.sectors - 1);
        out.push({ kind: 'layout-overlap', message: `partition ${p.number} overlaps partition ${reach.number}: LBAs ${p.startLba}..${shared} belong to both` });
      }
    }
    if (!reach || end > reach.startLba + reach.sectors - 1) reach = p;
  }
  if (n > MAX_REPORTED) out.push({ kind: 'layout-overlap', message: `${n - MAX_REPORTED} more overlapping partitions` });
  return out;
}
