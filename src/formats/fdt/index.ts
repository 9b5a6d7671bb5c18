/**
 * Flattened device tree blobs (`.dtb`, `.dtbo`, the entries of a DTBO
 * table): the header (all fields big-endian) and the structure block read
 * as a token stream (BEGIN_NODE name, PROP len/nameoff/value, END_NODE,
 * NOP, END). What users check is reported: the root's `model` and
 * `compatible`, Qualcomm's `qcom,msm-id` / `qcom,board-id` /
 * `qcom,pmic-id`, and for an overlay its fragments' targets. Every offset
 * and size is checked against the blob before it is read; nodes and depth
 * are capped.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { BufferSource, SliceSource, type RandomSource } from '../../io/source';
import type { Fact } from '../../report/model';
import { declaration } from '../../compat/declarations';

export const FDT_MAGIC = 0xd00dfeed;
const HEADER_MIN = 40;
const MAX_NODES = 200_000;
const MAX_DEPTH = 64;
/** Listed in full up to this many (overlay targets); the rest are counted. */
const MAX_LISTED = 32;

const BEGIN_NODE = 1;
const END_NODE = 2;
const PROP = 3;
const NOP = 4;
const END = 9;

export interface FdtHeader {
  totalSize: number;
  offStruct: number;
  offStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  sizeStrings: number | null;
  sizeStruct: number | null;
}

export function parseFdtHeader(b: Buffer): FdtHeader | null {
  if (b.length < HEADER_MIN || b.readUInt32BE(0) !== FDT_MAGIC) return null;
  const version = b.readUInt32BE(20);
  return {
    totalSize: b.readUInt32BE(4),
    offStruct: b.readUInt32BE(8),
    offStrings: b.readUInt32BE(12),
    offMemRsvmap: b.readUInt32BE(16),
    version,
    lastCompVersion: b.readUInt32BE(24),
    sizeStrings: version >= 3 ? b.readUInt32BE(32) : null,
    sizeStruct: version >= 17 && b.length >= 40 ? b.readUInt32BE(36) : null,
  };
}

/** A NUL-separated string list, or null when the value is not printable text. */
function stringList(v: Buffer): string[] | null {
  if (v.length === 0 || v[v.length - 1] !== 0) return null;
  const parts = v
    .subarray(0, v.length - 1)
    .toString('latin1')
    .split('\0');
  return parts.every((p) => p.length > 0 && /^[\x20-\x7e]+$/.test(p)) ? parts : null;
}

function cells(v: Buffer): string[] | null {
  if (v.length % 4 !== 0) return null;
  const out: string[] = [];
  for (let i = 0; i < v.length && out.length < 64; i += 4) out.push(`0x${v.readUInt32BE(i).toString(16)}`);
  return out;
}

const QCOM_IDS = ['qcom,msm-id', 'qcom,board-id', 'qcom,pmic-id'];

export interface FdtSummary {
  info: Record<string, unknown>;
  problems: Fact[];
}

