import { phrases, counted, labelled } from '../summary';
/**
 * GUID partition tables (FORMATS.md §3): whole-disk images (eMMC with
 * 512-byte sectors, UFS LUNs with 4096) and the table dumps Qualcomm
 * packages ship (§3.6): `gpt_main<N>.bin` / `PrimaryGPT.bin` (protective
 * MBR, header, entries), `gpt_backup<N>.bin` (entries, then the header in
 * the last sector) and `gpt_both<N>.bin` (the two back to back).
 *
 * Both headers are read and judged by EDK2's rules (§3.2); location rules
 * tied to the disk size apply to whole disks only, since a dump's backup
 * carries placeholders that patch0.xml fills in on the device. The table
 * used is the primary when it is valid, else the backup (EDK2's fallback).
 * A whole disk's partitions are its children. One `layout` fact describes
 * the table for the layout/* rules.
 */
import { crc32 } from 'node:zlib';
import type { RandomSource } from '../../io/source';
import { SliceSource } from '../../io/source';
import type { Fact } from '../../report/model';
import { andMore } from '../../report/lists';
import type { ChildSpec, ContainerHandler, ContainerResult, DecodeContext } from '../types';
import { layoutFact, type LayoutEntry } from '../layout';
import { hexByte, isProtectiveMbr, isPureProtectiveMbr, mbrTypeName, readRecords, hasBootSignature, GPT_PROTECTIVE } from '../mbr/records';
import { arrayGeometry, checkHeader, hasGptSignature, hex32, parseEntries, parseHeader, HEADER_MIN, MAX_ARRAY_BYTES, MIN_ARRAY_BYTES, type GptHeader, type GptPartition, type Problem } from './header';
import type { GptHeaderInfo, GptInfo } from '../../report/info';

export type DumpKind = 'disk' | 'gpt_main' | 'gpt_backup' | 'gpt_both';
const SECTOR_SIZES = [512, 4096] as const;
/** Facts of one sort reported before the rest are counted in one more. */
const MAX_REPORTED = 20;

interface Candidate {
  role: 'primary' | 'backup';
  h: GptHeader;
  sector: Buffer;
}

interface TableRead extends Candidate {
  crcOk: boolean | null;
  arrayOk: boolean | null;
  arrayOffset: number | null;
  partitions: GptPartition[] | null;
  /** Signature, header CRC, array read and its CRC all good: the entries can be trusted. */
  usable: boolean;
  /** Usable and no other EDK2 rule broken. */
  valid: boolean;
  /** The first rule it breaks, for the message saying the backup is used instead. */
  firstProblem?: string;
  /** Both CRC fields are zero in a dump: a template whose CRCs the flash tool fills in (MediaTek PGPT/SGPT). */
  zeroCrcTemplate: boolean;
}

/** Names of primary-only table files: Qualcomm `gpt_main0.bin`, `PrimaryGPT.bin` / `PrimaryGPT_0.bin`, MediaTek `PGPT`, `pgpt.bin`, `PGPT_UFS`. */
const MAIN_DUMP_NAME = /^(?:gpt_main\d*\.bin|primarygpt(?:_\d+)?\.bin|pgpt(?:_[a-z0-9]+)?(?:\.bin|\.img)?)$/i;
/** Bytes past a primary-only table that are read to see whether they are only padding. */
const PADDING_CHECK_BYTES = 1 << 20;

/** "gpt_main3.bin" → 3: the UFS LUN (Qualcomm physical partition) a dump belongs to. */
function lunFromName(name: string): number | null {
  const m = /gpt_(?:main|backup|both)(\d+)\.bin$/i.exec(name);
  return m ? Number(m[1]) : null;
}

/** Sectors a main dump has: protective MBR, header and the entry array, up to the first usable LBA. */
function mainSectors(h: GptHeader, ss: number): number {
  const g = arrayGeometry(h);
  const arraySectors = Math.ceil(('bytes' in g ? g.bytes : MIN_ARRAY_BYTES) / ss);
  const sane = h.firstUsableLba >= 2 && h.firstUsableLba <= 2 + MAX_ARRAY_BYTES / ss;
  return Math.max(sane ? h.firstUsableLba : 0, 2 + arraySectors);
}

