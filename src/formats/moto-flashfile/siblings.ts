/**
 * The MD5 of every flash step of a Motorola `flashfile.xml` /
 * `servicefile.xml`, and the digests its header gives for configuration
 * files, become expectations on the sibling members they name, checked while
 * those members stream past (integrity/checksum-file). A configuration file
 * that is not in the package is integrity/listed-file-missing; an image a
 * flash step needs and the package lacks is layout/missing-image (from the
 * flashfile's layout fact), so it is not reported twice.
 */
import { LIMITS } from '../../io/limits';
import { readWhole } from '../../io/source';
import type { ChildSpec, SiblingHook } from '../types';
import { isFlashfileName, looksLikeFlashfile, parseFlashfile } from '.';

const EMPTY: Record<string, string> = {
  md5: 'd41d8cd98f00b204e9800998ecf8427e',
  sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
  sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
};

const dirOf = (name: string): string => (name.lastIndexOf('/') < 0 ? '' : name.slice(0, name.lastIndexOf('/') + 1));
const baseOf = (name: string): string => name.split('/').pop()!;

export const motoFlashfileSiblings: SiblingHook = {
  id: 'moto-flashfile',
  async run(specs) {
    const files = specs.filter((s) => s.readable !== false && isFlashfileName(s.name));
    if (files.length === 0) return;
    const byName = new Map<string, ChildSpec>();
    const byBase = new Map<string, ChildSpec[]>();
    for (const s of specs) {
      if (!byName.has(s.name)) byName.set(s.name, s);
      const b = baseOf(s.name);
      byBase.set(b, [...(byBase.get(b) ?? []), s]);
    }
    for (const ff of files) {
      if (ff.source.kind === 'stream' && (ff.source.size ?? Infinity) > LIMITS.maxTextBytes) continue;
      let bytes: Buffer | null;
      try {
        bytes = await readWhole(ff.source, LIMITS.maxTextBytes);
      } catch {
        continue; // the walk reports the unreadable member itself
      }
      if (!bytes) continue;
      const text = bytes.toString('utf8');
      if (!looksLikeFlashfile(text)) continue;
      const p = parseFlashfile(text);
      const dir = dirOf(ff.name);
      const find = (listed: string): ChildSpec | undefined => {
        const rel = listed.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
        const hit = byName.get(dir + rel);
        if (hit) return hit;
        const cands = (byBase.get(baseOf(rel)) ?? []).filter((s) => s !== ff);
        return cands.length === 1 ? cands[0] : undefined;
      };
      const seen = new Set<string>();
      const expect = (target: ChildSpec, algo: 'md5' | 'sha1' | 'sha256', hex: string, from: string) => {
        const key = `${target.name}\0${algo}\0${hex}`;
        if (seen.has(key)) return;
        seen.add(key);
        (target.expect ??= []).push({ algo, hex, kind: 'checksum-file', from });
      };
      for (const c of p.configFiles) {
        const target = find(c.name);
        // The digest of no bytes: the file was absent when the list was made (stock packages ship it so).
        if (!target && EMPTY[c.algo] === c.hex) continue;
        if (target) expect(target, c.algo as 'md5' | 'sha1' | 'sha256', c.hex, `${ff.name} <${c.element}>`);
        else (ff.facts ??= []).push({ kind: 'checksum-missing', message: `<${c.element}> gives the ${c.algo} of "${c.name}", which is not in the package (${ff.name})` });
      }
      for (const s of p.steps) {
        if (!s.md5 || !s.filename) continue;
        const target = find(s.filename);
        if (target) expect(target, 'md5', s.md5, `${ff.name} step ${s.index}`);
      }
    }
  },
};
