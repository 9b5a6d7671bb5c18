/**
 * Split sparse images (FORMATS.md §1.6): `super.img_sparsechunk.0..N`
 * (Motorola), `super.1.img, super.2.img...` and the like. Every piece
 * declares the full image and marks the others' blocks DONT_CARE; flashing
 * them in order to one partition gives the image. romscope joins them into
 * one logical artifact named after the image, so it can be decoded,
 * hashed and extracted like a single one (what `simg2img a b c out` writes).
 */
import { LIMITS, type Budget } from '../../io/limits';
import { spillToRandom, type Spilled } from '../../io/spill';
import { StreamReader } from '../../io/stream-reader';
import type { RandomSource } from '../../io/source';
import type { ChildSpec, OpenedChild, SiblingHook } from '../types';
import type { Fact } from '../../report/model';
import { readSparse, SPARSE_MAGIC } from '.';
import { ChunkMap, ChunkKind } from './chunk-map';
import { SparseExpandedSource } from './expanded';

export interface SplitGroup {
  /** Name of the joined image ("super.img"). */
  base: string;
  pieces: { index: number; spec: ChildSpec }[];
}

const SPARSECHUNK = /^(.+?)_sparsechunk[._]?(\d+)$/i;
/** `super.1.img` (base super.img) and `super.img.1` (what `simg2simg` writes). */
const NUMBERED = [/^(.+)\.(\d+)(\.img)$/i, /^(.+)()\.(\d+)$/];

/** Groups members by split-image naming; numbered `x.N.img` names need at least two pieces. */
export function findSplitGroups(specs: ChildSpec[]): SplitGroup[] {
  const groups = new Map<string, SplitGroup & { strong: boolean }>();
  for (const spec of specs) {
    let base: string;
    let index: number;
    let strong = true;
    const m = SPARSECHUNK.exec(spec.name);
    if (m) {
      base = m[1];
      index = Number(m[2]);
    } else {
      const n = NUMBERED.map((re) => re.exec(spec.name)).find(Boolean);
      if (!n) continue;
      const numbered = n[3]?.toLowerCase() === '.img' ? { b: `${n[1]}${n[3]}`, i: n[2] } : { b: n[1], i: n[3] };
      base = numbered.b;
      index = Number(numbered.i);
      strong = false;
    }
    const g = groups.get(base) ?? { base, pieces: [], strong };
    g.pieces.push({ index, spec });
    groups.set(base, g);
  }
  return [...groups.values()].filter((g) => g.strong || g.pieces.length >= 2).map(({ base, pieces }) => ({ base, pieces: pieces.sort((a, b) => a.index - b.index) }));
}

async function isSparse(spec: ChildSpec): Promise<boolean> {
  try {
    let head: Buffer;
    if (spec.source.kind === 'random') head = await spec.source.read(0, 4);
    else {
      const r = new StreamReader(spec.source.stream());
      head = await r.peek(4);
      await r.close();
    }
    return head.length === 4 && head.readUInt32LE(0) === SPARSE_MAGIC;
  } catch {
    return false;
  }
}

/** A set joins when every piece is readable and starts like a sparse image (else it is not a split sparse set after all). */
async function joinable(group: SplitGroup): Promise<boolean> {
  if (group.pieces.some((p) => p.spec.readable === false)) return false;
  for (const p of group.pieces) if (!(await isSparse(p.spec))) return false;
  return true;
}

/**
 * Builds the joined view of a group, or a non-readable spec carrying the
 * reason (a missing piece, pieces that disagree or overlap).
 */