function protectiveMbrInfo(sector0: Buffer): NonNullable<GptInfo['protectiveMbr']> {
  if (!hasBootSignature(sector0)) return { valid: false };
  const records = readRecords(sector0).filter((r) => r.type !== 0);
  return {
    valid: isProtectiveMbr(sector0),
    hybrid: records.some((r) => r.type !== GPT_PROTECTIVE) || undefined,
    records: records.map((r) => ({
      slot: r.slot + 1,
      type: hexByte(r.type),
      typeName: mbrTypeName(r.type),
      bootable: r.bootFlag === 0x80 || undefined,
      startLba: r.startLba,
      sectors: r.sectors,
    })),
  };
}

/**
 * A primary-only table padded past its entry array (LG and MediaTek tools
 * write whole blocks): nothing but zeros follow the table, and the backup
 * header it points to lies beyond the file. A disk image cut short has
 * partition data there; only the first PADDING_CHECK_BYTES are looked at.
 */
async function onlyPaddingAfter(src: RandomSource, from: number, alternateLba: number, lastIdx: number): Promise<boolean> {
  if (alternateLba !== 0 && alternateLba <= lastIdx) return false;
  if (src.size - from > PADDING_CHECK_BYTES) return false;
  const rest = await src.read(from, src.size - from);
  return rest.length === src.size - from && rest.every((b) => b === 0);
}

async function readSector(src: RandomSource, at: number, ss: number): Promise<Buffer | null> {
  if (at < 0) return null;
  const b = await src.read(at, ss);
  return b.length >= HEADER_MIN && hasGptSignature(b, 0) ? b : null;
}

function childName(p: GptPartition): string {
  const n = p.name.replace(/[\u0000-\u001f/\\]/g, '_');
  return n === '' || n === '.' || n === '..' ? `partition${p.index}` : n;
}

function headerInfo(t: TableRead | null): GptHeaderInfo | undefined {
  if (!t) return undefined;
  const verdict = (ok: boolean | null) => (t.zeroCrcTemplate ? 'zero' : ok === null ? 'unchecked' : ok ? 'ok' : 'bad');
  return {
    offset: t.h.offset,
    lba: t.h.myLba,
    valid: t.valid,
    headerCrc: verdict(t.crcOk),
    entriesCrc: verdict(t.arrayOk),
    alternateLba: t.h.alternateLba,
    firstUsableLba: t.h.firstUsableLba,
    lastUsableLba: t.h.lastUsableLba,
    entriesLba: t.h.entriesLba,
    numEntries: t.h.numEntries,
    entrySize: t.h.entrySize,
  };
}

export const gptHandler: ContainerHandler = {
  id: 'gpt',
  summary: (i) => phrases(counted(i.partitions, 'partition'), labelled('sector', i.sectorSize), labelled('disk', i.diskGuid)),
  kind: 'container',
  traits: { role: 'partition-table', confidence: 'magic' },
  description: 'GUID partition table: whole-disk images and Qualcomm gpt_main/gpt_backup/gpt_both dumps',
  detect: ({ peek, size }) => {
    if (SECTOR_SIZES.some((ss) => hasGptSignature(peek, ss))) return true;
    // A GPT disk whose primary header is gone still has its protective MBR.
    if (isPureProtectiveMbr(peek)) return true;
    // gpt_backup<N>.bin: entries, then the header in the last sector; small enough to be all in the peek.
    return size !== null && size === peek.length && SECTOR_SIZES.some((ss) => size % ss === 0 && size >= 2 * ss && hasGptSignature(peek, size - ss));
  },
  decode: decodeGpt,
};

