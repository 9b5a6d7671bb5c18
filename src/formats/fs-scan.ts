/**
 * What a file system (ext4, EROFS) or a ramdisk (cpio) tells about a build's
 * security posture, read from metadata only: the mode, owner and name of
 * every inode the walk visits. Decoders describe; the `security/*` rules
 * judge. Only the entries a posture rule may need become `fs-entry` facts
 * (setuid, setgid, world-writable, named like a su binary), at most
 * `LIMITS.fsScanEntryFacts` per image, the rest counted in one more fact.
 * Init scripts (`.rc`) in the places init reads them become children (their
 * content is the only file content the scan reads), capped in count and bytes.
 */
import { LIMITS } from '../io/limits';
import type { Fact } from '../report/model';

export const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** Names of su binaries and of the root kits that ship one (Magisk, SuperSU, phh). */
export const SU_NAMES: ReadonlySet<string> = new Set(['su', 'daemonsu', 'sukernel', 'supolicy', 'magisk', 'magisk32', 'magisk64', 'magiskinit', 'magiskpolicy', 'phh-su']);

export type EntryReason = 'setuid' | 'setgid' | 'world-writable' | 'su';

export interface ScanEntry {
  /** Path inside the image (or ramdisk), no leading '/'. */
  path: string;
  /** st_mode: file type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

/** `file`, `directory`, `symlink`... for a st_mode. */
export function typeOf(mode: number): string {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'directory';
    case S_IFLNK:
      return 'symlink';
    case 0o020000:
      return 'char-device';
    case 0o060000:
      return 'block-device';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return `mode 0o${(mode & S_IFMT).toString(8)}`;
  }
}

/** `ls -l` style: `-rwsr-x---`, `drwxrwxrwt`, `lrwxrwxrwx`. */
export function modeString(mode: number): string {
  const t: Record<number, string> = { [S_IFREG]: '-', [S_IFDIR]: 'd', [S_IFLNK]: 'l', 0o020000: 'c', 0o060000: 'b', 0o010000: 'p', 0o140000: 's' };
  const bits = (r: number, w: number, x: number, special: boolean, s: string) => (mode & r ? 'r' : '-') + (mode & w ? 'w' : '-') + (special ? (mode & x ? s : s.toUpperCase()) : mode & x ? 'x' : '-');
  return (t[mode & S_IFMT] ?? '?') + bits(0o400, 0o200, 0o100, (mode & 0o4000) !== 0, 's') + bits(0o040, 0o020, 0o010, (mode & 0o2000) !== 0, 's') + bits(0o004, 0o002, 0o001, (mode & 0o1000) !== 0, 't');
}

export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Why a posture rule may care about an entry (empty: it does not). */
export function reasonsFor(e: ScanEntry): EntryReason[] {
  const type = e.mode & S_IFMT;
  const out: EntryReason[] = [];
  if (type === S_IFREG && e.mode & 0o4000) out.push('setuid');
  // setgid on a directory only makes new files inherit its group: not a privilege.
  if (type === S_IFREG && e.mode & 0o2000) out.push('setgid');
  // A symlink's own mode is always 0777; a sticky directory (/tmp style) is shared on purpose.
  if (type !== S_IFLNK && e.mode & 0o002 && !(type === S_IFDIR && e.mode & 0o1000)) out.push('world-writable');
  if ((type === S_IFREG || type === S_IFLNK) && SU_NAMES.has(baseOf(e.path))) out.push('su');
  return out;
}

/** Directories where init reads its scripts: the ramdisk's root, and `etc/init` (with `hw/`) of system, system_ext, product, vendor, odm. */
export function isInitScript(path: string): boolean {
  if (!path.endsWith('.rc')) return false;
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
  return dir === '' || dir === 'system' || /(^|\/)etc\/init(\/hw)?$/.test(dir);
}

/**
 * Collects the facts and init scripts of one image's walk, within the caps:
 * `visit` is called for every inode the walk reaches, in walk order.
 */
export class PostureScan {
  inodes = 0;
  private facts = 0;
  private readonly hidden: Record<string, number> = {};
  rcFiles = 0;
  rcBytes = 0;
  private rcSkipped = 0;
  readonly scripts: string[] = [];

  constructor(private readonly fact: (f: Fact) => void) {}

  /** False once the inode cap is reached: the walk stops. */
  visit(e: ScanEntry): boolean {
    if (this.inodes >= LIMITS.fsScanInodes) return false;
    this.inodes++;
    const reasons = reasonsFor(e);
    if (reasons.length > 0) {
      if (this.facts < LIMITS.fsScanEntryFacts) {
        this.facts++;
        this.fact({
          kind: 'fs-entry',
          message: `${e.path}: ${typeOf(e.mode)} ${modeString(e.mode)} (0${(e.mode & 0o7777).toString(8)}), owner ${e.uid}:${e.gid}, ${reasons.join(', ')}`,
          path: e.path,
          type: typeOf(e.mode),
          mode: `0${(e.mode & 0o7777).toString(8).padStart(3, '0')}`,
          uid: e.uid,
          gid: e.gid,
          size: e.size,
          reasons,
        });
      } else for (const r of reasons) this.hidden[r] = (this.hidden[r] ?? 0) + 1;
    }
    if ((e.mode & S_IFMT) === S_IFREG && isInitScript(e.path)) {
      if (this.rcFiles >= LIMITS.initRcFiles || e.size > LIMITS.initRcFileBytes || this.rcBytes + e.size > LIMITS.initRcTotalBytes) this.rcSkipped++;
      else {
        this.rcFiles++;
        this.rcBytes += e.size;
        this.scripts.push(e.path);
      }
    }
    return true;
  }

  /** The facts that say what was not looked at (call once the walk is over). */
  finish(walkComplete: boolean, what: string): void {
    const more = Object.entries(this.hidden);
    if (more.length) {
      this.fact({ kind: 'fs-entry', message: `and more entries past the first ${LIMITS.fsScanEntryFacts} (${more.map(([r, n]) => `${n} ${r}`).join(', ')}), not listed one by one`, more: Object.fromEntries(more) });
    }
    if (!walkComplete) {
      this.fact({
        kind: 'unsupported',
        message: `the security posture scan of ${what} stopped after ${this.inodes} inodes (romscope visits at most ${LIMITS.fsScanInodes}); files past them were not checked for setuid bits, world-writable modes, su binaries or init scripts`,
      });
    }
    if (this.rcSkipped) {
      this.fact({
        kind: 'unsupported',
        message: `${this.rcSkipped} init scripts (.rc) of ${what} were not read: romscope reads at most ${LIMITS.initRcFiles} of them, each up to ${LIMITS.initRcFileBytes} bytes, ${LIMITS.initRcTotalBytes} bytes together`,
      });
    }
  }
}
