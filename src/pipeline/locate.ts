/**
 * Resolves an artifact path to its bytes without walking the whole package:
 * at each level only the container's directory is decoded.
 */
import { LIMITS, Budget, defaultBudget } from '../io/limits';
import { StreamReader } from '../io/stream-reader';
import { spillToRandom, type Spilled } from '../io/spill';
import { UsageError } from '../io/errors';
import { nearest } from '../io/suggest';
import type { RandomSource, Source } from '../io/source';
import { detectFormat } from '../formats/registry';
import type { ContainerHandler, DecodeContext, ChildSpec, PartitionBase } from '../formats/types';
import type { ExpectedDigest, Fact } from '../report/model';
import { OneShotSource } from './streams';
import { TRAILER_HOOKS } from '../formats/registry';
import { childrenOf, namedEntries, trailersOf, type ChildEntry } from './children';

export interface Located {
  source: Source;
  /** Digests the bytes must have (zip CRC...), checked while they are written. */
  expect: ExpectedDigest[];
  /** Facts raised by decoders on the way (a failed LZ4 checksum...). */
  facts: Fact[];
  release(): Promise<void>;
  /** With `{ fileSystem: true }`: the first file system on the way (a container that lists directories) and the path left inside it. */
  fileSystem?: { handler: ContainerHandler; source: RandomSource; path: string; name: string };
}

export interface LocateOptions {
  /** Stop at the first file system on the way (`romscope ls`): the rest of the path is a directory or file inside it. */
  fileSystem?: boolean;
  /** `--base`: the build incremental payloads on the way are applied to. */
  base?: PartitionBase;
}

/** Picks the child whose name is the longest prefix of `rest` at a '/' boundary. */
function pickChild<T extends { name: string }>(children: T[], rest: string): { child: T; rest: string } | null {
  let best: T | null = null;
  for (const c of children) {
    if ((rest === c.name || rest.startsWith(c.name + '/')) && (!best || c.name.length > best.name.length)) best = c;
  }
  return best ? { child: best, rest: rest.slice(best.name.length + 1) } : null;
}

