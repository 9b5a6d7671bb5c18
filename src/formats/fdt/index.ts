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
import type { DocumentHandler } from '../types';
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

export const fdtHandler: DocumentHandler = {
  id: 'fdt',
  kind: 'document',
  description: 'flattened device tree blob (.dtb, .dtbo, DTBO table entries)',
  maxBytes: 16 << 20,
  traits: { role: 'document', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= HEADER_MIN && peek.readUInt32BE(0) === FDT_MAGIC && peek.readUInt32BE(4) >= HEADER_MIN,
  decode(bytes, ctx) {
    const { info, problems } = readFdt(bytes);
    for (const p of problems) ctx.fact(p);
    for (const d of fdtDeclarations(info)) ctx.fact(d);
    return info;
  },
};
