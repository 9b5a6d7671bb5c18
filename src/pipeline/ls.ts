/**
 * `romscope ls`: lists a directory (or one file) inside a file system image
 * found anywhere in a package, reached like `extract` reaches an artifact
 * (zip, sparse, payload, super...). Only the containers on the way, the
 * metadata of the directory and its entries' inodes are read. Symlinks are
 * listed with their target, never followed out of the image.
 */
import { UsageError, RomscopeError, errorMessage } from '../io/errors';
import { Budget, defaultBudget } from '../io/limits';
import { locate } from './locate';
import { openInput } from './inspect';
import { modeString, typeOf } from '../formats/fs-scan';
import { terminalSafe } from '../report/format';
import type { FsListEntry } from '../formats/types';

export interface LsOptions {
  tempDir?: string;
}

/** One entry as `ls --json` gives it. */
export interface LsEntry {
  name: string;
  type: string;
  /** Permission bits in octal (`0755`, `04750`). */
  mode: string;
  /** `ls -l` style: `-rwsr-x---`. */
  modeString: string;
  uid: number;
  gid: number;
  size: number;
  /** The `security.selinux` label, or null when the entry has none. */
  selinux: string | null;
  /** A symlink's target (as stored; never followed). */
  target?: string;
}

function toEntry(e: FsListEntry): LsEntry {
  return {
    name: e.name,
    type: typeOf(e.mode),
    mode: `0${(e.mode & 0o7777).toString(8).padStart(3, '0')}`,
    modeString: modeString(e.mode),
    uid: e.uid,
    gid: e.gid,
    size: e.size,
    selinux: e.selinux ?? null,
    ...(e.target !== undefined ? { target: e.target } : {}),
  };
}

export async function ls(inputPath: string, path: string, opts: LsOptions = {}): Promise<LsEntry[]> {
  const src = await openInput(inputPath);
  try {
    const loc = await locate(src, path.replace(/\/+$/, ''), opts.tempDir, { fileSystem: true });
    try {
      const fsAt = loc.fileSystem!;
      const ctx = { budget: new Budget(defaultBudget(src.size)), fact: () => {} };
      let list: FsListEntry[] | null;
      try {
        list = await fsAt.handler.list!(fsAt.source, fsAt.path, ctx);
      } catch (e) {
        throw new UsageError(`${fsAt.name || 'the input'} (${fsAt.handler.id}) cannot be listed at "${fsAt.path || '/'}": ${errorMessage(e)}`);
      }
      if (!list) throw new UsageError(`no "${fsAt.path}" in the ${fsAt.handler.id} file system ${fsAt.name || '(the input)'}`);
      return list.map(toEntry).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } finally {
      await loc.release();
    }
  } catch (e) {
    if (e instanceof RomscopeError) throw e;
    throw new UsageError(`ls failed: ${errorMessage(e)}`);
  } finally {
    await src.close();
  }
}

/** The text form: one `ls -l`-like line per entry, columns aligned, names and targets terminal-escaped. */
export function renderLs(entries: LsEntry[]): string {
  const uidW = Math.max(0, ...entries.map((e) => String(e.uid).length));
  const gidW = Math.max(0, ...entries.map((e) => String(e.gid).length));
  const sizeW = Math.max(0, ...entries.map((e) => String(e.size).length));
  const labels = entries.map((e) => terminalSafe(e.selinux ?? '-'));
  const labelW = Math.max(0, ...labels.map((l) => l.length));
  return entries
    .map((e, i) => {
      const name = terminalSafe(e.name) + (e.target !== undefined ? ` -> ${terminalSafe(e.target)}` : '');
      return `${e.modeString} ${String(e.uid).padStart(uidW)} ${String(e.gid).padStart(gidW)} ${String(e.size).padStart(sizeW)} ${labels[i].padEnd(labelW)} ${name}\n`;
    })
    .join('');
}
