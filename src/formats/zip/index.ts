import { phrases, counted } from '../summary';
/**
 * ZIP (PKWARE APPNOTE): OTA packages, fastboot factory images, Xiaomi ROMs.
 * The central directory is read with yauzl (zip64, Info-ZIP unicode names);
 * member data is addressed directly so stored members stay random-access
 * slices and deflated members are inflated as a stream. Every member's CRC-32
 * is checked as it streams (ExpectedDigest kind 'zip-crc').
 */
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { createInflateRaw } from 'node:zlib';
import { zlibDecode } from '../../io/zlib-stream';
import * as yauzl from 'yauzl';
import { readExact, SliceSource, GeneratedStreamSource, type RandomSource } from '../../io/source';
import { BudgetError, FormatError, TruncatedError, errorMessage } from '../../io/errors';
import { LIMITS, memberMemory, type Budget } from '../../io/limits';
import type { ChildSpec, ContainerHandler, DecodeContext } from '../types';
import type { Fact } from '../../report/model';
import { unsafePathReason } from '../../io/paths';
import type { ZipInfo } from '../../report/info';

const LOCAL_HEADER_SIG = 0x04034b50;
const METHODS: Record<number, string> = { 0: 'stored', 8: 'deflate', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 99: 'aes' };

/** yauzl reads the central directory through our random-access source. */
class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly src: RandomSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.src.stream(start, end));
  }
  // Faster than yauzl's default (which builds a stream per read).
  override read(buffer: Buffer, offset: number, length: number, position: number, cb: (err: Error | null) => void): void {
    this.src.read(position, length).then(
      (b) => {
        b.copy(buffer, offset);
        cb(b.length < length ? new TruncatedError(`zip structure at offset ${position} runs past the end of the file`, position) : null);
      },
      (e: Error) => cb(e),
    );
  }
}

function openZip(src: RandomSource): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(new SourceReader(src), src.size, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false, autoClose: false }, (err, zf) => (err ? reject(err) : resolve(zf)));
  });
}

async function* entries(zf: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const e = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const onEntry = (en: yauzl.Entry) => done(null, en);
      const onEnd = () => done(null, null);
      const onErr = (er: Error) => done(er, null);
      function done(er: Error | null, en: yauzl.Entry | null) {
        zf.removeListener('entry', onEntry);
        zf.removeListener('end', onEnd);
        zf.removeListener('error', onErr);
        if (er) reject(er);
        else resolve(en);
      }
      zf.once('entry', onEntry);
      zf.once('end', onEnd);
      zf.once('error', onErr);
      zf.readEntry();
    });
    if (!e) return;
    yield e;
  }
}

/** Inflates a raw deflate stream, charging the budget and checking the declared size. */
async function* inflateRaw(input: AsyncIterable<Buffer>, budget: Budget, declaredSize: number | null, what: string): AsyncGenerator<Buffer> {
  let total = 0;
  const decoded = zlibDecode(input, createInflateRaw({ chunkSize: 256 * 1024 }), budget, (e) => {
    if (/unexpected end of file/i.test(e.message)) throw new TruncatedError(`${what}: compressed data ends early`);
    throw new FormatError(`${what}: deflate data is corrupt (${e.message})`);
  });
  for await (const chunk of decoded) {
    total += chunk.length;
    if (declaredSize !== null && total > declaredSize) throw new FormatError(`${what} inflates to more than its declared ${declaredSize} bytes`);
    yield chunk;
  }
  if (declaredSize !== null && total !== declaredSize) {
    throw new TruncatedError(`${what} inflates to ${total} bytes, the directory declares ${declaredSize}`);
  }
}

/**
 * Member names: the Info-ZIP unicode-path field or the UTF-8 flag when
 * present; otherwise UTF-8 when the bytes are valid UTF-8 (what Unix `zip`
 * writes without setting the flag, and what `unzip` shows), else CP437.
 */
function decodeName(flags: number, raw: Buffer, extra: yauzl.ExtraField[]): string {
  if (!(flags & 0x800) && !extra.some((f) => f.id === 0x7075) && isUtf8(raw)) return raw.toString('utf8').replace(/\\/g, '/');
  return yauzl.getFileNameLowLevel(flags, raw, extra, false);
}

/** One member as either directory describes it (central, or local when salvaging). */
interface MemberRecord {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  headerOffset: number;
}

