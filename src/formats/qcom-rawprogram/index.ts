/**
 * Qualcomm firehose flashing lists (FORMATS.md §10.3): `rawprogram<N>.xml`
 * (root `<data>`, one `<program>` per partition image to write, `<erase>`...)
 * and `patch<N>.xml` (root `<patches>`, `<patch>` edits of the GPT). Read with
 * the strict little reader in ./xml (no DTDs, no entities, capped), never with
 * a general XML library. `N` is the physical partition (UFS LUN); a file may
 * also mix LUNs, so the layout is one table whose devices are `lun<N>`.
 */
import type { DocumentHandler } from '../types';
import type { Fact } from '../../report/model';
import { firstN } from '../../report/lists';
import { exactNumber, layoutFact, layoutNumber, type LayoutEntry } from '../layout';
import { parseSimpleXml, type XmlElement } from './xml';

const RAWPROGRAM_NAME = /(rawprogram|patch)[^/]*\.xml$/i;
/** Real lists have a few hundred elements at most. */
const MAX_ELEMENTS = 20_000;
const MAX_PROBLEMS = 50;
/** `start_sector` (and patch values) may be an expression such as `NUM_DISK_SECTORS-33.`: kept as text. */
const EXPRESSION = /^[A-Za-z0-9_\s+\-*/().,]*$/;

export interface RawProgram {
  label: string;
  filename: string;
  /** As written: a number, or an expression relative to the disk size. */
  startSector: string;
  /** Numbers past 2^53 are bigints (written as decimal strings in JSON). */
  numPartitionSectors: number | bigint | null;
  sectorSizeInBytes: number | bigint | null;
  physicalPartitionNumber: number | bigint | null;
  sparse: boolean;
  startByteHex: string | null;
  fileSectorOffset: number | bigint | null;
}

export interface RawPatch {
  filename: string;
  physicalPartitionNumber: number | bigint | null;
  startSector: string;
  byteOffset: number | bigint | null;
  sizeInBytes: number | bigint | null;
  value: string;
  what: string | null;
}

export interface ParsedRawprogram {
  root: string | null;
  programs: RawProgram[];
  patches: RawPatch[];
  /** Other elements under the root, counted by name (`erase`, `read`, `zeroout`...). */
  other: Record<string, number>;
  problems: Fact[];
}

/** The root element's name, skipping the prolog, comments and a DOCTYPE (so a hostile one is still recognised). */
export function rootElementName(text: string): string | null {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let guard = 0; guard < 64; guard++) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i);
      if (e < 0) return null;
      i = e + 2;
    } else if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i);
      if (e < 0) return null;
      i = e + 3;
    } else if (text.startsWith('<!', i)) {
      const bracket = text.indexOf('[', i);
      const gt = text.indexOf('>', i);
      if (gt < 0) return null;
      if (bracket >= 0 && bracket < gt) {
        const e = text.indexOf(']>', bracket);
        if (e < 0) return null;
        i = e + 2;
      } else i = gt + 1;
    } else {
      const m = /^<([A-Za-z_][A-Za-z0-9_.:-]*)/.exec(text.slice(i, i + 64));
      return m ? m[1] : null;
    }
  }
  return null;
}

function looksLikeRawprogram(text: string, name: string): boolean {
  const root = rootElementName(text);
  if (root !== 'data' && root !== 'patches') return false;
  return RAWPROGRAM_NAME.test(name) || /<(program|patch)\s/.test(text);
}

/** Decimal (a trailing '.' marks a decimal in Qualcomm's syntax: `33.`) or hex; past 2^53 a bigint. */
function int(v: string | undefined): number | bigint | null {
  return v === undefined ? null : layoutNumber(v);
}

