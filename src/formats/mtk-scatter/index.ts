/**
 * MediaTek scatter files (FORMATS.md §10.1, §10.2): `<PLATFORM>_Android_scatter.txt`,
 * the layout SP Flash Tool and mtkclient flash by. Two forms:
 *
 * - the YAML-like one (`- general: MTK_PLATFORM_CFG`, config versions 1.x
 *   and 2.x; 2.x repeats the partition list once per `- storage_type:`
 *   section), read line by line like mtkclient does, without a YAML library;
 * - the legacy v1 text (`[__NODL_][RSV_]NAME 0xSTART` followed by `{` `}`),
 *   which stores no sizes (a size is the next entry's start minus this one's).
 *
 * Lines and partitions are capped, so a huge or hostile file costs bounded work.
 */
import type { DocumentHandler } from '../types';
import type { Fact } from '../../report/model';
import { firstN } from '../../report/lists';
import { exactNumber, layoutFact, layoutNumber, type LayoutEntry } from '../layout';
import { declaration } from '../../compat/declarations';

const MAX_LINES = 200_000;
const MAX_PARTITIONS = 4096;
const MAX_PROBLEMS = 50;
/** mtkclient treats start addresses 0xFFFF0000-0xFFFFFFFF as pseudo partitions (otp, sgpt...), not places on the device. */
const PSEUDO_START = 0xffff0000;
const PSEUDO_END = 0xffffffff;

const SCATTER_NAME = /(?:^|\/)[^/]*scatter[^/]*\.txt$/i;
const GENERAL_LINE = /^\s*-\s*general\s*:\s*MTK_PLATFORM_CFG\s*$/m;
const LEGACY_HEADER = /^\s*((?:__NODL_)?(?:RSV_)?)([A-Za-z0-9_.-]+)\s+(0x[0-9a-fA-F]+)\s*$/;

export interface ScatterPartition {
  index: string | null;
  name: string;
  fileName: string | null;
  isDownload: boolean;
  type: string | null;
  /** Numbers past 2^53 are bigints (decimal strings in JSON). */
  linearStartAddr: number | bigint | null;
  physicalStartAddr: number | bigint | null;
  partitionSize: number | bigint | null;
  region: string | null;
  storage: string | null;
  operationType: string | null;
  isReserved: boolean;
  /** Storage section of a 2.x scatter (`EMMC`, `UFS`); null in 1.x and legacy files. */
  section: string | null;
  line: number;
}

export interface ParsedScatter {
  form: 'yaml' | 'legacy';
  configVersion: string | null;
  platform: string | null;
  project: string | null;
  storage: string[];
  partitions: ScatterPartition[];
  problems: Fact[];
}

function isPseudo(addr: number | bigint | null): boolean {
  return typeof addr === 'number' && addr >= PSEUDO_START && addr <= PSEUDO_END;
}

/** `0x1F`, `31` → 31; a bigint past 2^53 (`0xFFFFFFFFFFFFFFFF`); null when it is neither; undefined when absent. */
function parseNumber(v: string | undefined): number | bigint | null | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) return null;
  return layoutNumber(v);
}

function lines(text: string, problems: Fact[]): string[] {
  const all = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  if (all.length > MAX_LINES) {
    problems.push({ kind: 'layout-invalid', message: `${all.length} lines; only the first ${MAX_LINES} are read` });
    all.length = MAX_LINES;
  }
  return all;
}

/** Looks for the YAML-like form or at least `need` legacy blocks at the start of the text. */
function looksLikeScatter(text: string, nameHint: boolean): boolean {
  if (GENERAL_LINE.test(text)) return true;
  const ls = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  let blocks = 0;
  for (let i = 0; i + 1 < ls.length && blocks < 2;) {
    if (!LEGACY_HEADER.test(ls[i]) || ls[i + 1] !== '{') break;
    let j = i + 2;
    while (j < ls.length && ls[j] !== '}' && j < i + 50) j++;
    if (ls[j] !== '}') break;
    blocks++;
    i = j + 1;
  }
  return blocks >= 2 || (blocks === 1 && nameHint);
}