/** Reads a whole blob; problems are facts, never throws on bad bytes. */
export function readFdt(b: Buffer): FdtSummary {
  const problems: Fact[] = [];
  const h = parseFdtHeader(b);
  if (!h) return { info: {}, problems: [{ kind: 'unreadable', message: 'not a flattened device tree (no d00dfeed magic)' }] };
  const info: Record<string, unknown> = { version: h.version, lastCompatibleVersion: h.lastCompVersion, totalSize: h.totalSize };
  if (h.totalSize > b.length) problems.push({ kind: 'truncated', message: `the header's totalsize is ${h.totalSize} bytes, ${b.length} are there`, offset: 4 });
  const size = Math.min(h.totalSize, b.length);
  const structEnd = h.sizeStruct !== null ? h.offStruct + h.sizeStruct : size;
  const stringsEnd = h.sizeStrings !== null ? h.offStrings + h.sizeStrings : size;
  if (h.offStruct < HEADER_MIN || h.offStruct >= size || structEnd > size) {
    problems.push({ kind: 'unreadable', message: `the structure block (offset ${h.offStruct}) lies outside the ${size}-byte blob`, offset: 8 });
    return { info, problems };
  }
  if (h.offStrings > size || stringsEnd > size) {
    problems.push({ kind: 'unreadable', message: `the strings block (offset ${h.offStrings}) lies outside the ${size}-byte blob`, offset: 12 });
    return { info, problems };
  }
  const propName = (off: number): string | null => {
    const at = h.offStrings + off;
    if (off >= stringsEnd - h.offStrings) return null;
    const end = b.indexOf(0, at);
    return end < 0 || end >= stringsEnd ? null : b.toString('latin1', at, end);
  };
  let pos = h.offStruct;
  let depth = 0;
  let nodes = 0;
  let props = 0;
  let fragments = 0;
  const path: string[] = [];
  const targets: string[] = [];
  let ended = false;
  const bad = (message: string) => problems.push({ kind: 'unreadable', message: `${message} (structure offset ${pos})`, offset: pos });
  while (pos + 4 <= structEnd) {
    const token = b.readUInt32BE(pos);
    pos += 4;
    if (token === BEGIN_NODE) {
      const end = b.indexOf(0, pos);
      if (end < 0 || end >= structEnd) return (bad('a node name runs past the structure block'), { info, problems });
      const name = b.toString('latin1', pos, end);
      pos = (end + 4) & ~3;
      if (++nodes > MAX_NODES) return (bad(`more than ${MAX_NODES} nodes`), { info, problems });
      if (++depth > MAX_DEPTH) return (bad(`nodes nested more than ${MAX_DEPTH} deep`), { info, problems });
      path.push(name);
      if (depth === 2 && /^fragment@/.test(name)) fragments++;
    } else if (token === END_NODE) {
      if (depth === 0) return (bad('END_NODE without a node'), { info, problems });
      depth--;
      path.pop();
    } else if (token === PROP) {
      if (pos + 8 > structEnd) return (bad('a property header runs past the structure block'), { info, problems });
      const len = b.readUInt32BE(pos);
      const nameOff = b.readUInt32BE(pos + 4);
      pos += 8;
      if (len > structEnd - pos) return (bad(`a property claims ${len} bytes, past the structure block`), { info, problems });
      const value = b.subarray(pos, pos + len);
      pos = (pos + len + 3) & ~3;
      props++;
      if (depth === 0) return (bad('a property outside any node'), { info, problems });
      const name = propName(nameOff);
      if (name === null) return (bad(`a property name offset ${nameOff} outside the strings block`), { info, problems });
      if (depth === 1) {
        if (name === 'model') {
          const s = stringList(value);
          if (s) info.model = s[0];
        } else if (name === 'compatible') {
          const s = stringList(value);
          if (s) info.compatible = s;
        } else if (QCOM_IDS.includes(name)) {
          const c = cells(value);
          if (c) info[name.slice(5).replace(/-(\w)/g, (_, x: string) => x.toUpperCase())] = c;
        }
      } else if (depth === 2 && /^fragment@/.test(path[1]) && (name === 'target-path' || name === 'target')) {
        const t = name === 'target-path' ? stringList(value)?.[0] : value.length === 4 ? `<phandle 0x${value.readUInt32BE(0).toString(16)}>` : null;
        if (t && targets.length < MAX_LISTED) targets.push(t);
      }
    } else if (token === NOP) {
      continue;
    } else if (token === END) {
      ended = true;
      break;
    } else {
      return (bad(`unknown token 0x${token.toString(16)}`), { info, problems });
    }
  }
  if (!ended) problems.push({ kind: 'truncated', message: 'the structure block ends without an END token', offset: pos });
  else if (depth !== 0) problems.push({ kind: 'unreadable', message: `${depth} node(s) are not closed before END`, offset: pos });
  Object.assign(info, { nodes, properties: props });
  if (fragments) Object.assign(info, { overlay: true, fragments, targets });
  return { info, problems };
}

/**
 * What a tree says about the build (docs/formats.md, `fdt`): the root's
 * `compatible` strings are a board declaration (the board or SoC the tree
 * was built for, an overlay's too: a weak one, like a boot header's board
 * name, never a device name), its `model` a description (key `other`).
 */
export function fdtDeclarations(info: Record<string, unknown>): Fact[] {
  const out: Fact[] = [];
  const compatible = Array.isArray(info.compatible) ? (info.compatible as string[]) : [];
  if (compatible.length)
    out.push(
      declaration(
        'device-tree',
        compatible.slice(0, MAX_LISTED).map((value) => ({ key: 'board', property: 'compatible', value })),
        { enforced: false },
      ),
    );
  if (typeof info.model === 'string' && info.model !== '') out.push(declaration('device-tree', [{ key: 'other', property: 'model', value: info.model }], { enforced: false }));
  return out;
}

/** Largest tree decoded (and largest blob searched for appended trees). */
export const MAX_FDT_BYTES = 16 << 20;
/** Trees listed after the first (a dtb.img of concatenated blobs, DTBs appended to a kernel). */
const MAX_APPENDED = 1024;
/** FDT magic numbers tried as the start of appended trees (one inside a kernel's code is not one). */
export const MAX_MAGIC_TRIES = 4096;

/** A header that could start a real tree at `at`: magic, versions dtc and the kernel write, blocks inside `totalsize`, fitting in `limit`. */
export function plausibleFdtAt(b: Buffer, at: number, limit = b.length): number | null {
  if (at + HEADER_MIN > limit || b.readUInt32BE(at) !== FDT_MAGIC) return null;
  const total = b.readUInt32BE(at + 4);
  const version = b.readUInt32BE(at + 20);
  const lastComp = b.readUInt32BE(at + 24);
  if (total < HEADER_MIN || at + total > limit || version < 16 || version > 17 || lastComp > 17) return null;
  const offStruct = b.readUInt32BE(at + 8);
  const offStrings = b.readUInt32BE(at + 12);
  const offRsv = b.readUInt32BE(at + 16);
  if (offStruct < HEADER_MIN || offStruct >= total || offStrings > total || offRsv < HEADER_MIN || offRsv >= total) return null;
  return total;
}

