/**
 * TAR (POSIX ustar, GNU, pax; also the Samsung Odin .tar.md5 body). Members
 * are stored contiguously, so each is a random-access slice of the archive.
 * Header layout: POSIX.1-2001 ustar; GNU 'L'/'K' long names; pax 'x'/'g'.
 */
import { SliceSource, type RandomSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { memberMemory } from '../../io/limits';
import type { ChildSpec, ContainerResult, DecodeContext } from '../types';
import type { Fact } from '../../report/model';
import { unsafePathReason } from '../../io/paths';
import type { TarInfo } from '../../report/info';

const BLOCK = 512;
/** Long-name and pax records larger than this are not believed. */
const MAX_META_RECORD = 1 << 20;

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8');
}

/** Octal (NUL/space padded) or GNU base-256 (high bit of the first byte set). */
function parseNumber(b: Buffer, off: number, len: number): number | null {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    let v = 0;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i];
    return f[0] & 0x40 ? null : v + (f[0] & 0x3f) * 256 ** (f.length - 1);
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : null;
}

function checksumOk(h: Buffer): boolean {
  const stored = parseNumber(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return stored === unsigned || stored === signed;
}

/** True for a block that looks like a tar header (magic, or a v7 header with a good checksum). */
export function looksLikeTarHeader(h: Buffer): boolean {
  if (h.length < BLOCK) return false;
  const magic = h.toString('latin1', 257, 263);
  if (magic === 'ustar\0' || magic === 'ustar ') return checksumOk(h);
  return h[0] !== 0 && checksumOk(h);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let p = 0;
  while (p < data.length) {
    const sp = data.indexOf(0x20, p);
    if (sp < 0) break;
    const len = parseInt(data.toString('latin1', p, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || p + len > data.length) break;
    const rec = data.toString('utf8', sp + 1, p + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    p += len;
  }
  return out;
}

export interface TarLayout extends ContainerResult {
  /** Offset just past the end-of-archive marker (or of the last member when it is missing). */
  end: number;
}

/** Walks the headers of a tar archive held by a random-access source. */
export async function readTar(src: RandomSource, ctx: DecodeContext): Promise<TarLayout> {
  const children: ChildSpec[] = [];
  let pos = 0;
  let longName: string | null = null;
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let files = 0;
  let flavour: NonNullable<TarInfo['flavour']> = 'v7';
  let sawEnd = false;
  while (pos + BLOCK <= src.size) {
    const h = await src.read(pos, BLOCK);
    if (h.every((x) => x === 0)) {
      // End of archive: two zero blocks (one is tolerated, as GNU tar does).
      sawEnd = true;
      pos += BLOCK;
      const next = await src.read(pos, BLOCK);
      if (next.length === BLOCK && next.every((x) => x === 0)) pos += BLOCK;
      break;
    }
    if (!looksLikeTarHeader(h)) {
      if (children.length === 0 && pos === 0) throw new FormatError('not a tar header at offset 0');
      ctx.fact({ kind: 'unreadable', message: `bad tar header checksum at offset ${pos}; stopped reading members`, offset: pos });
      return { info: summary(), children, end: pos };
    }
    const magic = h.toString('latin1', 257, 263);
    // Once a pax record was seen the archive is pax, whatever the ustar magic says.
    if (flavour !== 'pax' && magic === 'ustar\0') flavour = 'ustar';
    else if (flavour !== 'pax' && magic === 'ustar ') flavour = 'gnu';
    const size = parseNumber(h, 124, 12);
    if (size === null) {
      ctx.fact({ kind: 'unreadable', message: `unreadable size field in tar header at offset ${pos}`, offset: pos });
      return { info: summary(), children, end: pos };
    }
    const type = String.fromCharCode(h[156] || 0x30);
    const dataStart = pos + BLOCK;
    const next = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      if (size > MAX_META_RECORD) {
        ctx.fact({ kind: 'unreadable', message: `tar metadata record of ${size} bytes at offset ${pos} is not believable`, offset: pos });
        return { info: summary(), children, end: pos };
      }
      const data = await src.read(dataStart, size);
      if (type === 'L') longName = cstr(data, 0, data.length);
      else if (type === 'x') pax = parsePax(data);
      else if (type === 'g') globalPax = { ...globalPax, ...parsePax(data) };
      if (type === 'x' || type === 'g') flavour = 'pax';
      pos = next;
      continue;
    }
    if (children.length >= ctx.budget.opts.maxMembers) {
      ctx.fact({ kind: 'budget', message: `more than ${ctx.budget.opts.maxMembers} members (limit --max-members); the rest are not listed`, offset: pos });
      return { info: summary(), children, end: pos };
    }
    let name = cstr(h, 0, 100);
    const prefix = flavour === 'ustar' || flavour === 'pax' ? cstr(h, 345, 155) : '';
    if (prefix) name = `${prefix}/${name}`;
    if (longName !== null) name = longName;
    const paxAll = { ...globalPax, ...pax };
    if (paxAll.path) name = paxAll.path;
    const realSize = paxAll.size !== undefined && /^\d+$/.test(paxAll.size) ? Number(paxAll.size) : size;
    longName = null;
    pax = {};
    const memberNext = paxAll.size !== undefined ? dataStart + Math.ceil(realSize / BLOCK) * BLOCK : next;
    if (type === '0' || type === '7' || h[156] === 0) {
      files++;
      const facts: Fact[] = [];
      const unsafe = unsafePathReason(name);
      if (unsafe) facts.push({ kind: 'unsafe-path', message: `member name "${name}" ${unsafe}` });
      if (dataStart + realSize > src.size) {
        facts.push({ kind: 'truncated', message: `member declares ${realSize} bytes but the archive ends after ${Math.max(0, src.size - dataStart)}`, offset: dataStart });
      }
      const mode = parseNumber(h, 100, 8);
      ctx.budget.chargeMemory(memberMemory(name), `the tar member list (${children.length + 1} members read)`);
      children.push({
        name,
        source: new SliceSource(src, dataStart, realSize, name),
        facts,
        info: { mode: mode === null ? undefined : mode.toString(8), mtime: parseNumber(h, 136, 12) ?? undefined },
      });
    }
    pos = memberNext;
  }
  if (!sawEnd) {
    if (pos > src.size) ctx.fact({ kind: 'truncated', message: `tar archive is cut inside a member (file has ${src.size} bytes)`, offset: src.size });
    else ctx.fact({ kind: 'truncated', message: 'tar archive has no end-of-archive marker: the file may be truncated', offset: pos });
  }
  return { info: summary(), children, end: Math.min(pos, src.size) };

  function summary(): TarInfo {
    return { flavour, files };
  }
}
