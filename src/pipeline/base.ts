/**
 * The base build of an incremental OTA (`--base`): a full OTA package, a
 * factory or fastboot package, a super image, or a directory of partition
 * images. Partitions are found by name (`system` is `system.img`, `system`,
 * `system_a.img`, `system.img.lz4`...) through every archive, partition table
 * (super's LP metadata, GPT) and A/B payload in it, and through the layers
 * that wrap an image: an Android sparse image is read through its chunk map
 * (random access, nothing expanded), a compressed stream (lz4, gzip...) is
 * decoded once to a temporary file. Only the directories of containers are
 * read to find them; a partition's bytes are read when the payload asks.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FileSource, type RandomSource, type Source } from '../io/source';
import { Budget, defaultBudget, LIMITS } from '../io/limits';
import { StreamReader } from '../io/stream-reader';
import { spillToRandom, type Spilled } from '../io/spill';
import { errorMessage, UsageError } from '../io/errors';
import { detectFormat } from '../formats/registry';
import type { BaseImage, ContainerHandler, DecodeContext, PartitionBase } from '../formats/types';
import { childrenOf } from './children';

/** Containers opened and members looked at while searching a base, at most. */
export const MAX_BASE_MEMBERS = 100_000;
/** Deepest nesting searched (a zip in a zip in a directory, a payload in a zip...). */
const MAX_BASE_DEPTH = 6;
/** Files of a directory base looked at (in its subdirectories too, two levels down). */
const MAX_DIR_FILES = 10_000;

/** Roles of the containers searched for partitions: packages, partition tables, A/B payloads. */
const SEARCHED = new Set(['archive', 'partition-table', 'update']);

/** `system` from `images/system_a.img.lz4`, and how good a match it is (0 plain, 1 slot a, 2 slot b). */
export function partitionKey(memberName: string): { key: string; rank: number } | null {
  let n = memberName.split('/').pop() ?? '';
  n = n.replace(/\.(lz4|gz|br|xz|zst|bz2)$/i, '').replace(/\.(img|bin|raw|ext4)$/i, '');
  if (!n) return null;
  const slot = /^(.+)_([ab])$/.exec(n);
  if (slot) return { key: slot[1], rank: slot[2] === 'a' ? 1 : 2 };
  return { key: n, rank: 0 };
}

interface Candidate {
  source: Source;
  path: string;
  rank: number;
}

interface Node {
  source: Source;
  name: string;
  path: string;
  depth: number;
}

export interface OpenedBase extends PartitionBase {
  /** Temporary files made for compressed images, removed here. */
  release(): Promise<void>;
}

