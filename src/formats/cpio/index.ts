import { phrases, counted } from '../summary';
/**
 * cpio "newc" (`070701`) and "crc" (`070702`) archives: Android ramdisks
 * (FORMATS.md §12.4). A 110-byte ASCII-hex header, the NUL-terminated name
 * padded so header + name is a multiple of 4, then the data padded to 4. An
 * archive ends with an entry named `TRAILER!!!`; Android ramdisks may be
 * several archives back to back with zero padding between them, which is
 * read the way the kernel's init/initramfs.c reads it.
 *
 * Regular files become children (slices of the archive); directories,
 * symlinks and device nodes are only counted (symlinks are listed in info).
 * Nothing here throws for a bad entry: problems become facts and reading
 * stops at the first entry that cannot be trusted.
 */
import { SliceSource, type RandomSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { memberMemory } from '../../io/limits';
import type { ChildSpec, ContainerHandler, ContainerResult, DecodeContext } from '../types';
import type { Fact } from '../../report/model';
import { PostureScan } from '../fs-scan';
import { unsafePathReason } from '../../io/paths';

const HEADER = 110;
/** The kernel's PATH_MAX: names (with their NUL) and symlink targets longer than this are refused. */
const MAX_NAME = 4096;
const TRAILER = 'TRAILER!!!';
/** Property files larger than this are not parsed. */
const MAX_PROP_FILE = 1 << 20;
/** Keys kept in info.properties. */
const MAX_PROPERTIES = 5000;
/** Symlinks listed in info.symlinkTargets (all are counted in info.symlinks). */
const MAX_LISTED_SYMLINKS = 1000;
/** Read-ahead window for headers and names. */
const WINDOW = 64 * 1024;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const SPECIAL = new Set([0o020000 /* chr */, 0o060000 /* blk */, 0o010000 /* fifo */, 0o140000 /* sock */]);

const FIELDS = ['ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize', 'devmajor', 'devminor', 'rdevmajor', 'rdevminor', 'namesize', 'check'] as const;
type Header = Record<(typeof FIELDS)[number], number>;

/** Property files read into info.properties, in the order they are applied (a later value wins). */
const PROPERTY_FILES = ['prop.default', 'default.prop', 'system/etc/ramdisk/build.prop'];

function isMagic(b: Buffer): boolean {
  if (b.length < 6) return false;
  const m = b.toString('latin1', 0, 6);
  return m === '070701' || m === '070702';
}

/** Offsets can pass 2^32 (a lying filesize), so no bit tricks. */
const align4 = (n: number) => Math.ceil(n / 4) * 4;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** A name as the walk should show it: without the leading "./" that `find . | cpio -o` writes. */
function displayName(name: string): string {
  return name.replace(/^(\.\/)+/, '');
}

/** Root-level fstab files, those in first_stage_ramdisk/, and the files that decide how init starts. */
function isNotable(path: string): boolean {
  if (path === 'init' || path === 'init.rc' || path === 'prop.default' || path === 'default.prop' || path === 'system/etc/ramdisk/build.prop') return true;
  if (!path.includes('/') && (/^fstab\./.test(path) || /\.fstab$/.test(path))) return true;
  return /^first_stage_ramdisk\/[^/]*fstab[^/]*$/.test(path);
}

/** Caches a window of the archive so that headers and names cost one read per 64 KiB, not two per entry. */
class Window {
  private start = 0;
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly src: RandomSource) {}

  async read(pos: number, len: number): Promise<Buffer> {
    if (pos >= this.start && pos + len <= this.start + this.buf.length) return this.buf.subarray(pos - this.start, pos - this.start + len);
    if (len > WINDOW) return this.src.read(pos, len);
    this.buf = await this.src.read(pos, WINDOW);
    this.start = pos;
    return this.buf.subarray(0, Math.min(len, this.buf.length));
  }
}