async function decodeGpt(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult> {
  const size = src.size;
  const fileName = src.name.split(/[\\/]/).pop() ?? src.name;
  const lun = lunFromName(fileName);
  const device = lun === null ? 'disk' : `lun${lun}`;
  const emit = (p: Problem, label: string) => ctx.fact({ kind: p.kind, message: `${label}: ${p.message}`, offset: p.offset });
  const sector0 = await src.read(0, 512);

  // Where the headers are, and what kind of file this is.
  let ss: number | null = null;
  let primary: Candidate | null = null;
  for (const s of SECTOR_SIZES) {
    const b = await readSector(src, s, s);
    if (b) {
      ss = s;
      primary = { role: 'primary', h: parseHeader(b, s), sector: b };
      break;
    }
  }
  let kind: DumpKind;
  let backup: Candidate | null = null;
  let main = 0;
  if (ss !== null && primary) {
    const lastIdx = Math.floor(size / ss) - 1;
    const tail = lastIdx > 1 ? await readSector(src, lastIdx * ss, ss) : null;
    const hT = tail ? parseHeader(tail, lastIdx * ss) : null;
    main = mainSectors(primary.h, ss);
    if (primary.h.alternateLba === lastIdx || (hT && hT.myLba === lastIdx)) kind = 'disk';
    else if (hT && lastIdx + 1 <= 2 * main) kind = 'gpt_both';
    // A main dump padded past its tables is still one when its name says so (the name only tips this case).
    else if (!hT && (size <= main * ss || MAIN_DUMP_NAME.test(fileName) || (await onlyPaddingAfter(src, main * ss, primary.h.alternateLba, lastIdx)))) kind = 'gpt_main';
    else kind = 'disk';
    if (tail && hT && kind !== 'gpt_main') backup = { role: 'backup', h: hT, sector: tail };
    else if (kind === 'disk' && primary.h.alternateLba >= 2 && primary.h.alternateLba < lastIdx) {
      // Not at the end: the image grew after it was partitioned. EDK2 would not look here; sgdisk does.
      const b = await readSector(src, primary.h.alternateLba * ss, ss);
      if (b) backup = { role: 'backup', h: parseHeader(b, primary.h.alternateLba * ss), sector: b };
    }
  } else {
    for (const s of SECTOR_SIZES) {
      const lastIdx = Math.floor(size / s) - 1;
      const b = lastIdx > 1 ? await readSector(src, lastIdx * s, s) : null;
      if (b) {
        ss = s;
        backup = { role: 'backup', h: parseHeader(b, lastIdx * s), sector: b };
        break;
      }
    }
    if (ss === null || !backup) {
      ctx.fact({ kind: 'layout-invalid', message: 'protective MBR, but no GPT header at LBA 1 (512- or 4096-byte sectors) nor in the last sector of the image', offset: 512 });
      return { info: { protectiveMbr: protectiveMbrInfo(sector0) }, children: [] };
    }
    const lastIdx = Math.floor(size / ss) - 1;
    kind = backup.h.myLba === lastIdx || isProtectiveMbr(sector0) ? 'disk' : 'gpt_backup';
    if (kind === 'disk') ctx.fact({ kind: 'layout-invalid', message: `no primary GPT header at LBA 1 (offset ${ss})`, offset: ss });
  }
  const lastIdx = Math.floor(size / ss) - 1;

  // The disk the table describes: the image itself, or more when the image was cut short.
  let diskLast: number | null = null;
  if (kind === 'disk') {
    diskLast = lastIdx;
    if (!backup && primary) {
      if (primary.h.alternateLba > lastIdx) {
        diskLast = primary.h.alternateLba;
        ctx.fact({
          kind: 'truncated',
          message: `the image has ${lastIdx + 1} sectors of ${ss} bytes, but its GPT places the backup header at LBA ${primary.h.alternateLba}: the end of the disk is missing`,
          offset: size,
        });
      } else {
        ctx.fact({
          kind: 'layout-invalid',
          message: `no backup GPT header in the last sector (LBA ${lastIdx})${primary.h.alternateLba !== lastIdx ? ` nor at the primary's alternate LBA ${primary.h.alternateLba}` : ''}`,
          offset: lastIdx * ss,
        });
      }
    }
  }

  const label = (c: Candidate) => `${c.role} GPT header${kind === 'disk' ? ` (LBA ${c.h.offset / ss})` : ''}`;
  const read = async (c: Candidate): Promise<TableRead> => {
    const sectorSize = ss;
    // MediaTek ships PGPT/SGPT with both CRC fields zero; SP Flash Tool computes them when it writes the table.
    const zeroCrcTemplate = kind !== 'disk' && c.h.headerCrc === 0 && c.h.entriesCrc === 0;
    const checked = checkHeader(c.h, c.sector, { role: c.role, sectorSize, lastLba: diskLast });
    const problems = zeroCrcTemplate ? checked.problems.filter((p) => p.kind !== 'gpt-crc') : checked.problems;
    const crcOk = zeroCrcTemplate ? null : checked.crcOk;
    const g = arrayGeometry(c.h);
    let arrayOffset: number | null = null;
    let partitions: GptPartition[] | null = null;
    let arrayOk: boolean | null = null;
    if ('bytes' in g) {
      arrayOffset = arrayLocation(c, g.bytes);
      const arr = await src.read(arrayOffset, g.bytes);
      if (arr.length < g.bytes) {
        ctx.fact({ kind: 'truncated', message: `${label(c)}: the entry array at offset ${arrayOffset} needs ${g.bytes} bytes, the file ends at ${size}`, offset: arrayOffset });
      } else {
        const crc = crc32(arr) >>> 0;
        arrayOk = zeroCrcTemplate ? null : crc === c.h.entriesCrc;
        if (arrayOk === false) problems.push({ kind: 'gpt-crc', message: `partition entry array CRC32 is ${hex32(crc)}, the header says ${hex32(c.h.entriesCrc)}`, offset: c.h.offset + 88 });
        partitions = parseEntries(arr, c.h.entrySize, sectorSize);
      }
    }
    for (const p of problems) emit(p, label(c));
    if (crcOk) ctx.fact({ kind: 'gpt-crc-ok', message: `${label(c)}: header CRC32 matches` });
    if (arrayOk) ctx.fact({ kind: 'gpt-crc-ok', message: `${label(c)}: partition entry array CRC32 matches` });
    const usable = zeroCrcTemplate ? partitions !== null && problems.length === 0 : crcOk === true && arrayOk === true;
    return {
      ...c,
      crcOk,
      arrayOk,
      arrayOffset,
      partitions,
      usable,
      valid: usable && problems.length === 0,
      firstProblem: problems[0]?.message ?? (usable ? undefined : 'its entry array cannot be read'),
      zeroCrcTemplate,
    };
  };

  /** Where a header's entry array is in this file (§3.6 for dumps, whose LBAs may be placeholders). */
  function arrayLocation(c: Candidate, bytes: number): number {
    const s = ss!;
    const h = c.h;
    if (kind === 'disk') return h.entriesLba * s;
    if (c.role === 'primary') return h.entriesLba >= 2 && h.entriesLba * s + bytes <= size ? h.entriesLba * s : 2 * s;
    const start = kind === 'gpt_both' ? main : 0;
    const gap = h.myLba - h.entriesLba;
    // Patched LBAs say how far before the header the array starts; placeholders do not, and then it starts the backup part.
    if (h.myLba > h.entriesLba && gap <= lastIdx - start) return (lastIdx - gap) * s;
    return start * s;
  }

  const tP = primary ? await read(primary) : null;
  const tB = backup ? await read(backup) : null;

  // EDK2: a valid primary; else a valid backup. Failing both, the best that can still be read.
  const order: (TableRead | null)[] = [tP, tB];
  const chosen = order.find((t) => t?.valid) ?? order.find((t) => t?.usable) ?? order.find((t) => t?.partitions) ?? null;
  if (chosen && chosen.role === 'backup' && tP && (chosen.valid || chosen.usable)) {
    ctx.fact({ kind: 'gpt-primary-bad', message: `primary GPT is not valid (${tP.firstProblem}); the partition table is read from the backup at offset ${chosen.h.offset}`, offset: ss });
  } else if (chosen && chosen.role === 'backup' && !tP && kind === 'disk') {
    ctx.fact({ kind: 'gpt-primary-bad', message: `no primary GPT header; the partition table is read from the backup at offset ${chosen.h.offset}`, offset: ss });
  }
  if (tP?.usable && tB?.usable) {
    const diff: string[] = [];
    if (tP.h.entriesCrc !== tB.h.entriesCrc) diff.push('partition entries');
    if (tP.h.numEntries !== tB.h.numEntries || tP.h.entrySize !== tB.h.entrySize) diff.push('entry count or size');
    if (tP.h.diskGuid !== tB.h.diskGuid) diff.push('disk GUID');
    if (tP.h.firstUsableLba !== tB.h.firstUsableLba || (kind === 'disk' && tP.h.lastUsableLba !== tB.h.lastUsableLba)) diff.push('usable range');
    if (diff.length) ctx.fact({ kind: 'layout-invalid', message: `primary and backup GPT disagree: ${diff.join(', ')}`, offset: tB.h.offset });
  }
  if (kind !== 'gpt_backup' && !isProtectiveMbr(sector0)) {
    ctx.fact({ kind: 'layout-invalid', message: hasBootSignature(sector0) ? 'sector 0 has no 0xEE record starting at LBA 1 (not a protective MBR)' : 'sector 0 is not a protective MBR (no 55 AA signature)', offset: 0 });
  }

  const info: GptInfo = {
    dumpKind: kind,
    sectorSize: ss,
    lun: lun ?? undefined,
    diskGuid: chosen?.h.diskGuid,
    protectiveMbr: kind === 'gpt_backup' ? undefined : protectiveMbrInfo(sector0),
    headers: { primary: headerInfo(tP), backup: headerInfo(tB) },
    partitionsFrom: chosen?.role,
    firstUsableLba: chosen?.h.firstUsableLba,
    lastUsableLba: chosen?.h.lastUsableLba,
    partitions: chosen?.partitions ?? undefined,
  };
  if (!chosen || !chosen.partitions) {
    if (!chosen) ctx.fact({ kind: 'layout-invalid', message: 'no GPT header whose partition entries can be read' });
    return { info, children: [] };
  }
  const parts = chosen.partitions;
  // In a zero-CRC template, entries starting at LBA 0 are placed by the flash tool (MediaTek: userdata grows to the end, flashinfo after it).
  const placed = new Set(chosen.zeroCrcTemplate ? parts.filter((p) => p.firstLba === 0).map((p) => p.index) : []);
  const template = templateInfo(kind, chosen, parts, placed);
  if (template) {
    info.template = template.info;
    ctx.fact({ kind: 'gpt-template', message: template.message });
  }
  const closed = new Map<number, string>();
  for (const f of partitionFacts(parts, chosen, kind, ss, closed, placed)) ctx.fact(f);

  const entries: LayoutEntry[] = parts.map((p) => ({
    partition: p.name,
    file: null,
    sizeBytes: placed.has(p.index) ? null : p.sizeBytes,
    startBytes: placed.has(p.index) ? null : p.firstLba * ss,
    device,
    flashed: false,
  }));
  ctx.fact(layoutFact('gpt', entries, { overlapsChecked: true, ...(kind === 'disk' ? { deviceBytes: { [device]: (chosen.h.lastUsableLba + 1) * ss } } : {}) }));

  const children: ChildSpec[] = [];
  if (kind === 'disk' && chosen.usable) {
    for (const p of parts) {
      const start = p.firstLba * ss;
      if (p.sizeBytes === 0 || start >= size) continue;
      const facts: Fact[] = [];
      if (start + p.sizeBytes > size) {
        facts.push({ kind: 'truncated', message: `partition ${p.index} needs ${p.sizeBytes} bytes from offset ${start}, the image ends after ${size - start}`, offset: size - start });
      }
      // EDK2 exposes no partition that breaks its entry rules; opening one that lies over the table would read the table again.
      const notOpened = closed.get(p.index);
      children.push({
        name: childName(p),
        source: new SliceSource(src, start, p.sizeBytes, childName(p)),
        facts: facts.length ? facts : undefined,
        info: { partition: p.index, startOffset: start, ...(notOpened ? { notOpened } : {}) },
        ...(notOpened ? { open: false } : {}),
      });
    }
  }
  return { info, children };
}

/**
 * A table file that is not yet the table on a disk (FORMATS.md §3.6; MediaTek templates: docs/formats.md, `gpt`):
 * a primary-only or backup-only dump whose disk-size fields are filled in on
 * the device, or any dump whose CRC fields are zero (MediaTek PGPT/SGPT, the
 * CRCs computed by SP Flash Tool). Null for a whole disk and for a patched
 * gpt_both dump with its CRCs set.
 */
function templateInfo(kind: DumpKind, t: TableRead, parts: GptPartition[], placed: ReadonlySet<number>): { info: NonNullable<GptInfo['template']>; message: string } | null {
  if (kind === 'disk' || (kind === 'gpt_both' && !t.zeroCrcTemplate)) return null;
  const onDevice = parts.filter((p) => placed.has(p.index) || p.lastLba + 1 === p.firstLba).map((p) => p.name || `partition${p.index}`);
  const said: string[] = [];
  if (t.zeroCrcTemplate) said.push('its CRC fields are zero, to be computed by the flash tool when it writes the table (not checked here)');
  if (kind !== 'gpt_both') said.push(`its disk-size fields (${t.role === 'primary' ? 'alternate and last usable LBA' : 'the header LBA and entry LBA'}) are filled in on the device`);
  if (onDevice.length) said.push(`${onDevice.slice(0, 5).join(', ')}${andMore(onDevice.length, 5)} ${onDevice.length === 1 ? 'is' : 'are'} placed or sized to the end of the disk by the flash tool`);
  return {
    info: {
      crcFields: t.zeroCrcTemplate ? 'zero' : 'set',
      table: kind === 'gpt_backup' ? 'backup' : kind === 'gpt_main' ? 'primary' : 'both',
      placedOnDevice: onDevice.length ? onDevice.slice(0, MAX_REPORTED) : undefined,
    },
    message: `GPT template (${kind === 'gpt_backup' ? 'backup' : kind === 'gpt_main' ? 'primary' : 'primary and backup'} table file): ${said.join('; ')}`,
  };
}

/**
 * EDK2's entry rules (§3.3): first ≤ last, inside the usable range, no
 * overlaps. Partitions breaking the last two go into `closed` with the reason.
 */
function partitionFacts(parts: GptPartition[], t: TableRead, kind: DumpKind, ss: number, closed: Map<number, string>, placed: ReadonlySet<number>): Fact[] {
  const out: Fact[] = [];
  const isDump = kind !== 'disk';
  const h = t.h;
  const entryOffset = (p: GptPartition) => (t.arrayOffset ?? 0) + (p.index - 1) * h.entrySize;
  const label = (p: GptPartition) => `partition ${p.index} (${p.name || 'unnamed'})`;
  const live: GptPartition[] = [];
  let outside = 0;
  for (const p of parts) {
    if (placed.has(p.index)) continue;
    if (p.lastLba < p.firstLba) {
      // In a dump the last, grow-to-fill partition is written with no sectors; patch0.xml sizes it on the device.
      if (isDump && p.lastLba + 1 === p.firstLba) continue;
      out.push({ kind: 'layout-invalid', message: `${label(p)}: first LBA ${p.firstLba} is after its last LBA ${p.lastLba}`, offset: entryOffset(p) + 32 });
      continue;
    }
    live.push(p);
    const below = p.firstLba < h.firstUsableLba;
    // A dump's last usable LBA depends on the disk size, so only the lower bound can be checked there.
    const above = !isDump && p.lastLba > h.lastUsableLba;
    if (below || above) {
      closed.set(p.index, below ? 'starts before the first usable LBA (over the partition table)' : 'ends after the last usable LBA');
      if (outside++ < MAX_REPORTED) {
        out.push({
          kind: 'layout-overlap',
          message: below
            ? `${label(p)}: LBAs ${p.firstLba}..${p.lastLba} start before the first usable LBA ${h.firstUsableLba}`
            : `${label(p)}: LBAs ${p.firstLba}..${p.lastLba} end after the last usable LBA ${h.lastUsableLba}`,
          offset: entryOffset(p) + 32,
        });
      }
    }
  }
  if (outside > MAX_REPORTED) out.push({ kind: 'layout-overlap', message: `${outside - MAX_REPORTED} more partitions lie outside the usable range` });
  live.sort((a, b) => a.firstLba - b.firstLba || a.index - b.index);
  let overlaps = 0;
  let reach: GptPartition | null = null;
  for (const p of live) {
    if (reach && p.firstLba <= reach.lastLba) {
      if (!closed.has(p.index)) closed.set(p.index, `overlaps partition ${reach.index}`);
      if (!closed.has(reach.index)) closed.set(reach.index, `overlaps partition ${p.index}`);
      if (overlaps++ < MAX_REPORTED) {
        const end = Math.min(p.lastLba, reach.lastLba);
        out.push({
          kind: 'layout-overlap',
          message: `${label(p)} overlaps ${label(reach)}: LBAs ${p.firstLba}..${end} (${(end - p.firstLba + 1) * ss} bytes) belong to both`,
          offset: entryOffset(p) + 32,
        });
      }
    }
    if (!reach || p.lastLba > reach.lastLba) reach = p;
  }
  if (overlaps > MAX_REPORTED) out.push({ kind: 'layout-overlap', message: `${overlaps - MAX_REPORTED} more overlapping partitions` });
  return out;
}
