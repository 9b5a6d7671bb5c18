/**
 * Checksum files next to the input (`rom.zip.sha256`, `rom.md5`, `SHA256SUMS`,
 * `MD5SUMS`...). They are read before the walk so the input's digests are
 * compared while it is hashed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { LIMITS } from '../../io/limits';
import { CHECKSUM_SUFFIX, looksLikeChecksumFileName, parseChecksumFile } from '.';
import type { ExpectedDigest } from '../../report/model';
import type { NeighbourHook } from '../types';

export async function sidecarExpectations(inputPath: string): Promise<{ expect: ExpectedDigest[]; files: string[] }> {
  const dir = dirname(inputPath);
  const base = basename(inputPath);
  const stem = base.replace(/\.[^.]+$/, '');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { expect: [], files: [] };
  }
  const expect: ExpectedDigest[] = [];
  const files: string[] = [];
  for (const n of names.sort()) {
    if (n === base || !looksLikeChecksumFileName(n)) continue;
    const full = join(dir, n);
    try {
      const st = await stat(full);
      if (!st.isFile() || st.size > LIMITS.maxTextBytes) continue;
      const entries = parseChecksumFile(await readFile(full, 'utf8'), n);
      if (!entries) continue;
      const own = n.replace(CHECKSUM_SUFFIX, '');
      let used = false;
      for (const e of entries) {
        const listed = e.name === null ? own : e.name.replace(/^\*/, '').split(/[\\/]/).pop();
        if (listed === base || (e.name === null && listed === stem)) {
          expect.push({ algo: e.algo, hex: e.hex, kind: 'checksum-file', from: `${n} line ${e.line}` });
          used = true;
        }
      }
      if (used) files.push(n);
    } catch {
      // An unreadable neighbour is not the input's problem.
    }
  }
  return { expect, files };
}

/** Checksum files beside the input: expectations on it, and their names in its info. */
export const checksumSidecars: NeighbourHook = {
  id: 'checksum-file',
  async run(inputPath) {
    const { expect, files } = await sidecarExpectations(inputPath);
    return { expect, info: files.length ? { sidecarChecksumFiles: files } : undefined };
  },
};