function parseRawprogram(text: string): ParsedRawprogram {
  const problems: Fact[] = [];
  const xml = parseSimpleXml(text, { maxElements: MAX_ELEMENTS });
  if (xml.problem) problems.push({ kind: 'layout-invalid', message: `${xml.problem.message} (character ${xml.problem.offset})` });
  const out: ParsedRawprogram = { root: xml.root, programs: [], patches: [], other: {}, problems };
  if (xml.root !== null && xml.root !== 'data' && xml.root !== 'patches') {
    problems.push({ kind: 'layout-invalid', message: `root element is <${xml.root}>, not <data> or <patches>` });
    return out;
  }
  const bad = (el: XmlElement, message: string) => problems.push({ kind: 'layout-invalid', message: `<${el.name}> ${out.programs.length + out.patches.length + 1} (character ${el.offset}): ${message}` });
  const need = (el: XmlElement, attrs: string[]) => {
    const missing = attrs.filter((a) => el.attrs[a] === undefined);
    if (missing.length) bad(el, `no ${missing.join(', ')}`);
  };
  const number = (el: XmlElement, a: string): number | bigint | null => {
    const v = el.attrs[a];
    const n = int(v);
    if (v !== undefined && n === null) bad(el, `${a}="${v}" is not a number`);
    return n;
  };
  const sector = (el: XmlElement, a: string): string => {
    const v = (el.attrs[a] ?? '').trim();
    if (v !== '' && !EXPRESSION.test(v)) bad(el, `${a}="${v}" is neither a number nor an expression`);
    return v;
  };
  for (const el of xml.elements) {
    if (el.depth !== 1) continue;
    if (el.name === 'program') {
      need(el, ['SECTOR_SIZE_IN_BYTES', 'num_partition_sectors', 'physical_partition_number', 'start_sector']);
      const p: RawProgram = {
        label: el.attrs.label ?? '',
        filename: el.attrs.filename ?? '',
        startSector: sector(el, 'start_sector'),
        numPartitionSectors: number(el, 'num_partition_sectors'),
        sectorSizeInBytes: number(el, 'SECTOR_SIZE_IN_BYTES'),
        physicalPartitionNumber: number(el, 'physical_partition_number'),
        sparse: /^true$/i.test(el.attrs.sparse ?? ''),
        startByteHex: el.attrs.start_byte_hex ?? null,
        fileSectorOffset: number(el, 'file_sector_offset'),
      };
      if (p.sectorSizeInBytes === 0) bad(el, 'SECTOR_SIZE_IN_BYTES is 0');
      out.programs.push(p);
    } else if (el.name === 'patch') {
      need(el, ['SECTOR_SIZE_IN_BYTES', 'byte_offset', 'filename', 'physical_partition_number', 'size_in_bytes', 'start_sector', 'value']);
      out.patches.push({
        filename: el.attrs.filename ?? '',
        physicalPartitionNumber: number(el, 'physical_partition_number'),
        startSector: sector(el, 'start_sector'),
        byteOffset: number(el, 'byte_offset'),
        sizeInBytes: number(el, 'size_in_bytes'),
        value: el.attrs.value ?? '',
        what: el.attrs.what ?? null,
      });
    } else out.other[el.name] = (out.other[el.name] ?? 0) + 1;
  }
  return out;
}

function rawprogramLayout(r: ParsedRawprogram): LayoutEntry[] {
  return r.programs
    .filter((p) => p.label !== '')
    .map((p) => {
      const ss = exactNumber(p.sectorSizeInBytes) || null;
      const start = exactNumber(layoutNumber(p.startSector));
      const sectors = exactNumber(p.numPartitionSectors);
      // Past 2^53 bytes a size or start is not compared (no disk is that large): unknown.
      const bytes = (n: number | null) => (ss !== null && n !== null && Number.isSafeInteger(n * ss) ? n * ss : null);
      return {
        partition: p.label,
        file: p.filename === '' ? null : p.filename,
        // 0 sectors is the "grow to the end of the disk" last partition.
        sizeBytes: bytes(sectors),
        startBytes: bytes(start),
        device: `lun${p.physicalPartitionNumber ?? '?'}`,
        flashed: p.filename !== '',
      };
    });
}

export const qcomRawprogramHandler: DocumentHandler = {
  id: 'qcom-rawprogram',
  kind: 'document',
  traits: { role: 'layout', confidence: 'name' },
  description: 'Qualcomm firehose rawprogram*.xml / patch*.xml',
  detect: ({ peek, name }) => looksLikeRawprogram(peek.toString('latin1'), name),
  decode(bytes, ctx) {
    const r = parseRawprogram(bytes.toString('utf8'));
    for (const p of firstN<Fact>(r.problems, MAX_PROBLEMS, (n) => ({ kind: 'layout-invalid', message: `${n} more problems` }))) ctx.fact(p);
    if (r.root === 'data') ctx.fact(layoutFact('qcom-rawprogram', rawprogramLayout(r)));
    const luns = [...new Set([...r.programs, ...r.patches].map((p) => exactNumber(p.physicalPartitionNumber)).filter((n): n is number => n !== null))].sort((a, b) => a - b);
    return {
      rootElement: r.root ?? undefined,
      programCount: r.programs.length,
      patchCount: r.patches.length,
      luns,
      programs: r.programs.length ? r.programs : undefined,
      patches: r.patches.length ? r.patches : undefined,
      otherElements: Object.keys(r.other).length ? r.other : undefined,
    };
  },
};
