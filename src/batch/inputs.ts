/**
 * What `romscope batch` checks (docs/batch.md#inputs): every regular file
 * under a directory, or every path a list file names.
 *
 * Directory rule: the tree is walked depth-first in name order; regular files
 * are taken; symbolic links are never followed (a link to a file in the tree
 * would check it twice, a link out of the tree reaches what was not named);
 * names starting with "." (files and directories) are left out, as are the
 * batch's own database, its -wal/-shm/-journal files and the reports
 * directory when they lie inside the tree. Sockets, FIFOs and devices are
 * left out.
 *
 * List file: one path per line; blank lines and lines starting with "#" are
 * ignored; leading and trailing spaces are trimmed; a relative path is taken
 * from the list file's directory. Each path is used once (the first time it
 * appears). A path that is missing or not a regular file stays in the list:
 * the run reports it as unreadable.
 */
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { UsageError } from '../io/errors';

/** A list file larger than this is refused (a package given by mistake, most likely). */
export const MAX_LIST_BYTES = 64 << 20;

export interface InputSet {
  /** Absolute paths, in the order they are checked. */
  paths: string[];
  /** 'directory' or 'list'. */
  kind: 'directory' | 'list';
}

/** Files and directories `walk` leaves out: the store and its reports when they are inside the tree. */
export interface Exclude {
  files?: string[];
  dirs?: string[];
}

export function findInputs(spec: string, exclude: Exclude = {}): InputSet {
  const abs = resolve(spec);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) throw new UsageError(`${spec}: no such file or directory`);
  if (st.isDirectory()) return { kind: 'directory', paths: walk(abs, exclude) };
  if (!st.isFile()) throw new UsageError(`${spec}: not a directory or a list file`);
  return { kind: 'list', paths: readList(abs, spec) };
}

function walk(root: string, exclude: Exclude): string[] {
  const files = new Set((exclude.files ?? []).map((f) => resolve(f)));
  const dirs = (exclude.dirs ?? []).map((d) => resolve(d));
  const out: string[] = [];
  const visit = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      throw new UsageError(`${dir}: cannot list it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        if (!dirs.some((d) => p === d || p.startsWith(d + sep))) visit(p);
      } else if (st.isFile() && !files.has(p)) out.push(p);
    }
  };
  visit(root);
  return out;
}

function readList(abs: string, spec: string): string[] {
  const size = statSync(abs).size;
  if (size > MAX_LIST_BYTES) throw new UsageError(`${spec}: ${size} bytes is too large for a list of paths (a package? batch takes a directory or a list file)`);
  const head = Buffer.alloc(Math.min(size, 65536));
  const fd = openSync(abs, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.includes(0)) throw new UsageError(`${spec}: holds NUL bytes, so it is not a list of paths (a package? batch takes a directory or a list file)`);
  const base = dirname(abs);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of readFileSync(abs, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const p = resolve(base, line);
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
  }
  return out;
}
