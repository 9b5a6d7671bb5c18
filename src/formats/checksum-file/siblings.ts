/**
 * Checksum files among a container's members (`SHA256SUMS`, `*.md5`,
 * Xiaomi `md5sum.xml`...) are read before the members are walked, so the
 * digests they list are checked while those members stream past (no second
 * read).
 */
import { LIMITS } from '../../io/limits';
import { readWhole } from '../../io/source';
import type { ChildSpec, SiblingHook } from '../types';
import { CHECKSUM_SUFFIX, looksLikeChecksumFileName, parseChecksumFile } from '.';
import { isScatterName, scatterDownloadFiles } from '../mtk-scatter';

/** Scatter files beside a Checksum.ini that are read to map its partitions to files. */
const MAX_SCATTER_FILES = 4;

function dirOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i + 1);
}

function normalizeListed(name: string): string {
  return name.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

function baseOf(name: string): string {
  return name.split('/').pop()!;
}

/**
 * The download files of the MediaTek scatter file in the same folder
 * (`MT6785_Android_scatter.txt`), by partition; null when there is none.
 */
async function scatterBeside(specs: ChildSpec[], dir: string): Promise<Map<string, string> | null> {
  const cands = specs.filter((s) => s.readable !== false && dirOf(s.name) === dir && isScatterName(s.name)).slice(0, MAX_SCATTER_FILES);
  for (const s of cands) {
    if (s.source.kind === 'stream' && (s.source.size ?? Infinity) > LIMITS.maxTextBytes) continue;
    let bytes: Buffer | null;
    try {
      bytes = await readWhole(s.source, LIMITS.maxTextBytes);
    } catch {
      continue;
    }
    const files = bytes ? scatterDownloadFiles(bytes.toString('latin1')) : null;
    if (files && files.size) return files;
  }
  return null;
}

/**
 * The member a Checksum.ini partition stands for: the scatter file's
 * `file_name` for it, else `<partition>.img` or `.bin` beside the list.
 */
function partitionFile(partition: string, dir: string, byName: Map<string, ChildSpec>, scatter: Map<string, string> | null): ChildSpec | null {
  const file = scatter?.get(partition);
  if (file) return byName.get(dir + normalizeListed(file)) ?? null;
  for (const ext of ['.img', '.bin']) {
    const s = byName.get(`${dir}${partition}${ext}`);
    if (s) return s;
  }
  return null;
}

export const checksumFileSiblings: SiblingHook = {
  id: 'checksum-file',
  async run(specs) {
    const files = specs.filter((s) => s.readable !== false && looksLikeChecksumFileName(s.name));
    if (files.length === 0) return;
    const byName = new Map<string, ChildSpec>();
    for (const s of specs) if (!byName.has(s.name)) byName.set(s.name, s);
    // Members by last path segment, for lists that name files without their folder.
    const byBase = new Map<string, ChildSpec[]>();
    for (const s of specs) {
      const b = baseOf(s.name);
      const list = byBase.get(b);
      if (list) list.push(s);
      else byBase.set(b, [s]);
    }
    for (const cs of files) {
      // Deflated members are streamed once here and once by the walk; they are small by the cap.
      if (cs.source.kind === 'stream' && (cs.source.size ?? Infinity) > LIMITS.maxTextBytes) continue;
      let bytes: Buffer | null;
      try {
        bytes = await readWhole(cs.source, LIMITS.maxTextBytes);
      } catch {
        continue; // the walk reports the unreadable member itself
      }
      if (!bytes) continue;
      const entries = parseChecksumFile(bytes.toString('utf8'), cs.name);
      if (!entries) continue;
      const dir = dirOf(cs.name);
      const stem = cs.name.replace(CHECKSUM_SUFFIX, '');
      const scatter = entries.some((e) => e.partition !== undefined) ? await scatterBeside(specs, dir) : null;
      for (const e of entries) {
        if (e.partition !== undefined) {
          const found = partitionFile(e.partition, dir, byName, scatter);
          if (found) {
            // Two partitions flashed from one file (lk and lk2, tee1 and tee2) with one value: one check naming both lines.
            const same = found.expect?.find((x) => x.kind === 'checksum-file' && x.algo === e.algo && x.hex === e.hex && x.from.startsWith(`${cs.name} line`));
            if (same) same.from = `${same.from.replace(' line ', ' lines ')}, ${e.line}`;
            else (found.expect ??= []).push({ algo: e.algo, hex: e.hex, kind: 'checksum-file', from: `${cs.name} line ${e.line}` });
            continue;
          }
          const file = scatter?.get(e.partition);
          (cs.facts ??= []).push({
            kind: 'checksum-missing',
            message: `lists partition ${e.partition} (${file ? `file "${file}" in the scatter file` : `no scatter file beside it names its file; not found as ${e.partition}.img or .bin`}), which is not in the package (${cs.name} line ${e.line})`,
          });
          continue;
        }
        const listed = e.name === null ? stem : dir + normalizeListed(e.name);
        let target = byName.get(listed);
        if (!target && e.name !== null) {
          const cands = (byBase.get(baseOf(normalizeListed(e.name))) ?? []).filter((s) => s !== cs);
          if (cands.length === 1) target = cands[0];
        }
        const what = `${cs.name} line ${e.line}`;
        if (!target) {
          (cs.facts ??= []).push({ kind: 'checksum-missing', message: `lists "${e.name ?? listed}", which is not in the package (${what})` });
          continue;
        }
        (target.expect ??= []).push({ algo: e.algo, hex: e.hex, kind: 'checksum-file', from: what });
      }
    }
  },
};