/** Builds the child for one member; `dataStart` is null when it could not be located. */
function memberSpec(src: RandomSource, ctx: DecodeContext, m: MemberRecord, dataStart: number | null, facts: Fact[], directory: string): ChildSpec {
  const method = METHODS[m.method] ?? `method ${m.method}`;
  const info: Record<string, unknown> = { compression: method, compressedSize: m.compressedSize };
  const unsafe = unsafePathReason(m.name);
  if (unsafe) facts.push({ kind: 'unsafe-path', message: `member name "${m.name}" ${unsafe}` });
  const spec: ChildSpec = { name: m.name, source: new SliceSource(src, 0, 0, m.name), facts, info, readable: false };
  if (m.flags & 1) {
    facts.push({ kind: 'unsupported', message: 'member is encrypted; its contents cannot be checked' });
    return spec;
  }
  if (m.method !== 0 && m.method !== 8) {
    facts.push({ kind: 'unsupported', message: `compression ${method} is not supported; the member cannot be checked` });
    return spec;
  }
  if (dataStart === null) return spec;
  spec.location = { dataStart, compressedSize: m.compressedSize, method: m.method };
  const dataEnd = dataStart + m.compressedSize;
  if (dataEnd > src.size) {
    facts.push({ kind: 'truncated', message: `member data ends at ${dataEnd}, past the end of the file (${src.size} bytes)`, offset: dataStart });
  }
  const raw = new SliceSource(src, dataStart, m.compressedSize, m.name);
  spec.expect = [{ algo: 'crc32', hex: (m.crc >>> 0).toString(16).padStart(8, '0'), kind: 'zip-crc', from: directory }];
  spec.readable = true;
  if (m.method === 0) {
    spec.source = raw;
    if (m.uncompressedSize !== m.compressedSize) {
      facts.push({ kind: 'unreadable', message: `stored member declares ${m.uncompressedSize} bytes uncompressed but ${m.compressedSize} stored` });
    }
  } else {
    const budget = ctx.budget;
    spec.source = new GeneratedStreamSource(m.name, m.uncompressedSize, () => inflateRaw(raw.stream(), budget, m.uncompressedSize, `member "${m.name}"`));
  }
  return spec;
}

/** Finds where a member's data starts by reading its local header. */
async function locateData(src: RandomSource, m: MemberRecord, facts: Fact[]): Promise<number | null> {
  let lh: Buffer;
  try {
    lh = await readExact(src, m.headerOffset, 30, 'zip local header');
  } catch (err) {
    facts.push({ kind: 'truncated', message: errorMessage(err), offset: m.headerOffset });
    return null;
  }
  if (lh.readUInt32LE(0) !== LOCAL_HEADER_SIG) {
    facts.push({ kind: 'unreadable', message: `no local header at offset ${m.headerOffset}`, offset: m.headerOffset });
    return null;
  }
  return m.headerOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
}

/**
 * A download cut before the central directory still has its first members:
 * walk the local headers from the start while their sizes are known (no data
 * descriptor), so what arrived is still checked.
 */
async function salvageLocalHeaders(src: RandomSource, ctx: DecodeContext): Promise<ChildSpec[]> {
  const children: ChildSpec[] = [];
  let pos = 0;
  while (pos + 30 <= src.size) {
    const lh = await src.read(pos, 30);
    if (lh.readUInt32LE(0) !== LOCAL_HEADER_SIG) break;
    const flags = lh.readUInt16LE(6);
    const nameLen = lh.readUInt16LE(26);
    const extraLen = lh.readUInt16LE(28);
    const rest = await src.read(pos + 30, nameLen + extraLen);
    if (rest.length < nameLen + extraLen) break;
    let csize = lh.readUInt32LE(18);
    let usize = lh.readUInt32LE(22);
    let extra: ReturnType<typeof yauzl.parseExtraFields>;
    try {
      extra = yauzl.parseExtraFields(rest.subarray(nameLen));
    } catch (e) {
      // yauzl's words for a field running past the extra area: the header is damaged, and so is what follows.
      ctx.fact({ kind: 'unreadable', message: `the local header at offset ${pos} has a malformed extra field (${errorMessage(e)}); members from here on are not recovered`, offset: pos + 30 + nameLen });
      break;
    }
    for (const f of extra) {
      if (f.id === 0x0001 && f.data.length >= 16 && usize === 0xffffffff && csize === 0xffffffff) {
        usize = Number(f.data.readBigUInt64LE(0));
        csize = Number(f.data.readBigUInt64LE(8));
      }
    }
    if (flags & 0x08) break; // sizes only in a data descriptor after the data: cannot step over it safely
    if (children.length >= ctx.budget.opts.maxMembers) break;
    const name = decodeName(flags, rest.subarray(0, nameLen), []);
    ctx.budget.chargeMemory(memberMemory(name), `the zip members recovered from local headers (${children.length + 1} read)`);
    const m: MemberRecord = { name, flags, method: lh.readUInt16LE(8), crc: lh.readUInt32LE(14), compressedSize: csize, uncompressedSize: usize, headerOffset: pos };
    const dataStart = pos + 30 + nameLen + extraLen;
    if (!name.endsWith('/')) children.push(memberSpec(src, ctx, m, dataStart, [], 'zip local header'));
    pos = dataStart + csize;
  }
  return children;
}

