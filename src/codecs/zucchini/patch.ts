/**
 * Zucchini ensemble patches: the reader. Our own code, written from the
 * format as Chromium's components/zucchini describes it (README.md "Zucchini
 * Ensemble Patch Format", patch_reader.cc, patch_utils.h, image_utils.h).
 * All integers are little-endian.
 *
 *   PatchHeader (24 bytes): u32 magic "Zucc", u16 major version (1 or 2),
 *     u16 minor version, u32 old size, u32 old CRC-32, u32 new size, u32 new CRC-32
 *   u32 element count, then each element:
 *   PatchElementHeader (22 bytes): u32 old offset, u32 old length,
 *     u32 new offset, u32 new length, u32 executable type (four characters:
 *     "NoOp", "Px86", "Px64", "Ex86", "Ex64", "EA32", "EA64", "DEX ", "ZTF "),
 *     u16 version of that type's disassembler
 *   then nine or more buffers, each a u32 byte count and that many bytes:
 *     src_skip (varint32: each equivalence's old offset, relative to the end of the previous one),
 *     dst_skip (varuint32: its new offset, relative to the end of the previous one),
 *     copy_count (varuint32: its length),
 *     extra_data (the new bytes no equivalence covers, in order),
 *     raw_delta_skip (varuint32: the offset of a byte correction in the copied bytes, relative to the previous one plus 1),
 *     raw_delta_diff (int8 per correction, never 0),
 *     reference_delta (varint32 per reference of an executable element),
 *   u32 pool count, then per pool a u8 pool tag (not 0xFF, each once) and its
 *   extra_targets buffer (varuint32, relative to the previous target plus 1).
 *
 * Varints are protocol buffers' base-128 form: at most 5 bytes for 32 bits
 * (bits past the 32nd are dropped, a sixth byte is an error); a signed value
 * is stored as (v << 1) for v >= 0 and (~v << 1) | 1 for v < 0.
 *
 * Patches made before Zucchini 1.0 (2021) carry no version fields and are
 * not read. Major version 2 (2023) changed only how executable elements
 * map targets, not the layout: raw (NoOp) elements apply the same way.
 */
import { CodecError } from '../errors';

/** A Zucchini patch that does not decode, does not fit its old image, or is one romscope does not apply; the message says which. */
export class ZucchiniError extends CodecError {}

export const ZUCCHINI_MAGIC = 'Zucc';
/** Major versions of the layout read here (see the changelog in Chromium's components/zucchini/README.md). */
export const ZUCCHINI_MAJOR_VERSIONS = [1, 2];
/** Cap on the elements one patch may list. docs/limits.md. */
export const ZUCCHINI_MAX_ELEMENTS = 1 << 16;
/** Default cap on the old and new images a patch may declare (both are held in memory). docs/limits.md. */
export const ZUCCHINI_MAX_BYTES = 256 * 1024 * 1024;

/** Executable types by their four-character tag, and the disassembler version each element header must carry. */
export const ZUCCHINI_EXE_TYPES: Record<string, { name: string; version?: number }> = {
  NoOp: { name: 'raw data (NoOp)', version: 1 },
  Px86: { name: 'Win32 x86 (PE)' },
  Px64: { name: 'Win32 x64 (PE)' },
  Ex86: { name: 'ELF x86' },
  Ex64: { name: 'ELF x86-64' },
  EA32: { name: 'ELF ARM32' },
  EA64: { name: 'ELF ARM64' },
  'DEX ': { name: 'DEX' },
  'ZTF ': { name: 'ZTF (text)' },
};

const U32 = 2 ** 32;

export interface ZucchiniHeader {
  major: number;
  minor: number;
  oldSize: number;
  oldCrc: number;
  newSize: number;
  newCrc: number;
}

export interface ZucchiniElement {
  index: number;
  oldOffset: number;
  oldLength: number;
  newOffset: number;
  newLength: number;
  /** The four-character tag ("NoOp", "EA64"...). */
  exeType: string;
  version: number;
  srcSkip: Uint8Array;
  dstSkip: Uint8Array;
  copyCount: Uint8Array;
  extraData: Uint8Array;
  rawDeltaSkip: Uint8Array;
  rawDeltaDiff: Uint8Array;
  referenceDelta: Uint8Array;
  /** Extra targets by pool tag. */
  extraTargets: Map<number, Uint8Array>;
}

export interface ZucchiniPatch {
  header: ZucchiniHeader;
  elements: ZucchiniElement[];
}

export interface Equivalence {
  src: number;
  dst: number;
  length: number;
}

/** The name of an executable type for messages: "ELF ARM64 (EA64)", or the tag's bytes in hex when unknown. */
export function exeTypeName(tag: string): string {
  const t = ZUCCHINI_EXE_TYPES[tag];
  return t ? `${t.name} (${tag.trim()})` : `0x${Buffer.from(tag, 'latin1').toString('hex')}`;
}