/** Opens `--base`: a directory or a file. Throws a UsageError when it cannot be read. */
export async function openBase(path: string, opts: { tempDir?: string } = {}): Promise<OpenedBase> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new UsageError(`--base ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : `cannot read (${(e as NodeJS.ErrnoException).code})`}`);
  }
  const files: FileSource[] = [];
  const spills: Spilled[] = [];
  const roots: Node[] = [];
  if (st.isDirectory()) {
    const walkDir = async (dir: string, depth: number) => {
      for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        if (roots.length >= MAX_DIR_FILES) return;
        const p = join(dir, e.name);
        if (e.isDirectory() && depth < 2) await walkDir(p, depth + 1);
        else if (e.isFile()) {
          const f = await FileSource.open(p, e.name);
          files.push(f);
          roots.push({ source: f, name: e.name, path: relative(path, p), depth: 1 });
        }
      }
    };
    await walkDir(path, 0);
  } else if (st.isFile()) {
    const f = await FileSource.open(path, path.split('/').pop() ?? path);
    files.push(f);
    roots.push({ source: f, name: '', path: '', depth: 0 });
  } else throw new UsageError(`--base ${path}: not a file or directory`);

  const budget = new Budget(defaultBudget(st.isFile() ? st.size : 1 << 30));
  /** Containers the search could not open, or not whole, and why (said when a partition is not found). */
  const unsearched: string[] = [];
  /** The container being searched, for the facts its decoder gives. */
  let searching = '';
  const ctx: DecodeContext = {
    budget,
    // A container that does not decode whole (a cut or unreadable directory, a limit) may hide a partition.
    fact: (f) => {
      if ((f.kind === 'truncated' || f.kind === 'unreadable' || f.kind === 'budget') && unsearched.length < 100) unsearched.push(`${searching}: ${f.message}`);
    },
  };
  const toRandom = async (src: Source, name: string): Promise<RandomSource> => {
    if (src.kind === 'random') return src;
    const s = await spillToRandom(src.stream(), name, { memoryCap: LIMITS.spillMemoryCap, sizeHint: src.size, tempDir: opts.tempDir });
    spills.push(s);
    return s.source;
  };
  /** The plain bytes of an image: a sparse image's expansion, a compressed stream decoded. */
  const unwrap = async (src: Source, name: string): Promise<RandomSource> => {
    let cur = src;
    let curName = name;
    for (let layer = 0; layer < 4; layer++) {
      const peek = cur.kind === 'random' ? await cur.read(0, LIMITS.peekBytes) : await new StreamReader(cur.stream()).peek(LIMITS.peekBytes);
      const h = detectFormat({ peek, name: curName, size: cur.size });
      if (h?.traits?.wrapsImage) {
        const r = await (h as ContainerHandler).decode(await toRandom(cur, curName), ctx);
        if (r.children.length !== 1) break;
        cur = r.children[0].source;
        continue;
      }
      if (h?.kind === 'transform') {
        const input = cur.stream();
        curName = h.childName(curName, peek);
        const s = await spillToRandom(h.transform(input, ctx, {}), curName, { memoryCap: LIMITS.spillMemoryCap, tempDir: opts.tempDir });
        spills.push(s);
        cur = s.source;
        continue;
      }
      break;
    }
    return toRandom(cur, curName);
  };

  let index: Map<string, Candidate> | null = null;
  const record = (map: Map<string, Candidate>, name: string, c: Omit<Candidate, 'rank'>) => {
    const k = partitionKey(name);
    if (!k) return;
    const had = map.get(k.key);
    if (!had || k.rank < had.rank) map.set(k.key, { ...c, rank: k.rank });
  };
  const search = async (): Promise<Map<string, Candidate>> => {
    const map = new Map<string, Candidate>();
    const queue = [...roots];
    let seen = 0;
    while (queue.length && seen < MAX_BASE_MEMBERS) {
      const node = queue.shift()!;
      seen++;
      if (node.name) record(map, node.name, { source: node.source, path: node.path });
      if (node.depth >= MAX_BASE_DEPTH) continue;
      let src: RandomSource;
      let h;
      searching = node.path || node.name || path;
      try {
        // Only what may hold partitions is opened; a sparse image may hold a partition table (a sparse super.img).
        const first = node.source.kind === 'random' ? await node.source.read(0, LIMITS.peekBytes) : await new StreamReader(node.source.stream()).peek(LIMITS.peekBytes);
        h = detectFormat({ peek: first, name: node.name, size: node.source.size });
        if (h?.traits?.wrapsImage) {
          src = await unwrap(node.source, node.name);
          h = detectFormat({ peek: await src.read(0, LIMITS.peekBytes), name: node.name, size: src.size });
        } else if (h?.kind === 'container' && SEARCHED.has(h.traits?.role ?? '')) src = await toRandom(node.source, node.name);
        else continue;
        if (h?.kind !== 'container' || !SEARCHED.has(h.traits?.role ?? '')) continue;
        const res = await h.decode(src, ctx);
        const list = await childrenOf(res.children, { budget, container: { format: res.format ?? h.id, name: node.name, source: src }, fact: () => {}, tempDir: opts.tempDir });
        for (const e of list.entries) {
          if (!e.spec || e.spec.readable === false) continue;
          queue.push({ source: e.spec.source, name: e.name, path: node.path ? `${node.path}/${e.name}` : e.name, depth: node.depth + 1 });
        }
      } catch (e) {
        // Not searched: what cannot be decoded holds no partition romscope could read; a partition not found says so.
        unsearched.push(`${searching}: ${errorMessage(e)}`);
      }
    }
    if (queue.length) unsearched.push(`${queue.length} members past the first ${MAX_BASE_MEMBERS} looked at`);
    return map;
  };

  return {
    label: path,
    async find(name: string): Promise<BaseImage | null> {
      index ??= await search();
      const c = index.get(name);
      if (!c) return null;
      return { source: await unwrap(c.source, c.path.split('/').pop() ?? name), path: c.path || path };
    },
    unsearched() {
      return [...unsearched];
    },
    async release() {
      for (const s of spills) await s.release();
      for (const f of files) await f.close();
    },
  };
}