export const zipHandler: ContainerHandler = {
  id: 'zip',
  summary: (i) => phrases(counted(i.files, 'file'), counted(i.directories || undefined, 'directory', 'directories'), i.zip64 === true && 'zip64'),
  kind: 'container',
  description: 'ZIP archive (OTA packages, factory images, Xiaomi fastboot ROMs)',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek, name, size }) => {
    const sig = peek.length >= 4 ? peek.readUInt32LE(0) : 0;
    if (sig === LOCAL_HEADER_SIG) return true;
    // An empty archive is only an end-of-central-directory record.
    if (sig === 0x06054b50 && size === 22 + peek.readUInt16LE(20)) return true;
    if (!/\.(zip|apk|jar)$/i.test(name)) return false;
    if (sig === 0x08074b50) return true; // spanned-archive marker
    // A .zip whose first local header signature has one damaged byte: still read (by its central directory), so the damage is reported.
    return peek.length >= 30 && [0, 1, 2, 3].filter((i) => peek[i] !== [0x50, 0x4b, 0x03, 0x04][i]).length === 1;
  },

  async decode(src: RandomSource, ctx: DecodeContext) {
    let zf: yauzl.ZipFile;
    try {
      zf = await openZip(src);
    } catch (e) {
      const msg = errorMessage(e);
      if (!/end of central directory record signature not found/i.test(msg)) {
        ctx.fact({ kind: 'unreadable', message: `zip directory unreadable: ${msg}` });
        // (A whole-file signature needs only the raw bytes: the OTA package hook still checks it.)
        return { info: {}, children: [] };
      }
      ctx.fact({ kind: 'truncated', message: 'zip end-of-central-directory record not found: the file is truncated (members below were recovered from their local headers)' });
      const children = await salvageLocalHeaders(src, ctx);
      return { info: { entries: children.length, recoveredFromLocalHeaders: true } satisfies ZipInfo, children };
    }
    const children: ChildSpec[] = [];
    const seen = new Map<string, number>();
    let repeated = 0;
    const spans: { start: number; end: number; spec: ChildSpec }[] = [];
    let count = 0;
    let dirs = 0;
    let zip64 = false;
    try {
      for await (const e of entries(zf)) {
        if (count >= ctx.budget.opts.maxMembers) {
          // The walk reports the limit; stop growing the member list here.
          ctx.fact({ kind: 'budget', message: `more than ${ctx.budget.opts.maxMembers} entries in the central directory (limit --max-members); the rest are not listed` });
          break;
        }
        count++;
        const name = decodeName(e.generalPurposeBitFlag, e.fileNameRaw, e.extraFields);
        ctx.budget.chargeMemory(memberMemory(name), `the zip central directory (${count} entries read)`);
        if (e.extraFields.some((f) => f.id === 0x0001)) zip64 = true;
        if (name.endsWith('/')) {
          dirs++;
          continue;
        }
        const facts: Fact[] = [];
        const copy = (seen.get(name) ?? 0) + 1;
        seen.set(name, copy);
        if (copy > 1 && ++repeated <= LIMITS.maxDuplicateEntryFacts)
          facts.push({ kind: 'duplicate-entry', message: `copy ${copy} of a member named "${name}": tools disagree on which copy counts (extract it as "${name}#${copy}")` });
        const m: MemberRecord = {
          name,
          flags: e.generalPurposeBitFlag,
          method: e.compressionMethod,
          crc: e.crc32,
          compressedSize: e.compressedSize,
          uncompressedSize: e.uncompressedSize,
          headerOffset: e.relativeOffsetOfLocalHeader,
        };
        const readable = !(m.flags & 1) && (m.method === 0 || m.method === 8);
        const dataStart = readable ? await locateData(src, m, facts) : null;
        const spec = memberSpec(src, ctx, m, dataStart, facts, 'zip central directory');
        children.push(spec);
        if (dataStart !== null) spans.push({ start: m.headerOffset, end: dataStart + m.compressedSize, spec });
      }
    } catch (err) {
      if (err instanceof BudgetError) throw err;
      ctx.fact({ kind: 'truncated', message: `zip central directory unreadable after ${count} entries: ${errorMessage(err)}` });
    } finally {
      zf.close();
      const more = repeated - LIMITS.maxDuplicateEntryFacts;
      if (more > 0) ctx.fact({ kind: 'duplicate-entry', message: `${more} more members repeat the name of an earlier member (not listed one by one)` });
    }
    // Overlapping members are how "non-recursive" zip bombs multiply one
    // deflate stream; no zip writer produces them.
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i].start < spans[i - 1].end) {
        spans[i].spec.facts!.push({ kind: 'budget', message: `member data overlaps member "${spans[i - 1].spec.name}" (a zip-bomb construction); not decoded` });
        spans[i].spec.readable = false;
      }
    }
    const raw = zf.comment as unknown as Buffer | string | undefined;
    // A signapk whole-file signature follows a NUL in the comment: only its text part is shown.
    const comment = raw?.length ? raw.toString().split('\0')[0] : undefined;
    return { info: { entries: count, files: count - dirs, directories: dirs, zip64, comment: comment || undefined } satisfies ZipInfo, children };
  },
};