export async function locate(root: RandomSource, artifactPath: string, tempDir?: string, opts: LocateOptions = {}): Promise<Located> {
  // Facts about the bytes being extracted: the chosen member's own, and those
  // decompressors raise while streaming them. A container's facts about
  // other members (a truncated tail) do not spoil an intact member.
  const facts: Fact[] = [];
  const spills: Spilled[] = [];
  const budget = new Budget(defaultBudget(root.size));
  const streamCtx: DecodeContext = { budget, fact: (f) => void facts.push(f) };
  const containerCtx: DecodeContext = { budget, fact: () => {}, ...(opts.base ? { base: opts.base } : {}) };
  const release = async () => {
    for (const s of spills) await s.release();
  };
  let cur: Source = root;
  let expect: ExpectedDigest[] = [];
  let rest = artifactPath;
  let walked = '';
  try {
    while (rest !== '' || opts.fileSystem) {
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
      const toRandom = async (): Promise<RandomSource> => {
        if (cur.kind === 'random') return cur;
        const s = await spillToRandom(stream!, cur.name, { memoryCap: LIMITS.spillMemoryCap, sizeHint: cur.size, tempDir });
        spills.push(s);
        return s.source;
      };
      if (opts.fileSystem && h?.kind === 'container' && h.list) {
        return { source: cur, expect, facts, release, fileSystem: { handler: h, source: await toRandom(), path: rest, name: walked } };
      }
      const notFs = () => new UsageError(`no file system at "${artifactPath}": ${here} is ${h ? h.id : 'not a format romscope recognises'}`);
      if (opts.fileSystem && rest === '' && h?.kind !== 'container') throw notFs();
      let entries: ChildEntry[] | null = null;
      const next = rest.split('/')[0];
      if ((!h || h.kind === 'opaque') && TRAILER_HOOKS.some((t) => t.childNames.includes(next))) {
        // The walk gives unrecognised bytes the children of a trailer they end in (an AVB footer and its vbmeta);
        // a streamed source is spilled only when the path asks for one of them.
        const trailers = (await trailersOf(await toRandom())).children;
        if (trailers.length) entries = namedEntries(trailers);
      }
      if (!entries && (!h || h.kind === 'document' || h.kind === 'opaque')) throw new UsageError(`no artifact "${artifactPath}": ${here} has no members`);
      if (h?.kind === 'transform') {
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
      let resolver: { src: RandomSource; h: ContainerHandler } | null = null;
      if (!entries && (h as ContainerHandler).resolve && rest !== '' && !TRAILER_HOOKS.some((t) => t.childNames.includes(next))) {
        // A file system: the path is looked up component by component, reading only the directories
        // on the way and the blocks they lie in, not the whole tree the decoder walks. The members its
        // decoder lists (property files, init scripts) are named by their paths, so they resolve the same.
        const rsrc = await toRandom();
        const spec = await (h as ContainerHandler).resolve!(rsrc, rest, containerCtx);
        if (spec) {
          if (spec.readable === false) throw new UsageError(`"${walked ? walked + '/' : ''}${rest}" cannot be extracted: ${spec.facts?.[0]?.message ?? 'unreadable'}`);
          facts.push(...(spec.facts ?? []));
          cur = spec.source;
          expect = spec.expect ?? [];
          walked = walked ? `${walked}/${rest}` : rest;
          rest = '';
          continue;
        }
      }
      if (!entries) {
        const rsrc = await toRandom();
        if ((h as ContainerHandler).resolve) resolver = { src: rsrc, h: h as ContainerHandler };
        const res = await (h as ContainerHandler).decode(rsrc, containerCtx);
        if (h!.traits?.avbFooter) res.children = [...res.children, ...(await trailersOf(rsrc, res.children)).children];
        // The same member list, unique names, hooks and derived children as the walk: every reported path resolves.
        const list = await childrenOf(res.children, { budget, container: { format: res.format ?? h!.id, name: cur.name, source: rsrc }, fact: () => {}, tempDir });
        entries = list.entries;
      }
      if (opts.fileSystem && entries.length === 1 && !pickChild(entries, rest) && !resolver?.h.list) {
        // A container with one member (a sparse image's `raw`) on the way to a file system: its name may be left out.
        rest = rest === '' ? entries[0].name : `${entries[0].name}/${rest}`;
      }
      if (opts.fileSystem && rest === '') throw notFs();
      let picked = pickChild(entries, rest);
      if (!picked && resolver) {
        // A file system: any file by its path inside (a directory or a missing path is no artifact).
        const spec = await resolver.h.resolve!(resolver.src, rest, containerCtx);
        if (spec) picked = { child: { name: rest, spec: { ...spec, name: rest } }, rest: '' };
      }
      if (!picked) {
        // The nearest real paths at this level (edit distance), so a typo is one copy and paste away.
        const near = nearest(
          rest,
          entries.map((e) => e.name),
          { max: 5 },
        ).map((n) => JSON.stringify(walked ? `${walked}/${n}` : n));
        throw new UsageError(`no artifact "${artifactPath}": nothing named "${rest}" in ${here}${near.length ? `; nearest: ${near.join(', ')}` : ''}`);
      }
      let child: ChildSpec;
      if (picked.child.spec) child = picked.child.spec;
      else {
        // Only the derived child asked for is built (it may decode a whole new.dat.br).
        const opened = await picked.child.derived!.open(picked.child.name);
        spills.push({ release: opened.release } as Spilled);
        child = opened.spec;
      }
      if (child.readable === false) {
        throw new UsageError(
          `"${walked ? walked + '/' : ''}${picked.child.name}" cannot be extracted: ${child.facts?.[0]?.message ?? (typeof child.info?.partitionHash === 'string' ? child.info.partitionHash : 'unreadable')}`,
        );
      }
      facts.push(...(child.facts ?? []));
      cur = child.source;
      expect = child.expect ?? [];
      walked = walked ? `${walked}/${picked.child.name}` : picked.child.name;
      rest = picked.rest;
      if (child.open === false && rest !== '') throw new UsageError(`no artifact "${artifactPath}": ${walked} is not opened (docs/formats.md), so it has no members`);
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { source: cur, expect, facts, release };
}