/** Reads forward through a byte range; every read past its end is a ZucchiniError naming what was read. */
class Cursor {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.left) throw new ZucchiniError(`${this.what}: ${what} needs ${n} bytes at byte ${this.pos}, but only ${this.left} are left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.buf[this.pos] | (this.buf[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
  }

  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** A u32 byte count and that many bytes. */
  buffer(what: string): Uint8Array {
    const n = this.u32(`the size of ${what}`);
    return this.bytes(n, what);
  }

  /** An unsigned 32-bit varint. */
  varuint(what: string): number {
    let v = 0;
    for (let sh = 0; ; sh += 7) {
      if (sh >= 32) throw new ZucchiniError(`${this.what}: ${what} at byte ${this.pos} is a varint longer than 5 bytes`);
      if (this.pos >= this.buf.length) throw new ZucchiniError(`${this.what}: ${what} is a varint cut off by the end of its stream`);
      const b = this.buf[this.pos++];
      // Bits shifted past the 32nd are dropped, as a uint32 shift drops them.
      v = (v | ((b & 0x7f) << sh)) >>> 0;
      if (b < 0x80) return v;
    }
  }

  /** A signed 32-bit varint (zigzag: the low bit is the sign, the value is complemented when it is set). */
  varint(what: string): number {
    const u = this.varuint(what);
    return u & 1 ? ~(u >>> 1) : u >>> 1;
  }
}

/** Whether [begin, begin + size) lies in [0, bound), begin itself inside: Zucchini's own test for equivalences. */
function bounded(begin: number, size: number, bound: number): boolean {
  return begin < bound && size <= bound - begin;
}

/**
 * The equivalences of an element, in order, as its three streams give
 * them. Throws ZucchiniError for a varint that does not decode, an offset
 * outside 32 bits, or streams that do not end together.
 */
export function* equivalences(el: ZucchiniElement): Generator<Equivalence> {
  const what = `element ${el.index}`;
  const src = new Cursor(el.srcSkip, `${what} src_skip`);
  const dst = new Cursor(el.dstSkip, `${what} dst_skip`);
  const count = new Cursor(el.copyCount, `${what} copy_count`);
  let prevSrc = 0;
  let prevDst = 0;
  let n = 0;
  while (src.left && dst.left && count.left) {
    const length = count.varuint('an equivalence length');
    const s = prevSrc + src.varint('an old offset');
    if (s < 0 || s >= U32) throw new ZucchiniError(`${what}: equivalence ${n} starts at old offset ${s}, outside 32 bits`);
    if (s + length >= U32) throw new ZucchiniError(`${what}: equivalence ${n} ends at old offset ${s + length}, outside 32 bits`);
    const d = prevDst + dst.varuint('a new offset');
    if (d + length >= U32) throw new ZucchiniError(`${what}: equivalence ${n} ends at new offset ${d + length}, outside 32 bits`);
    prevSrc = s + length;
    prevDst = d + length;
    n++;
    yield { src: s, dst: d, length };
  }
  if (src.left || dst.left || count.left) {
    throw new ZucchiniError(`${what}: its equivalence streams do not end together (${src.left}, ${dst.left} and ${count.left} bytes of src_skip, dst_skip and copy_count left after ${n} equivalences)`);
  }
}

/** The byte corrections of an element: [offset in the copied bytes, signed difference]. */
export function* rawDeltas(el: ZucchiniElement): Generator<[number, number]> {
  const what = `element ${el.index}`;
  const skip = new Cursor(el.rawDeltaSkip, `${what} raw_delta_skip`);
  const diff = el.rawDeltaDiff;
  let next = 0;
  let i = 0;
  for (; skip.left && i < diff.length; i++) {
    const at = next + skip.varuint('a raw delta offset');
    if (at >= U32 - 1) throw new ZucchiniError(`${what}: raw delta ${i} is at copy offset ${at}, outside 32 bits`);
    const d = (diff[i] << 24) >> 24;
    if (d === 0) throw new ZucchiniError(`${what}: raw delta ${i} has a difference of 0, which Zucchini never writes`);
    next = at + 1;
    yield [at, d];
  }
  if (skip.left || i < diff.length) throw new ZucchiniError(`${what}: its raw delta streams do not end together (${skip.left} bytes of raw_delta_skip and ${diff.length - i} of raw_delta_diff left)`);
}

function readElement(c: Cursor, index: number, header: ZucchiniHeader): ZucchiniElement {
  const at = `element ${index}`;
  const oldOffset = c.u32(`${at}: old offset`);
  const oldLength = c.u32(`${at}: old length`);
  const newOffset = c.u32(`${at}: new offset`);
  const newLength = c.u32(`${at}: new length`);
  const exeType = Buffer.from(c.bytes(4, `${at}: executable type`)).toString('latin1');
  const version = c.u16(`${at}: version`);
  const type = ZUCCHINI_EXE_TYPES[exeType];
  if (!type) throw new ZucchiniError(`${at} has executable type ${exeTypeName(exeType)}, which Zucchini does not define`);
  if (type.version !== undefined && version !== type.version) throw new ZucchiniError(`${at} (${exeTypeName(exeType)}) has version ${version}; Zucchini's ${type.name} elements are version ${type.version}`);
  if (!oldLength || !newLength) throw new ZucchiniError(`${at} is empty (old length ${oldLength}, new length ${newLength})`);
  const el: ZucchiniElement = {
    index,
    oldOffset,
    oldLength,
    newOffset,
    newLength,
    exeType,
    version,
    srcSkip: c.buffer(`${at} src_skip`),
    dstSkip: c.buffer(`${at} dst_skip`),
    copyCount: c.buffer(`${at} copy_count`),
    extraData: c.buffer(`${at} extra_data`),
    rawDeltaSkip: new Uint8Array(),
    rawDeltaDiff: new Uint8Array(),
    referenceDelta: new Uint8Array(),
    extraTargets: new Map(),
  };
  // Every equivalence inside both elements, in order, and exactly the extra data the gaps need.
  let total = 0;
  let prevEnd = 0;
  let n = 0;
  for (const e of equivalences(el)) {
    if (!bounded(e.src, e.length, oldLength) || !bounded(e.dst, e.length, newLength)) {
      throw new ZucchiniError(`${at}: equivalence ${n} (old ${e.src}+${e.length}, new ${e.dst}+${e.length}) lies outside the element (old ${oldLength} bytes, new ${newLength})`);
    }
    if (e.dst + e.length < prevEnd) throw new ZucchiniError(`${at}: equivalence ${n} is out of order`);
    prevEnd = e.dst + e.length;
    total += e.length;
    n++;
  }
  if (total > newLength || el.extraData.length !== newLength - total) {
    throw new ZucchiniError(`${at}: its equivalences copy ${total} of its ${newLength} new bytes, so it needs ${newLength - total} bytes of extra data, but has ${el.extraData.length}`);
  }
  el.rawDeltaSkip = c.buffer(`${at} raw_delta_skip`);
  el.rawDeltaDiff = c.buffer(`${at} raw_delta_diff`);
  el.referenceDelta = c.buffer(`${at} reference_delta`);
  const pools = c.u32(`${at}: pool count`);
  for (let i = 0; i < pools; i++) {
    const tag = c.u8(`${at}: pool tag`);
    if (tag === 0xff) throw new ZucchiniError(`${at}: pool ${i} has tag 0xff, which means "no pool"`);
    if (el.extraTargets.has(tag)) throw new ZucchiniError(`${at}: pool tag ${tag} is listed twice`);
    el.extraTargets.set(tag, c.buffer(`${at} extra_targets of pool ${tag}`));
  }
  if (oldOffset + oldLength > header.oldSize || newOffset + newLength > header.newSize) {
    throw new ZucchiniError(`${at} (old ${oldOffset}+${oldLength}, new ${newOffset}+${newLength}) does not fit the images the header declares (old ${header.oldSize} bytes, new ${header.newSize})`);
  }
  return el;
}