export interface TreeChain {
  trees: { offset: number; size: number }[];
  /** Offset of bytes after the last tree that are neither zero padding nor a tree; null when there are none. */
  leftoverAt: number | null;
  /** More trees than the cap. */
  capped: boolean;
}

/** Zero bytes read at a time while skipping the padding between trees. */
const PAD_WINDOW = 64 * 1024;

/**
 * Trees back to back from `start` (zero padding between and after them
 * skipped), as dtb.img and appended DTBs lay them out. Only the headers and
 * the padding are read.
 */
export async function chainedTrees(src: RandomSource, start: number): Promise<TreeChain> {
  const trees: { offset: number; size: number }[] = [];
  let pos = start;
  while (pos < src.size) {
    // Zero padding, a window at a time.
    for (;;) {
      const w = await src.read(pos, Math.min(PAD_WINDOW, src.size - pos));
      if (w.length === 0) return { trees, leftoverAt: null, capped: false };
      let i = 0;
      while (i < w.length && w[i] === 0) i++;
      pos += i;
      if (i < w.length || pos >= src.size) break;
    }
    if (pos >= src.size) break;
    const head = await src.read(pos, Math.min(HEADER_MIN, src.size - pos));
    const size = head.length < HEADER_MIN ? null : plausibleFdtAt(head, 0, src.size - pos);
    if (size === null) return { trees, leftoverAt: pos, capped: false };
    if (trees.length >= MAX_APPENDED) return { trees, leftoverAt: null, capped: true };
    trees.push({ offset: pos, size });
    pos += size;
  }
  return { trees, leftoverAt: null, capped: false };
}

/** The offsets of the FDT magic in `b` from `from`, in order, as many as appendedTrees tries. */
export function fdtMagicOffsets(b: Buffer, from: number): number[] {
  const magic = Buffer.from([0xd0, 0x0d, 0xfe, 0xed]);
  const out: number[] = [];
  for (let at = b.indexOf(magic, from); at >= 0 && out.length < MAX_MAGIC_TRIES; at = b.indexOf(magic, at + 1)) out.push(at);
  return out;
}

/**
 * Trees appended after other data (a kernel `Image-dtb` / `zImage-dtb`):
 * the first plausible header, among the FDT magic offsets given (in order:
 * fdtMagicOffsets, or a scan that found them), from which trees follow each
 * other to the end of the source (zero padding allowed). A d00dfeed inside
 * the kernel's code (the arm zImage checks for that magic) does not start
 * such a chain.
 */
export async function appendedTrees(src: RandomSource, candidates: readonly number[]): Promise<(TreeChain & { start: number }) | null> {
  for (const at of candidates.slice(0, MAX_MAGIC_TRIES)) {
    const head = await src.read(at, Math.min(HEADER_MIN, Math.max(0, src.size - at)));
    if (head.length < HEADER_MIN || plausibleFdtAt(head, 0, src.size - at) === null) continue;
    const chain = await chainedTrees(src, at);
    if (chain.leftoverAt === null && chain.trees.length > 0) return { ...chain, start: at };
  }
  return null;
}

/** Children for trees found after a first artifact: `<n>.dtb`, each a slice decoded as an FDT. */
export function treeChildren(src: RandomSource, trees: { offset: number; size: number }[], first = 0): ChildSpec[] {
  return trees.map((t, i) => {
    const name = `${first + i}.dtb`;
    return { name, source: new SliceSource(src, t.offset, t.size, name), info: { offset: t.offset, size: t.size } };
  });
}

export const fdtHandler: ContainerHandler = {
  id: 'fdt',
  kind: 'container',
  description: 'flattened device tree blob (.dtb, .dtbo, DTBO table entries; dtb.img of several trees back to back)',
  traits: { role: 'document', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= HEADER_MIN && peek.readUInt32BE(0) === FDT_MAGIC && peek.readUInt32BE(4) >= HEADER_MIN,
  async decode(src, ctx) {
    if (src.size > MAX_FDT_BYTES) {
      ctx.fact({ kind: 'unsupported', message: `${src.size} bytes is more than the ${MAX_FDT_BYTES} this format is decoded up to` });
      return { info: {}, children: [] };
    }
    const bytes = await src.read(0, src.size);
    const { info, problems } = readFdt(bytes);
    for (const p of problems) ctx.fact(p);
    for (const d of fdtDeclarations(info)) ctx.fact(d);
    const total = typeof info.totalSize === 'number' ? info.totalSize : bytes.length;
    const children: ChildSpec[] = [];
    if (total < bytes.length) {
      // A dtb.img of several trees: the first is this artifact, the others its children 1.dtb, 2.dtb...
      const chain = await chainedTrees(new BufferSource(bytes, 'dtb'), total);
      children.push(...treeChildren(src, chain.trees, 1));
      if (chain.trees.length) info.trees = chain.trees.length + 1;
      if (chain.capped) ctx.fact({ kind: 'budget', message: `more than ${MAX_APPENDED} trees follow the first; the rest are not listed` });
      if (chain.leftoverAt !== null) info.trailingBytes = bytes.length - chain.leftoverAt;
    }
    return { info, children };
  },
};
