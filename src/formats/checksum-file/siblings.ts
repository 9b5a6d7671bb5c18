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
      for (const e of entries) {
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