/** Reads the 24-byte header alone (the sizes are checked against caps before anything else is read). */
export function readZucchiniHeader(patch: Uint8Array): ZucchiniHeader {
  const c = new Cursor(patch, 'Zucchini patch');
  if (patch.length < 4 || Buffer.from(patch.subarray(0, 4)).toString('latin1') !== ZUCCHINI_MAGIC) throw new ZucchiniError('not a Zucchini patch (no "Zucc" magic)');
  c.pos = 4;
  const major = c.u16('the header');
  const minor = c.u16('the header');
  const h: ZucchiniHeader = { major, minor, oldSize: c.u32('the header'), oldCrc: c.u32('the header'), newSize: c.u32('the header'), newCrc: c.u32('the header') };
  if (!ZUCCHINI_MAJOR_VERSIONS.includes(major)) {
    throw new ZucchiniError(`Zucchini patch major version ${major}; romscope reads versions ${ZUCCHINI_MAJOR_VERSIONS.join(' and ')} (patches made before Zucchini 1.0 carry no version and are not read)`);
  }
  return h;
}

/**
 * Decodes a whole ensemble patch and checks it as Zucchini does before
 * applying it: known executable types and element versions, non-empty
 * elements inside the declared images, new elements back to back from 0
 * to the new size, equivalences inside their elements and in order, the
 * extra data the gaps need, nothing after the last element. Throws
 * ZucchiniError with the reason.
 */
export function readZucchiniPatch(patch: Uint8Array): ZucchiniPatch {
  const header = readZucchiniHeader(patch);
  const c = new Cursor(patch, 'Zucchini patch');
  c.pos = 24;
  const count = c.u32('the element count');
  if (count > ZUCCHINI_MAX_ELEMENTS) throw new ZucchiniError(`Zucchini patch lists ${count} elements, more than the ${ZUCCHINI_MAX_ELEMENTS} romscope reads`);
  const elements: ZucchiniElement[] = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const el = readElement(c, i, header);
    if (el.newOffset !== next) throw new ZucchiniError(`element ${i} starts at new offset ${el.newOffset}, but the elements before it end at ${next}: new elements must follow each other`);
    next = el.newOffset + el.newLength;
    elements.push(el);
  }
  if (next !== header.newSize) throw new ZucchiniError(`the elements make ${next} bytes of the ${header.newSize}-byte new image`);
  if (c.left) throw new ZucchiniError(`${c.left} bytes follow the last element of the Zucchini patch`);
  return { header, elements };
}
