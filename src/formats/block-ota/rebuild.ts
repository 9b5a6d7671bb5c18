/**
 * Rebuilds the partition image of a full block-based OTA from its siblings
 * `<part>.transfer.list` + `<part>.new.dat[.br]` (what sdat2img does), as one
 * more artifact `<part>.img` that is decoded, hashed and extractable like any
 * image. Random access when new.dat is; streamed in block order from a
 * compressed new.dat when the `new` ranges ascend; otherwise the decoded
 * new.dat is spilled first. Incremental OTAs need a source image: only their
 * structure is checked (by the transfer-list handler).
 */
import { LIMITS, type Budget } from '../../io/limits';
import { spillToRandom, type Spilled } from '../../io/spill';
import { StreamReader } from '../../io/stream-reader';
import { TruncatedError } from '../../io/errors';
import { GeneratedStreamSource, readWhole, type Source } from '../../io/source';
import type { ChildSpec, DecodeContext, DerivedChild, OpenedChild, SiblingHook } from '../types';
import type { Fact } from '../../report/model';
import { parseTransferList, overlappingWrites, OTA_BLOCK, type TransferList } from './transfer-list';
import { brotliDecode } from '../brotli';
import { ChunkMap, ChunkKind } from '../android-sparse/chunk-map';
import { SparseExpandedSource } from '../android-sparse/expanded';

export interface BlockOtaSet {
  /** Partition name with the member's directory ("system", "sub/vendor"). */
  part: string;
  list: ChildSpec;
  newData?: ChildSpec;
  brotli: boolean;
  patchData?: ChildSpec;
  opList?: ChildSpec;
}

const SHORT = 'blockota-short-data';

export function findBlockOtas(specs: ChildSpec[]): BlockOtaSet[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: BlockOtaSet[] = [];
  for (const s of specs) {
    const m = /^(.*)\.transfer\.list$/.exec(s.name);
    if (!m || s.readable === false) continue;
    const part = m[1];
    const dir = part.includes('/') ? part.slice(0, part.lastIndexOf('/') + 1) : '';
    const br = byName.get(`${part}.new.dat.br`);
    const raw = byName.get(`${part}.new.dat`);
    out.push({ part, list: s, newData: raw ?? br, brotli: !raw && !!br, patchData: byName.get(`${part}.patch.dat`), opList: byName.get(`${dir}dynamic_partitions_op_list`) });
  }
  return out;
}

