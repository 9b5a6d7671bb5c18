/**
 * Resolves an artifact path to its bytes without walking the whole package:
 * at each level only the container's directory is decoded.
 */
import { LIMITS, Budget, defaultBudget } from '../io/limits';
import { StreamReader } from '../io/stream-reader';
import { spillToRandom, type Spilled } from '../io/spill';
import { UsageError } from '../io/errors';
import type { RandomSource, Source } from '../io/source';
import { detectFormat } from '../formats/registry';
import type { DecodeContext, ChildSpec } from '../formats/types';
import type { ExpectedDigest, Fact } from '../report/model';
import { OneShotSource } from './streams';
import { findSplitGroups, joinSplitGroup } from './split-images';
import { findBlockOtas, prepareBlockOta } from './block-ota';
import { uniqueName } from './walk';
import { footerChildren } from '../formats/avb-footer/image';

export interface Located {
  source: Source;
  /** Digests the bytes must have (zip CRC...), checked while they are written. */
  expect: ExpectedDigest[];
  /** Facts raised by decoders on the way (a failed LZ4 checksum...). */
  facts: Fact[];
  release(): Promise<void>;
}

/** Picks the child whose name is the longest prefix of `rest` at a '/' boundary. */
function pickChild<T extends { name: string }>(children: T[], rest: string): { child: T; rest: string } | null {
  let best: T | null = null;
  for (const c of children) {
    if ((rest === c.name || rest.startsWith(c.name + '/')) && (!best || c.name.length > best.name.length)) best = c;
  }
  return best ? { child: best, rest: rest.slice(best.name.length + 1) } : null;
}

export async function locate(root: RandomSource, artifactPath: string, tempDir?: string): Promise<Located> {
  // Facts about the bytes being extracted: the chosen member's own, and those
  // decompressors raise while streaming them. A container's facts about
  // other members (a truncated tail) do not spoil an intact member.
  const facts: Fact[] = [];
  const spills: Spilled[] = [];
  const budget = new Budget(defaultBudget(root.size));
  const streamCtx: DecodeContext = { budget, fact: (f) => void facts.push(f) };
  const containerCtx: DecodeContext = { budget, fact: () => {} };
  const release = async () => {
    for (const s of spills) await s.release();
  };
  let cur: Source = root;
  let expect: ExpectedDigest[] = [];
  let rest = artifactPath;
  let walked = '';
  try {
    while (rest !== '') {
      let peek: Buffer;
      let stream: AsyncIterable<Buffer> | null = null;
      if (cur.kind === 'random') peek = await cur.read(0, LIMITS.peekBytes);
      else {
        const r: StreamReader = new StreamReader(cur.stream());
        peek = await r.peek(LIMITS.peekBytes);
        stream = r.rest();
      }
      const h = detectFormat({ peek, name: cur.name, size: cur.size });
      const here = walked || '(the input)';
      if (!h || h.kind === 'opaque') {
        // The walk gives any image ending in an AVB footer the children avb_footer and vbmeta.
        const next = rest.split('/')[0];
        if (next === 'avb_footer' || next === 'vbmeta') {
          let img: RandomSource;
          if (cur.kind === 'random') img = cur;
          else {
            const s = await spillToRandom(stream!, cur.name, { memoryCap: LIMITS.spillMemoryCap, tempDir });
            spills.push(s);
            img = s.source;
          }
          const picked = pickChild((await footerChildren(img))?.children ?? [], rest);
          if (picked) {
            cur = picked.child.source;
            expect = [];
            walked = walked ? `${walked}/${picked.child.name}` : picked.child.name;
            rest = picked.rest;
            continue;
          }
        }
      }
      if (!h || h.kind === 'document' || h.kind === 'opaque') throw new UsageError(`no artifact "${artifactPath}": ${here} has no members`);
      if (h.kind === 'transform') {
        const name = h.childName(cur.name, peek);
        const picked = pickChild([{ name }], rest);
        if (!picked) throw new UsageError(`no artifact "${artifactPath}": ${here} decompresses to "${name}"`);
        const input: AsyncIterable<Buffer> = stream ?? (cur as RandomSource).stream();
        cur = new OneShotSource(name, null, h.transform(input, streamCtx, {}));
        expect = [];
        walked = walked ? `${walked}/${name}` : name;
        rest = picked.rest;
        continue;
      }
      let rsrc: RandomSource;
      if (cur.kind === 'random') rsrc = cur;
      else {
        const s = await spillToRandom(stream!, cur.name, { memoryCap: LIMITS.spillMemoryCap, tempDir });
        spills.push(s);
        rsrc = s.source;
      }
      const res = await h.decode(rsrc, containerCtx);
      const used = new Set<string>();
      // Same names, duplicate suffixes and derived artifacts as the walk, so every reported path resolves.
      const named: (ChildSpec & { name: string })[] = res.children.map((c) => ({ ...c, name: uniqueName(used, c.name) }));
      for (const set of findBlockOtas(named)) {
        const n = uniqueName(used, `${set.part}.img`);
        // Only the image asked for is prepared (it may decode a whole new.dat.br).
        if (rest !== n && !rest.startsWith(n + '/')) continue;
        const img = await prepareBlockOta(set, budget, tempDir).catch(() => null);
        if (!img) continue;
        spills.push({ release: img.release } as Spilled);
        named.push({ ...img.spec, name: n });
      }
      for (const g of findSplitGroups(named)) {
        const n = uniqueName(used, g.base);
        if (rest === n || rest.startsWith(n + '/')) {
          const joined = await joinSplitGroup(g, budget, tempDir);
          if (joined) {
            spills.push({ release: joined.release } as Spilled);
            named.push({ ...joined.spec, name: n });
          }
        }
      }
      const picked = pickChild(named, rest);
      if (!picked) throw new UsageError(`no artifact "${artifactPath}": nothing named "${rest}" in ${here}`);
      if (picked.child.readable === false) {
        throw new UsageError(`"${walked ? walked + '/' : ''}${picked.child.name}" cannot be extracted: ${picked.child.facts?.[0]?.message ?? 'unreadable'}`);
      }
      facts.push(...(picked.child.facts ?? []));
      cur = picked.child.source;
      expect = picked.child.expect ?? [];
      walked = walked ? `${walked}/${picked.child.name}` : picked.child.name;
      rest = picked.rest;
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { source: cur, expect, facts, release };
}