async function joinSplitGroup(group: SplitGroup, name: string, budget: Budget, tempDir?: string): Promise<OpenedChild> {
  const facts: Fact[] = [];
  const names = group.pieces.map((p) => p.spec.name);
  const indices = group.pieces.map((p) => p.index);
  const first = indices[0];
  if (first !== 0 && first !== 1) facts.push({ kind: 'split-incomplete', message: `pieces start at number ${first}: the first piece(s) are missing` });
  for (let i = 1; i < indices.length; i++) {
    if (indices[i] === indices[i - 1]) facts.push({ kind: 'split-incomplete', message: `piece number ${indices[i]} appears twice (${names[i - 1]}, ${names[i]})` });
    else if (indices[i] !== indices[i - 1] + 1) facts.push({ kind: 'split-incomplete', message: `piece number ${indices[i - 1] + 1} is missing between ${names[i - 1]} and ${names[i]}` });
  }
  const spills: Spilled[] = [];
  const release = async () => {
    for (const s of spills) await s.release();
  };
  const notJoined = (why: string, kind: Fact['kind'] = 'split-incomplete'): OpenedChild => ({
    spec: { name, source: group.pieces[0].spec.source, readable: false, facts: [...facts, { kind, message: why }], info: { joinedFrom: names } },
    release,
  });
  // Each piece needs random access: stored members are slices already; deflated ones are spilled.
  const files: RandomSource[] = [];
  for (const p of group.pieces) {
    if (p.spec.source.kind === 'random') files.push(p.spec.source);
    else {
      const s = await spillToRandom(p.spec.source.stream(), p.spec.name, { memoryCap: LIMITS.spillMemoryCap, sizeHint: p.spec.source.size, tempDir, budget });
      spills.push(s);
      files.push(s.source);
    }
  }
  const silent = { budget, fact: () => {} }; // each piece's own walk reports its problems
  const layouts = [];
  for (const f of files) {
    const s = await readSparse(f, silent);
    if (!s || !s.ok) return notJoined(`piece ${f.name} is not a valid sparse image; the set cannot be joined`);
    layouts.push(s);
  }
  const { blockSize, totalBlocks } = layouts[0].header;
  const odd = layouts.findIndex((l) => l.header.blockSize !== blockSize || l.header.totalBlocks !== totalBlocks);
  if (odd >= 0) return notJoined(`${names[odd]} declares ${layouts[odd].header.totalBlocks} blocks of ${layouts[odd].header.blockSize}, ${names[0]} ${totalBlocks} of ${blockSize}: not one image`);
  // Data chunks (RAW and FILL) of all pieces; they must not overlap.
  const data: { start: number; blocks: number; kind: ChunkKind; arg: number; file: number }[] = [];
  layouts.forEach((l, file) => {
    for (let i = 0; i < l.map.count; i++) {
      if (l.map.kind[i] !== ChunkKind.DontCare) data.push({ start: l.map.startBlock[i], blocks: l.map.blocks[i], kind: l.map.kind[i], arg: l.map.arg[i], file });
    }
  });
  data.sort((a, b) => a.start - b.start);
  for (let i = 1; i < data.length; i++) {
    const prev = data[i - 1];
    if (data[i].start < prev.start + prev.blocks) {
      facts.push({ kind: 'split-incomplete', message: `${names[data[i].file]} and ${names[prev.file]} both write block ${data[i].start}: a piece is duplicated or from another build` });
      return notJoined('overlapping pieces cannot be joined unambiguously');
    }
  }
  const map = new ChunkMap();
  for (const d of data) map.push(d.start, d.blocks, d.kind, d.arg, d.file);
  const expanded = totalBlocks * blockSize;
  try {
    budget.chargeExpanded(expanded);
  } catch (e) {
    return notJoined(`the joined image is not decoded: ${(e as Error).message}`, 'budget');
  }
  return {
    spec: {
      name,
      source: new SparseExpandedSource(name, { map, files }, blockSize, totalBlocks),
      facts,
      info: { joinedFrom: names, blockSize, totalBlocks, expandedSize: expanded },
    },
    release,
  };
}

/** Split sparse pieces among the members become one more child: the image they make. */
export const splitSparseSiblings: SiblingHook = {
  id: 'split-sparse',
  async run(children, ctx) {
    const groups = [];
    for (const g of findSplitGroups(children)) if (await joinable(g)) groups.push(g);
    return { derived: groups.map((g) => ({ name: g.base, doing: `joining ${g.base}`, open: (name: string) => joinSplitGroup(g, name, ctx.budget, ctx.tempDir) })) };
  },
};