/** `resize <partition> <bytes>` lines of dynamic_partitions_op_list give partition sizes. */
export function partitionSizes(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\s*resize\s+(\S+)\s+(\d+)\s*$/.exec(line);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** Decoded new.dat stream: brotli, inflated zip member, or as stored. */
function newDataStream(set: BlockOtaSet, ctx: DecodeContext): AsyncIterable<Buffer> {
  const s = set.newData!.source.stream();
  return set.brotli ? brotliDecode(s, ctx, `${set.newData!.name}`) : s;
}

/** Output in block order, pulling new.dat sequentially: only valid when `new` ranges ascend. */
async function* streamInOrder(tl: TransferList, data: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const r = new StreamReader(data);
  const zero = Buffer.alloc(OTA_BLOCK * 256);
  const zeros = function* (blocks: number) {
    for (let left = blocks * OTA_BLOCK; left > 0; left -= zero.length) yield left >= zero.length ? zero : zero.subarray(0, left);
  };
  let pos = 0;
  try {
    for (const c of tl.commands) {
      if (c.op !== 'new') continue;
      for (const [s, e] of c.target!) {
        yield* zeros(s - pos);
        const need = (e - s) * OTA_BLOCK;
        let got = 0;
        for await (const chunk of r.rest(need)) {
          got += chunk.length;
          yield chunk;
        }
        if (got < need) {
          throw new TruncatedError(`${what} ends after ${r.offset} bytes, inside the data of line ${c.line} (blocks ${s}-${e - 1}); the list needs ${tl.newBlocks * OTA_BLOCK} bytes`, r.offset, SHORT);
        }
        pos = e;
      }
    }
    yield* zeros(tl.imageBlocks - pos);
  } finally {
    await r.close();
  }
}

function ascending(tl: TransferList): boolean {
  let last = 0;
  for (const c of tl.commands) {
    if (c.op !== 'new') continue;
    for (const [s, e] of c.target!) {
      if (s < last) return false;
      last = e;
    }
  }
  return true;
}

function chunkMap(tl: TransferList): ChunkMap {
  const map = new ChunkMap();
  const extents: [number, number, number][] = [];
  for (const c of tl.commands) {
    if (c.op !== 'new') continue;
    let off = c.newOffset!;
    for (const [s, e] of c.target!) {
      extents.push([s, e - s, off * OTA_BLOCK]);
      off += e - s;
    }
  }
  extents.sort((a, b) => a[0] - b[0]);
  for (const [s, n, off] of extents) map.push(s, n, ChunkKind.Raw, off);
  return map;
}

/**
 * Checks a transfer list against its siblings (facts go on the list's spec,
 * which is walked after this) and says whether an image is rebuilt: only a
 * full OTA whose writes do not overlap gives one (an incremental OTA needs
 * the device's source image).
 */
async function planBlockOta(set: BlockOtaSet): Promise<TransferList | null> {
  const listFacts = (set.list.facts ??= []);
  let text: Buffer | null;
  try {
    text = await readWhole(set.list.source, 64 << 20);
  } catch {
    return null; // the list's own walk reports why it cannot be read
  }
  if (!text) return null;
  const tl = parseTransferList(text.toString('latin1'));
  if (tl.problems.length || !(tl.version >= 1)) return null;
  const base = set.part.split('/').pop()!;
  if (set.opList) {
    const ops = await readWhole(set.opList.source, 1 << 20).catch(() => null);
    const size = ops ? partitionSizes(ops.toString('latin1')).get(base) : undefined;
    if (size !== undefined) {
      const blocks = Math.floor(size / OTA_BLOCK);
      for (const c of tl.commands) {
        const past = c.target?.find(([, e]) => e > blocks);
        if (past) {
          listFacts.push({ kind: 'blockota-range', message: `line ${c.line} writes blocks up to ${past[1] - 1}, past the end of ${base} (${size} bytes = ${blocks} blocks, dynamic_partitions_op_list)` });
          break;
        }
      }
    }
  }
  if (tl.incremental) {
    // Patches are addressed by (offset, length) into patch.dat; it must hold them all.
    const patches = tl.commands.filter((c) => c.patch);
    const end = Math.max(0, ...patches.map((c) => c.patch!.offset + c.patch!.length));
    const have = set.patchData?.source.size ?? null;
    if (patches.length && (!set.patchData || (have !== null && have < end))) {
      const worst = patches.find((c) => c.patch!.offset + c.patch!.length > (have ?? 0))!;
      listFacts.push({
        kind: SHORT,
        message: set.patchData
          ? `line ${worst.line} reads patch bytes up to ${worst.patch!.offset + worst.patch!.length}, ${set.patchData.name} has ${have}`
          : `${set.part}.patch.dat is missing; the list applies ${patches.length} patches`,
      });
    }
    return null;
  }
  if (overlappingWrites(tl).length) return null;
  if (!set.newData && tl.newBlocks === 0) return null;
  return tl;
}

/** Builds the rebuilt image (or a non-readable child saying why it cannot be built). */
async function openBlockOta(set: BlockOtaSet, tl: TransferList, name: string, budget: Budget, tempDir?: string): Promise<OpenedChild> {
  const facts: Fact[] = [];
  const info: Record<string, unknown> = { rebuiltFrom: [set.list.name, set.newData?.name].filter(Boolean), imageBlocks: tl.imageBlocks };
  const notBuilt = (f: Fact): OpenedChild => ({ spec: { name, source: set.list.source, readable: false, facts: [...facts, f], info }, release: async () => {} });
  const need = tl.newBlocks * OTA_BLOCK;
  if (!set.newData) {
    return notBuilt({ kind: SHORT, message: `${set.part}.new.dat is missing; the transfer list writes ${need} bytes of new data` });
  }
  const size = tl.imageBlocks * OTA_BLOCK;
  try {
    budget.chargeExpanded(size);
  } catch (e) {
    return notBuilt({ kind: 'budget', message: (e as Error).message });
  }
  const known = set.brotli ? null : set.newData.source.size;
  if (known !== null && known < need) {
    return notBuilt({ kind: SHORT, message: `${set.newData.name} has ${known} bytes; the transfer list needs ${need} (${tl.newBlocks} blocks)` });
  }
  if (known !== null && known > need) info.unusedNewDataBytes = known - need;
  const ctx: DecodeContext = { budget, fact: (f) => void facts.push(f) };
  let spilled: Spilled | null = null;
  let source: Source;
  if (set.newData.source.kind === 'random' && !set.brotli) {
    source = new SparseExpandedSource(name, { map: chunkMap(tl), files: [set.newData.source] }, OTA_BLOCK, tl.imageBlocks, SHORT);
  } else if (ascending(tl)) {
    info.access = 'streamed';
    source = new GeneratedStreamSource(name, size, () => streamInOrder(tl, newDataStream(set, ctx), set.newData!.name));
  } else {
    spilled = await spillToRandom(newDataStream(set, ctx), set.newData.name, { memoryCap: LIMITS.spillMemoryCap, sizeHint: need, tempDir, budget });
    if (spilled.bytes < need) {
      await spilled.release();
      return notBuilt({ kind: SHORT, message: `${set.newData.name} decodes to ${spilled.bytes} bytes; the transfer list needs ${need}` });
    }
    source = new SparseExpandedSource(name, { map: chunkMap(tl), files: [spilled.source] }, OTA_BLOCK, tl.imageBlocks, SHORT);
  }
  return { spec: { name, source, facts, info }, release: async () => void (await spilled?.release()) };
}

/** Every `<part>.transfer.list` of a full OTA proposes `<part>.img`, rebuilt from its new.dat. */
export const blockOtaSiblings: SiblingHook = {
  id: 'block-ota',
  async run(children, ctx) {
    const derived: DerivedChild[] = [];
    for (const set of findBlockOtas(children)) {
      const tl = await planBlockOta(set);
      if (!tl) continue;
      derived.push({ name: `${set.part}.img`, doing: `rebuilding ${set.part}.img`, open: (name) => openBlockOta(set, tl, name, ctx.budget, ctx.tempDir) });
    }
    return { derived };
  },
};
