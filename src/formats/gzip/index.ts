import { decodedTo } from '../summary';
/**
 * gzip (RFC 1952): ramdisks, compressed kernels and images. Each member is
 * read here (header, raw deflate data, CRC-32 and length trailer) so that
 * where it ends is known exactly: concatenated members decode in turn, and
 * data after the last member (an `Image.gz-dtb` kernel carries its device
 * trees there) ends the stream without losing any decoded byte. `gzip -d`
 * does the same ("trailing garbage ignored"). node:zlib's own multi-member
 * gunzip is not used for that reason: on such data it raises an error that
 * discards output it has already decoded.
 */
import { crc32, createInflateRaw } from 'node:zlib';
import { FormatError, RomscopeError, TruncatedError } from '../../io/errors';
import { StreamReader } from '../../io/stream-reader';
import type { Budget } from '../../io/limits';
import type { TransformHandler } from '../types';

/** Longest file name or comment field read from a member header (gzip itself has no limit; real ones are a file name). */
export const MAX_GZIP_HEADER_STRING = 64 * 1024;
/** Compressed bytes handed to the inflater at a time. */
const FEED = 64 * 1024;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

function originalName(peek: Buffer): string | null {
  // FLG bit 3: a NUL-terminated original file name follows the 10-byte header
  // (after FEXTRA when bit 2 is set).
  const flg = peek[3];
  if (!(flg & FNAME)) return null;
  let p = 10;
  if (flg & FEXTRA) p += 2 + peek.readUInt16LE(10);
  const end = peek.indexOf(0, p);
  if (end < 0 || end - p > 255) return null;
  const n = peek.toString('latin1', p, end).split(/[\\/]/).pop();
  return n || null;
}

function isMemberStart(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 8;
}

/** Skips a NUL-terminated header field, at most MAX_GZIP_HEADER_STRING bytes. */
async function skipString(r: StreamReader, what: string): Promise<void> {
  const at = r.offset;
  const p = await r.peek(MAX_GZIP_HEADER_STRING + 1);
  const end = p.indexOf(0);
  if (end < 0) {
    if (p.length <= MAX_GZIP_HEADER_STRING) throw new TruncatedError('gzip stream ends early', at);
    throw new FormatError(`gzip header ${what} at byte ${at} is longer than ${MAX_GZIP_HEADER_STRING} bytes`, at);
  }
  await r.skip(end + 1);
}

/** Reads one member header (RFC 1952 §2.3). */
async function readHeader(r: StreamReader): Promise<void> {
  const at = r.offset;
  const h = await r.read(10);
  if (h.length < 10) throw new TruncatedError('gzip stream ends early', at);
  if (!isMemberStart(h)) throw new FormatError(`corrupt gzip data by byte ${at} (no gzip header)`, at);
  const flg = h[3];
  if (flg & 0xe0) throw new FormatError(`gzip header at byte ${at} has reserved flag bits set (0x${flg.toString(16)})`, at);
  if (flg & FEXTRA) {
    const x = await r.read(2);
    if (x.length < 2 || (await r.skip(x.readUInt16LE(0))) < x.readUInt16LE(0)) throw new TruncatedError('gzip stream ends early', at);
  }
  if (flg & FNAME) await skipString(r, 'file name');
  if (flg & FCOMMENT) await skipString(r, 'comment');
  if (flg & FHCRC && (await r.skip(2)) < 2) throw new TruncatedError('gzip stream ends early', at);
}

/** Writes one chunk and waits until the inflater has taken it (or failed). */
function feed(dec: ReturnType<typeof createInflateRaw>, c: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      dec.off('error', done);
      dec.off('close', done);
      resolve();
    };
    dec.once('error', done);
    dec.once('close', done);
    dec.write(c, done);
  });
}

/**
 * The raw deflate data of one member, decoded. Compressed bytes the deflate
 * stream did not use (its trailer, what follows) are put back into `r`.
 */