/** 32-bit sum of the bytes in [start, end): the `070702` check field. */
async function byteSum(src: RandomSource, start: number, end: number): Promise<number> {
  let sum = 0;
  for await (const c of src.stream(start, end)) {
    let s = 0;
    for (let i = 0; i < c.length; i++) s += c[i];
    sum = (sum + s) >>> 0;
  }
  return sum;
}

/** `key=value` lines of a property file; comments, blank lines and `import` lines are skipped. */
function parseProperties(text: string, into: Map<string, string>): void {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (key === '' || /\s/.test(key)) continue;
    if (!into.has(key) && into.size >= MAX_PROPERTIES) continue;
    into.set(key, line.slice(eq + 1).trim());
  }
}

interface Entry {
  type: number;
  /** Regular files: the child; its source is filled in later for hard links stored before their data. */
  spec?: ChildSpec;
}

async function decodeCpio(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult> {
  const w = new Window(src);
  if (!isMagic(await w.read(0, 6))) throw new FormatError('not a cpio newc archive (no 070701/070702 magic at offset 0)');
  const children: ChildSpec[] = [];
  const scan = new PostureScan((f) => ctx.fact(f));
  const count = { archives: 0, entries: 0, files: 0, directories: 0, symlinks: 0, devices: 0, totalDataBytes: 0 };
  /** path -> last entry with that path (a later archive overrides an earlier one, as when the kernel unpacks them). */
  const byPath = new Map<string, Entry>();
  const symlinkTargets = new Map<string, string>();
  let trailingBytes: number | undefined;

  let pos = 0;
  for (;;) {
    count.archives++;
    const end = await readArchive(pos, count.archives);
    if (end === null) break;
    // Zero padding between (and after) archives; the next one starts 4-byte aligned.
    pos = await skipZeros(end);
    if (pos >= src.size) break;
    if (pos % 4 === 0 && isMagic(await w.read(pos, 6))) continue;
    trailingBytes = src.size - pos;
    ctx.fact({
      kind: 'unreadable',
      message: `${trailingBytes} bytes after the end of cpio archive ${count.archives} (offset ${pos}) are neither zero padding nor another 4-byte aligned cpio archive`,
      offset: pos,
    });
    break;
  }

  const notable: string[] = [];
  for (const path of byPath.keys()) if (isNotable(path)) notable.push(path);
  const init = byPath.get('init');
  if (init?.type === S_IFLNK && symlinkTargets.has('init')) notable.push(symlinkTargets.get('init')!);

  scan.finish(true, 'this ramdisk');
  const props = await readProperties();
  return {
    info: {
      ...count,
      notable,
      symlinkTargets: symlinkTargets.size ? Object.fromEntries(symlinkTargets) : undefined,
      properties: props ? Object.fromEntries(props.values) : undefined,
      propertyFiles: props ? props.files : undefined,
      trailingBytes,
    },
    children,
  };

  async function skipZeros(from: number): Promise<number> {
    let p = from;
    while (p < src.size) {
      const b = await src.read(p, WINDOW);
      if (b.length === 0) return src.size;
      let i = 0;
      while (i < b.length && b[i] === 0) i++;
      p += i;
      if (i < b.length) return p;
    }
    return p;
  }

  /** Reads one archive from `start`; returns the offset after its trailer, or null when reading must stop. */
  async function readArchive(start: number, archiveNo: number): Promise<number | null> {
    let p = start;
    let crcHeaders = 0;
    let crcMismatches = 0;
    /** Hard links of this archive: the data is stored with one of the headers sharing an inode. */
    const links = new Map<string, { data: { start: number; size: number } | null; waiting: ChildSpec[] }>();
    const where = () => (count.archives > 1 ? ` (archive ${archiveNo})` : '');
    const truncated = (message: string, offset: number) => void ctx.fact({ kind: 'truncated', message: message + where(), offset });
    const unreadable = (message: string, offset: number) => void ctx.fact({ kind: 'unreadable', message: message + where(), offset });

    for (;;) {
      if (p >= src.size) {
        truncated(`cpio archive ends at offset ${src.size} without a ${TRAILER} entry: the file may be truncated`, src.size);
        return null;
      }
      const h = await w.read(p, HEADER);
      if (h.length < HEADER) {
        truncated(`cpio archive is cut inside the entry header at offset ${p} (file has ${src.size} bytes)`, p);
        return null;
      }
      const magic = h.toString('latin1', 0, 6);
      if (magic !== '070701' && magic !== '070702') {
        unreadable(`no cpio newc header (070701/070702) at offset ${p}, where the next entry should start; stopped reading entries`, p);
        return null;
      }
      const hd = {} as Header;
      for (let i = 0; i < FIELDS.length; i++) {
        const s = h.toString('latin1', 6 + 8 * i, 14 + 8 * i);
        if (!/^[0-9A-Fa-f]{8}$/.test(s)) {
          unreadable(`cpio header at offset ${p} has a ${FIELDS[i]} field that is not 8 hex digits (${JSON.stringify(s)}); stopped reading entries`, p + 6 + 8 * i);
          return null;
        }
        hd[FIELDS[i]] = parseInt(s, 16);
      }
      if (hd.namesize < 1 || hd.namesize > MAX_NAME) {
        unreadable(`cpio header at offset ${p} declares a ${hd.namesize}-byte name (1 to ${MAX_NAME} allowed); stopped reading entries`, p);
        return null;
      }
      const nameStart = p + HEADER;
      const dataStart = align4(nameStart + hd.namesize);
      const next = align4(dataStart + hd.filesize);
      const nameBuf = await w.read(nameStart, hd.namesize);
      if (nameBuf.length < hd.namesize) {
        truncated(`cpio archive is cut inside the name of the entry at offset ${p} (file has ${src.size} bytes)`, p);
        return null;
      }
      if (nameBuf[hd.namesize - 1] !== 0) {
        unreadable(`the name of the cpio entry at offset ${p} is not NUL-terminated; stopped reading entries`, p);
        return null;
      }
      const raw = nameBuf.toString('utf8', 0, hd.namesize - 1);
      if (raw === TRAILER) {
        if (crcHeaders > 0 && crcMismatches === 0) {
          ctx.fact({ kind: 'cpio-checksum-ok', message: `every file's data matches its 070702 header checksum (${crcHeaders} entries)${where()}` });
        }
        return next;
      }
      if (count.entries >= ctx.budget.opts.maxMembers) {
        ctx.fact({ kind: 'budget', message: `more than ${ctx.budget.opts.maxMembers} cpio entries (limit --max-members); the rest are not listed`, offset: p });
        return null;
      }
      count.entries++;
      ctx.budget.chargeMemory(memberMemory(raw), `the cpio entries (${count.entries} read)`);
      const nul = raw.indexOf('\0');
      const path = displayName(nul < 0 ? raw : raw.slice(0, nul));
      const unsafe = unsafePathReason(displayName(raw));
      const unsafeFact: Fact | null = unsafe ? { kind: 'unsafe-path', message: `entry name "${raw.replace(/\0/g, '\\0')}" ${unsafe}` } : null;
      const type = hd.mode & S_IFMT;
      scan.visit({ path, mode: hd.mode, uid: hd.uid, gid: hd.gid, size: hd.filesize });
      const cut = dataStart + hd.filesize > src.size;
      const avail = Math.max(0, src.size - dataStart);

      if (type === S_IFREG) {
        count.files++;
        count.totalDataBytes += hd.filesize;
        const facts: Fact[] = unsafeFact ? [unsafeFact] : [];
        if (cut) facts.push({ kind: 'truncated', message: `entry declares ${hd.filesize} bytes but the archive ends after ${avail}`, offset: dataStart });
        let range = { start: dataStart, size: hd.filesize };
        const spec: ChildSpec = { name: path, source: new SliceSource(src, dataStart, hd.filesize, path), facts };
        if (hd.nlink > 1) {
          const key = `${hd.ino}:${hd.devmajor}:${hd.devminor}`;
          const group = links.get(key) ?? { data: null, waiting: [] };
          links.set(key, group);
          if (hd.filesize > 0) {
            group.data = range;
            for (const s of group.waiting) s.source = new SliceSource(src, range.start, range.size, s.name);
            group.waiting = [];
          } else if (group.data) {
            range = group.data;
            spec.source = new SliceSource(src, range.start, range.size, path);
          } else group.waiting.push(spec);
        }
        if (magic === '070702' && !cut) {
          crcHeaders++;
          const sum = await byteSum(src, dataStart, dataStart + hd.filesize);
          if (sum !== hd.check) {
            crcMismatches++;
            facts.push({
              kind: 'cpio-checksum',
              message: `sum of the data bytes is ${hex8(sum)}, the 070702 header at offset ${p} says ${hex8(hd.check)}`,
              offset: p,
              expected: hex8(hd.check),
              actual: hex8(sum),
            });
          }
        }
        spec.info = { mode: (hd.mode & 0o7777).toString(8), uid: hd.uid, gid: hd.gid, mtime: hd.mtime, hardLinks: hd.nlink > 1 ? hd.nlink : undefined };
        children.push(spec);
        symlinkTargets.delete(path);
        byPath.delete(path);
        byPath.set(path, { type, spec });
      } else {
        if (unsafeFact) ctx.fact({ ...unsafeFact, offset: p });
        if (type === S_IFDIR) count.directories++;
        else if (type === S_IFLNK) {
          count.symlinks++;
          if (!cut && hd.filesize <= MAX_NAME && (symlinkTargets.has(path) || symlinkTargets.size < MAX_LISTED_SYMLINKS)) {
            const target = (await src.read(dataStart, hd.filesize)).toString('utf8');
            symlinkTargets.delete(path);
            symlinkTargets.set(path, target);
          } else symlinkTargets.delete(path);
        } else if (SPECIAL.has(type)) count.devices++;
        if (type !== S_IFLNK) symlinkTargets.delete(path);
        byPath.delete(path);
        byPath.set(path, { type });
      }
      if (cut) {
        truncated(`cpio archive is cut inside the data of entry "${path}" at offset ${p} (declares ${hd.filesize} bytes, ${avail} remain)`, src.size);
        return null;
      }
      p = next;
    }
  }

  /** The regular file a path names, following symlinks inside the archive (a few hops at most). */
  function resolveFile(path: string): { path: string; src: RandomSource } | null {
    let cur = path;
    for (let hop = 0; hop < 8; hop++) {
      const e = byPath.get(cur);
      if (!e) return null;
      if (e.type === S_IFREG && e.spec && e.spec.source.kind === 'random') return { path: cur, src: e.spec.source };
      if (e.type !== S_IFLNK) return null;
      const target = symlinkTargets.get(cur);
      if (target === undefined) return null;
      const base = target.startsWith('/') ? [] : cur.split('/').slice(0, -1);
      for (const seg of target.split('/')) {
        if (seg === '' || seg === '.') continue;
        if (seg === '..') base.pop();
        else base.push(seg);
      }
      cur = base.join('/');
    }
    return null;
  }

  async function readProperties(): Promise<{ values: Map<string, string>; files: string[] } | null> {
    const values = new Map<string, string>();
    const files: string[] = [];
    for (const name of PROPERTY_FILES) {
      const f = resolveFile(name);
      if (!f || files.includes(f.path) || f.src.size > MAX_PROP_FILE) continue;
      files.push(f.path);
      parseProperties((await f.src.read(0, f.src.size)).toString('utf8'), values);
    }
    return files.length ? { values, files } : null;
  }
}

export const cpioHandler: ContainerHandler = {
  id: 'cpio',
  summary: (i) => phrases(counted(i.files, 'file'), counted(i.directories || undefined, 'directory', 'directories'), counted(i.symlinks, 'symlink')),
  kind: 'container',
  traits: { role: 'ramdisk', confidence: 'magic', kernelRamdisk: true },
  description: 'cpio newc archive (Android ramdisk)',
  detect: ({ peek }) => isMagic(peek),
  decode: decodeCpio,
};
