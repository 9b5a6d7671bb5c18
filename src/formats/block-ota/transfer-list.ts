/**
 * Parser for block-based OTA transfer lists, versions 1–4 (FORMATS.md §8):
 * the header, every command and every range set. Syntax problems are
 * collected with their line numbers; nothing here throws on bad input.
 */
export const OTA_BLOCK = 4096;
const INT_MAX = 2 ** 31 - 1;
/** Commands read from one list (real incremental lists have ~10^5). */
const MAX_COMMANDS = 2_000_000;

/** Half-open block intervals [start, end). */
export type RangeSet = [number, number][];

export interface Command {
  op: string;
  line: number;
  /** Blocks the command writes in the target partition. */
  target?: RangeSet;
  /** For `new`: where its data sits in the new-data stream, in blocks. */
  newOffset?: number;
  patch?: { offset: number; length: number };
  stash?: string;
}

export interface TransferList {
  version: number;
  totalBlocks: number;
  maxStashEntries?: number;
  maxStashBlocks?: number;
  commands: Command[];
  counts: Record<string, number>;
  /** Σ blocks of `new` commands: how much new data the list consumes. */
  newBlocks: number;
  /** Highest block any new/zero/erase/write touches (sdat2img's image size). */
  imageBlocks: number;
  incremental: boolean;
  problems: { line: number; message: string }[];
}

function blocksIn(r: RangeSet): number {
  let n = 0;
  for (const [s, e] of r) n += e - s;
  return n;
}

class LineError extends Error {}