async function* inflateMember(r: StreamReader, budget: Budget, sum: { crc: number; size: number }): AsyncGenerator<Buffer> {
  const dec = createInflateRaw({ chunkSize: 256 * 1024 });
  const start = r.offset;
  let fed = 0;
  // Chunks fed since the inflater last took everything: the unused end of the stream is among them.
  let pending: Buffer[] = [];
  // A failure reading the input (not the inflater's): rethrown as it is.
  const failed: { error?: Error } = {};
  const pump = (async () => {
    try {
      for (;;) {
        const c = await r.read(FEED);
        if (c.length === 0) {
          dec.end();
          return;
        }
        pending.push(c);
        fed += c.length;
        await feed(dec, c);
        if (dec.destroyed || dec.bytesWritten < fed) return; // the deflate stream ended inside what was fed (or failed)
        pending = [];
      }
    } catch (e) {
      failed.error = e instanceof Error ? e : new Error(String(e));
      dec.destroy();
    }
  })();
  try {
    for await (const out of dec as AsyncIterable<Buffer>) {
      budget.chargeExpanded(out.length);
      sum.crc = crc32(out, sum.crc);
      sum.size += out.length;
      yield out;
    }
  } catch (e) {
    await pump;
    if (failed.error) throw failed.error;
    if (e instanceof RomscopeError) throw e;
    const at = start + dec.bytesWritten;
    if (/unexpected end of file/i.test((e as Error).message)) throw new TruncatedError('gzip stream ends early', at);
    throw new FormatError(`corrupt gzip data by byte ${at} (${(e as Error).message})`, at);
  } finally {
    dec.destroy();
  }
  await pump;
  if (failed.error) throw failed.error;
  const unused = fed - dec.bytesWritten;
  if (unused > 0) {
    const all = Buffer.concat(pending);
    r.unread(all.subarray(all.length - unused));
  }
}

export const gzipHandler: TransformHandler = {
  id: 'gzip',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'gzip compressed stream',
  detect: ({ peek }) => peek.length >= 10 && isMemberStart(peek),
  // Without a .gz suffix the decoded child keeps the parent's name (a boot image's `kernel` stays `kernel`).
  childName: (name, peek) => (/\.gz$/i.test(name) ? name.slice(0, -3) : /\.tgz$/i.test(name) ? `${name.slice(0, -4)}.tar` : (originalName(peek) ?? name)),
  headerInfo: (peek) => ({ originalName: originalName(peek) ?? undefined, mtime: peek.readUInt32LE(4) || undefined }),
  async *transform(input, ctx, info) {
    const r = new StreamReader(input);
    let members = 0;
    for (;;) {
      if (members > 0) {
        const next = await r.peek(3);
        if (next.length === 0) break;
        if (!isMemberStart(next)) {
          // Data after the last member: zero padding, or other data (an Image.gz-dtb kernel's device trees).
          let n = 0;
          let zero = true;
          for await (const c of r.rest()) {
            n += c.length;
            if (zero) zero = !c.some((b) => b !== 0);
          }
          info.trailingBytes = n;
          if (!zero) info.trailingData = true;
          break;
        }
      }
      await readHeader(r);
      const sum = { crc: 0, size: 0 };
      yield* inflateMember(r, ctx.budget, sum);
      const at = r.offset;
      const t = await r.read(8);
      if (t.length < 8) throw new TruncatedError('gzip stream ends early', at);
      members++;
      const crc = t.readUInt32LE(0);
      const isize = t.readUInt32LE(4);
      if (crc !== sum.crc >>> 0 || isize !== sum.size % 2 ** 32) {
        const what =
          crc !== sum.crc >>> 0
            ? `CRC-32 is ${(sum.crc >>> 0).toString(16).padStart(8, '0')}, the trailer says ${crc.toString(16).padStart(8, '0')}`
            : `length is ${sum.size % 2 ** 32} (mod 2^32), the trailer says ${isize}`;
        ctx.fact({ kind: 'gzip-checksum', message: `gzip trailer disagrees with the data of member ${members}: its ${what}`, offset: at });
        return;
      }
    }
    info.members = members;
    ctx.fact({ kind: 'gzip-checksum-ok', message: info.trailingData ? 'gzip members decode and their trailers match; data follows the last member' : 'gzip CRC-32 and length trailers match' });
  },
};