interface Rec {
  keys: Map<string, string>;
  first: string;
  line: number;
}

function parseYaml(text: string): ParsedScatter {
  const problems: Fact[] = [];
  const bad = (line: number, message: string) => problems.push({ kind: 'layout-invalid', message: `line ${line}: ${message}` });
  const out: ParsedScatter = { form: 'yaml', configVersion: null, platform: null, project: null, storage: [], partitions: [], problems };
  const records: Rec[] = [];
  let cur: Rec | null = null;
  const all = lines(text, problems);
  for (let i = 0; i < all.length; i++) {
    // A comment is a line starting with '#', or ' #...' after a value.
    const raw = all[i].replace(/(^|\s)#.*$/, '').trimEnd();
    if (raw.trim() === '') continue;
    const m = /^\s*(-\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*:(?:\s+(.*))?$/.exec(raw);
    if (!m) {
      bad(i + 1, `not a "key: value" line: ${JSON.stringify(raw.trim().slice(0, 80))}`);
      continue;
    }
    const [, dash, key, value = ''] = m;
    if (dash || !cur) {
      cur = { keys: new Map(), first: key, line: i + 1 };
      records.push(cur);
    }
    if (cur.keys.has(key)) bad(i + 1, `"${key}" appears twice in one record`);
    else cur.keys.set(key, value.trim());
  }

  let generals = 0;
  let section: string | null = null;
  const seen = new Map<string, { names: Map<string, number>; indexes: Map<string, number> }>();
  for (const r of records) {
    const k = r.keys;
    if (r.first === 'general') {
      if (k.get('general') === 'MTK_PLATFORM_CFG') generals++;
      continue;
    }
    if (r.first === 'config_version') {
      out.configVersion = k.get('config_version') || null;
      out.platform = k.get('platform') || out.platform;
      out.project = k.get('project') || out.project;
      const st = k.get('storage');
      if (st && !out.storage.includes(st)) out.storage.push(st);
      continue;
    }
    if (r.first === 'storage_type') {
      section = k.get('storage_type') || null;
      if (section && !out.storage.includes(section)) out.storage.push(section);
      continue;
    }
    if (!k.has('partition_index') && !k.has('partition_name')) continue;
    if (out.partitions.length >= MAX_PARTITIONS) {
      bad(r.line, `more than ${MAX_PARTITIONS} partitions; the rest are not read`);
      break;
    }
    const name = k.get('partition_name') ?? '';
    if (name === '') bad(r.line, `partition ${k.get('partition_index') ?? '?'} has no partition_name`);
    const num = (key: string): number | bigint | null => {
      const n = parseNumber(k.get(key));
      if (n === null) bad(r.line, `${name || 'partition'}: ${key} "${k.get(key)}" is not a number`);
      return n ?? null;
    };
    const file = k.get('file_name') ?? '';
    const p: ScatterPartition = {
      index: k.get('partition_index') || null,
      name,
      fileName: file === '' || /^NONE$/i.test(file) ? null : file,
      isDownload: /^true$/i.test(k.get('is_download') ?? ''),
      type: k.get('type') || null,
      linearStartAddr: num('linear_start_addr'),
      physicalStartAddr: num('physical_start_addr'),
      partitionSize: num('partition_size'),
      region: k.get('region') || null,
      storage: k.get('storage') || null,
      operationType: k.get('operation_type') || null,
      isReserved: /^true$/i.test(k.get('is_reserved') ?? ''),
      section,
      line: r.line,
    };
    const s = seen.get(section ?? '') ?? { names: new Map<string, number>(), indexes: new Map<string, number>() };
    seen.set(section ?? '', s);
    const where = section ? ` in the ${section} section` : '';
    if (p.name !== '') {
      const prev = s.names.get(p.name);
      if (prev !== undefined) bad(r.line, `partition_name "${p.name}" is already used at line ${prev}${where}`);
      else s.names.set(p.name, r.line);
    }
    if (p.index) {
      const prev = s.indexes.get(p.index);
      if (prev !== undefined) bad(r.line, `partition_index ${p.index} is already used at line ${prev}${where}`);
      else s.indexes.set(p.index, r.line);
    }
    if (p.isDownload && p.fileName === null) bad(r.line, `${p.name} has is_download: true but no file_name`);
    out.partitions.push(p);
  }
  if (generals > 1) problems.unshift({ kind: 'layout-invalid', message: `${generals} "general: MTK_PLATFORM_CFG" records; a scatter file has one` });
  return out;
}

/** The fixed name → file mapping of MTK's flash tool for legacy scatter names (§10.2). */
const LEGACY_FILES: Record<string, string> = {
  ANDROID: 'system.img',
  BOOTIMG: 'boot.img',
  RECOVERY: 'recovery.img',
  SEC_RO: 'secro.img',
  UBOOT: 'lk.bin',
  LOGO: 'logo.bin',
  USRDATA: 'userdata.img',
  CACHE: 'cache.img',
  MBR: 'MBR',
  EBR1: 'EBR1',
  EBR2: 'EBR2',
};

function parseLegacy(text: string): ParsedScatter {
  const problems: Fact[] = [];
  const bad = (line: number, message: string) => problems.push({ kind: 'layout-invalid', message: `line ${line}: ${message}` });
  const out: ParsedScatter = { form: 'legacy', configVersion: null, platform: null, project: null, storage: [], partitions: [], problems };
  const all = lines(text, problems);
  const names = new Map<string, number>();
  let state: 'top' | 'open' | 'body' = 'top';
  for (let i = 0; i < all.length; i++) {
    const t = all[i].trim();
    if (t === '' || t.startsWith('#') || t.startsWith('//')) continue;
    if (state === 'open') {
      if (t === '{') state = 'body';
      else {
        bad(i + 1, `expected "{" after ${out.partitions[out.partitions.length - 1].name}`);
        state = 'top';
        i--;
      }
      continue;
    }
    if (state === 'body') {
      if (t === '}') state = 'top';
      continue; // lines inside a block carry nothing romscope reads
    }
    const m = LEGACY_HEADER.exec(t);
    if (!m) {
      bad(i + 1, `not a "NAME 0xADDRESS" line: ${JSON.stringify(t.slice(0, 80))}`);
      continue;
    }
    if (out.partitions.length >= MAX_PARTITIONS) {
      bad(i + 1, `more than ${MAX_PARTITIONS} partitions; the rest are not read`);
      break;
    }
    const [, flags, name, addr] = m;
    const start = parseNumber(addr) ?? null;
    if (start === null) bad(i + 1, `${name}: start address ${addr} is too large`);
    const prev = names.get(name);
    if (prev !== undefined) bad(i + 1, `${name} is already listed at line ${prev}`);
    else names.set(name, i + 1);
    out.partitions.push({
      index: `SYS${out.partitions.length}`,
      name,
      fileName: LEGACY_FILES[name.toUpperCase()] ?? null,
      isDownload: !flags.includes('__NODL_'),
      type: null,
      linearStartAddr: start,
      physicalStartAddr: start,
      partitionSize: null,
      region: null,
      storage: null,
      operationType: null,
      isReserved: flags.includes('RSV_'),
      section: null,
      line: i + 1,
    });
    state = 'open';
  }
  if (state !== 'top') bad(all.length, `the block of ${out.partitions[out.partitions.length - 1]?.name ?? '?'} is not closed`);
  // No sizes are stored: a partition ends where the next real one starts.
  const real = out.partitions.filter((p) => typeof p.linearStartAddr === 'number' && !isPseudo(p.linearStartAddr));
  for (let i = 0; i + 1 < real.length; i++) {
    const a = real[i].linearStartAddr as number;
    const b = real[i + 1].linearStartAddr as number;
    if (b > a) real[i].partitionSize = b - a;
    else bad(real[i + 1].line, `${real[i + 1].name} starts at 0x${b.toString(16)}, not after ${real[i].name} (0x${a.toString(16)})`);
  }
  return out;
}

function parseScatter(text: string): ParsedScatter {
  return GENERAL_LINE.test(text) ? parseYaml(text) : parseLegacy(text);
}

/** A member's name says it is a scatter file (`MT6785_Android_scatter.txt`). */
export function isScatterName(name: string): boolean {
  return SCATTER_NAME.test(name);
}

/**
 * The image file of each partition SP Flash Tool downloads, from a scatter
 * file's text (the first section that names one, in a 2.x file); null when
 * the text is not a scatter file. Checksum.ini names partitions, and this
 * says which file each one is.
 */
export function scatterDownloadFiles(text: string): Map<string, string> | null {
  if (!looksLikeScatter(text.slice(0, 64 * 1024), true)) return null;
  const out = new Map<string, string>();
  for (const p of parseScatter(text).partitions) {
    if (p.isDownload && p.fileName !== null && !out.has(p.name)) out.set(p.name, p.fileName);
  }
  return out;
}

function scatterLayout(s: ParsedScatter): LayoutEntry[] {
  const fallback = (s.storage[0] ?? 'flash').toLowerCase();
  return s.partitions
    .filter((p) => p.name !== '')
    .map((p) => {
      const start = exactNumber(p.linearStartAddr ?? p.physicalStartAddr);
      const region = p.region && !/^NONE$/i.test(p.region) ? p.region.toLowerCase() : null;
      return {
        partition: p.name,
        file: p.fileName,
        // Past 2^53 a size is not compared (the "rest of the device" marker some scatter files write): unknown.
        sizeBytes: exactNumber(p.partitionSize),
        startBytes: isPseudo(start) ? null : start,
        device: region ?? (p.section ?? fallback).toLowerCase(),
        flashed: p.isDownload && p.fileName !== null,
      };
    });
}

/** The platform (enforced: SP Flash Tool refuses a scatter file whose platform is not the connected chip) and the project. */
export function scatterDeclarations(platform: string | null, project: string | null): Fact[] {
  const out: Fact[] = [];
  const text = (v: string | null) => (v !== null && v.trim() !== '' ? v.trim() : null);
  const p = text(platform);
  if (p) out.push(declaration('mtk-scatter', [{ key: 'board', property: 'platform', value: p }], { enforced: true }));
  const q = text(project);
  if (q) out.push(declaration('mtk-scatter', [{ key: 'project', property: 'project', value: q }], { enforced: false }));
  return out;
}

export const mtkScatterHandler: DocumentHandler = {
  id: 'mtk-scatter',
  kind: 'document',
  traits: { role: 'layout', confidence: 'name' },
  description: 'MediaTek scatter file (YAML-like MTK_PLATFORM_CFG or legacy v1 text)',
  detect: ({ peek, name }) => looksLikeScatter(peek.toString('latin1'), SCATTER_NAME.test(name)),
  decode(bytes, ctx, name) {
    const s = parseScatter(bytes.toString('latin1'));
    for (const p of firstN<Fact>(s.problems, MAX_PROBLEMS, (n) => ({ kind: 'layout-invalid', message: `${n} more problems` }))) ctx.fact(p);
    ctx.fact(layoutFact('mtk-scatter', scatterLayout(s)));
    const platform = s.platform ?? /(?:^|\/)(MT\d+[A-Z0-9]*)_Android_scatter[^/]*\.txt$/i.exec(name)?.[1]?.toUpperCase() ?? null;
    for (const f of scatterDeclarations(platform, s.project)) ctx.fact(f);
    return {
      form: s.form,
      configVersion: s.configVersion ?? undefined,
      platform: platform ?? undefined,
      project: s.project ?? undefined,
      storage: s.storage.length ? s.storage : undefined,
      partitionCount: s.partitions.length,
      partitions: s.partitions.map(({ line: _line, section, ...p }) => (section ? { ...p, section } : p)),
    };
  },
};