/** `N,s0,e0,...`: N counts the numbers that follow; pairs are [s, e) with s < e. */
function parseRangeSet(text: string): RangeSet {
  const parts = text.split(',');
  if (parts.some((p) => !/^\d+$/.test(p))) throw new LineError(`range set "${clip(text)}" has a value that is not a whole non-negative number`);
  const nums = parts.map(Number);
  const n = nums[0];
  if (n !== nums.length - 1) throw new LineError(`range set "${clip(text)}" declares ${n} numbers but has ${nums.length - 1}`);
  if (n === 0 || n % 2 !== 0) throw new LineError(`range set "${clip(text)}" must have a non-zero even count`);
  const out: RangeSet = [];
  for (let i = 1; i < nums.length; i += 2) {
    const [s, e] = [nums[i], nums[i + 1]];
    if (s > INT_MAX || e > INT_MAX) throw new LineError(`range ${s}-${e} is beyond the largest block number ${INT_MAX}`);
    if (s >= e) throw new LineError(`range [${s}, ${e}) is empty or reversed`);
    out.push([s, e]);
  }
  return out;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

const HASH = /^[0-9a-fA-F]{40}$/;

/** Parses `src_str` (v2+) far enough to validate it; returns the stashes it reads. */
function parseSource(tokens: string[], version: number): string[] {
  const count = tokens[0];
  if (!/^\d+$/.test(count ?? '')) throw new LineError(`source block count "${count ?? ''}" is not a number`);
  const used: string[] = [];
  let rest = tokens.slice(1);
  if (rest[0] === '-') rest = rest.slice(1);
  else {
    if (!rest[0]) throw new LineError('source ranges are missing');
    parseRangeSet(rest[0]);
    rest = rest.slice(1);
    if (rest[0] && !rest[0].includes(':')) {
      parseRangeSet(rest[0]);
      rest = rest.slice(1);
    }
  }
  for (const t of rest) {
    const [id, r] = t.split(':');
    if (r === undefined) throw new LineError(`stash reference "${clip(t)}" is not id:ranges`);
    if (version >= 3 && !HASH.test(id)) throw new LineError(`stash id "${clip(id)}" is not a SHA-1`);
    parseRangeSet(r);
    used.push(id);
  }
  return used;
}

export function parseTransferList(text: string): TransferList {
  const lines = text.split('\n');
  const problems: TransferList['problems'] = [];
  const num = (i: number) => (/^\d+$/.test((lines[i] ?? '').trim()) ? Number(lines[i].trim()) : NaN);
  const version = num(0);
  const tl: TransferList = { version, totalBlocks: num(1), commands: [], counts: {}, newBlocks: 0, imageBlocks: 0, incremental: false, problems };
  if (!(version >= 1 && version <= 4)) {
    problems.push({ line: 1, message: `transfer list version "${clip(lines[0] ?? '')}" is not 1-4` });
    return tl;
  }
  if (Number.isNaN(tl.totalBlocks)) problems.push({ line: 2, message: `total block count "${clip(lines[1] ?? '')}" is not a number` });
  let first = 2;
  if (version >= 2) {
    tl.maxStashEntries = num(2);
    tl.maxStashBlocks = num(3);
    if (Number.isNaN(tl.maxStashEntries) || Number.isNaN(tl.maxStashBlocks)) problems.push({ line: 3, message: 'stash header lines are not numbers' });
    first = 4;
  }
  const stashes = new Set<string>();
  let newOffset = 0;
  for (let i = first; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === '') continue;
    if (tl.commands.length >= MAX_COMMANDS) {
      problems.push({ line: i + 1, message: `more than ${MAX_COMMANDS} commands; the rest are not read` });
      break;
    }
    const tok = raw.split(/\s+/);
    const op = tok[0];
    const cmd: Command = { op, line: i + 1 };
    try {
      switch (op) {
        case 'new':
        case 'zero':
        case 'erase':
          if (tok.length !== 2) throw new LineError(`"${op}" takes one range set`);
          cmd.target = parseRangeSet(tok[1]);
          if (op === 'new') {
            cmd.newOffset = newOffset;
            newOffset += blocksIn(cmd.target);
          }
          break;
        case 'move':
          tl.incremental = true;
          if (version === 1) {
            if (tok.length !== 3) throw new LineError('"move" (v1) takes source and target range sets');
            parseRangeSet(tok[1]);
            cmd.target = parseRangeSet(tok[2]);
          } else {
            const at = version >= 3 ? 2 : 1;
            if (version >= 3 && !HASH.test(tok[1] ?? '')) throw new LineError('"move" needs the SHA-1 of its data');
            cmd.target = parseRangeSet(tok[at] ?? '');
            for (const s of parseSource(tok.slice(at + 1), version)) if (!stashes.has(s)) throw new LineError(`stash ${clip(s)} is used before it is stashed`);
          }
          break;
        case 'bsdiff':
        case 'imgdiff': {
          tl.incremental = true;
          const off = Number(tok[1]);
          const len = Number(tok[2]);
          if (!/^\d+$/.test(tok[1] ?? '') || !/^\d+$/.test(tok[2] ?? '')) throw new LineError(`"${op}" needs a patch offset and length`);
          cmd.patch = { offset: off, length: len };
          if (version === 1) {
            parseRangeSet(tok[3] ?? '');
            cmd.target = parseRangeSet(tok[4] ?? '');
          } else {
            let at = 3;
            if (version >= 3) {
              if (!HASH.test(tok[3] ?? '') || !HASH.test(tok[4] ?? '')) throw new LineError(`"${op}" needs source and target SHA-1s`);
              at = 5;
            }
            cmd.target = parseRangeSet(tok[at] ?? '');
            for (const s of parseSource(tok.slice(at + 1), version)) if (!stashes.has(s)) throw new LineError(`stash ${clip(s)} is used before it is stashed`);
          }
          break;
        }
        case 'stash':
          tl.incremental = true;
          if (version < 2 || tok.length !== 3) throw new LineError('"stash" takes an id and a range set (v2+)');
          if (version >= 3 && !HASH.test(tok[1])) throw new LineError('stash id is not a SHA-1');
          parseRangeSet(tok[2]);
          stashes.add(tok[1]);
          cmd.stash = tok[1];
          break;
        case 'free':
          if (tok.length !== 2) throw new LineError('"free" takes a stash id');
          if (!stashes.delete(tok[1])) throw new LineError(`free of stash ${clip(tok[1])}, which is not stashed`);
          break;
        case 'abort':
          break;
        case 'compute_hash_tree':
          if (tok.length !== 6) throw new LineError('"compute_hash_tree" takes tree, source, algorithm, salt and root');
          cmd.target = parseRangeSet(tok[1]);
          parseRangeSet(tok[2]);
          break;
        default:
          throw new LineError(`unknown command "${clip(op)}"`);
      }
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      problems.push({ line: i + 1, message: e.message });
      continue;
    }
    tl.counts[op] = (tl.counts[op] ?? 0) + 1;
    tl.commands.push(cmd);
    for (const [, e] of cmd.target ?? []) if (e > tl.imageBlocks) tl.imageBlocks = e;
  }
  tl.newBlocks = newOffset;
  return tl;
}

/** Written ranges that overlap an earlier write (each block is written once). */
export function overlappingWrites(tl: TransferList): { line: number; other: number; block: number }[] {
  const spans: { s: number; e: number; line: number }[] = [];
  for (const c of tl.commands) if (c.target && c.op !== 'erase') for (const [s, e] of c.target) spans.push({ s, e, line: c.line });
  spans.sort((a, b) => a.s - b.s || a.line - b.line);
  const out: { line: number; other: number; block: number }[] = [];
  let reach = { e: -1, line: 0 };
  for (const sp of spans) {
    if (sp.s < reach.e) out.push({ line: Math.max(sp.line, reach.line), other: Math.min(sp.line, reach.line), block: sp.s });
    if (sp.e > reach.e) reach = { e: sp.e, line: sp.line };
    if (out.length >= 20) break;
  }
  return out;
}
