/** Zstandard through fzstd (pure JavaScript). */
import { Decompress as ZstdDecompress } from 'fzstd';
import { CodecError, tooLarge } from './errors';
import { FormatError, TruncatedError } from '../io/errors';
import { StreamReader } from '../io/stream-reader';
import { loadXxhash, xxhashApi } from '../io/hash';
import { type MemberHooks } from './member';

/** zstd through fzstd's streaming decoder, fed in small pieces so one push cannot expand far. */
export async function* zstdStream(input: AsyncIterable<Uint8Array>, maxOut: number): AsyncGenerator<Uint8Array> {
  let total = 0;
  let out: Uint8Array[] = [];
  const d = new ZstdDecompress((chunk) => {
    total += chunk.length;
    if (total > maxOut) throw tooLarge('zstd', maxOut);
    out.push(chunk);
  });
  const push = (b: Uint8Array, final: boolean) => {
    try {
      d.push(b, final);
    } catch (e) {
      if (e instanceof CodecError) throw e;
      const code = (e as { code?: number }).code;
      throw new CodecError(code === 5 ? 'zstd data ends early (truncated)' : `zstd data is corrupt (${(e as Error).message})`);
    }
  };
  const PIECE = 16 * 1024;
  for await (const c of input) {
    for (let i = 0; i < c.length; i += PIECE) {
      push(c.subarray(i, Math.min(c.length, i + PIECE)), false);
      if (out.length) {
        const ready = out;
        out = [];
        yield* ready;
      }
    }
  }
  push(new Uint8Array(0), true);
  yield* out;
}

const ZSTD_MAGIC = 0xfd2fb528;
const isSkippable = (m: number) => m >>> 4 === 0x184d2a5;
/** The largest window `zstd -d` accepts without --memory (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 2^27): fzstd allocates the window whole. */
export const ZSTD_MAX_WINDOW = 1 << 27;
const BLOCK_MAX = 128 * 1024;

/**
 * A `.zst` file decoded as it streams past: Zstandard frames and skippable
 * frames, concatenated (RFC 8878 §3), as `zstd -d` accepts them. The frame
 * structure (header, block headers, checksum) is read here, so each frame's
 * end is known; fzstd decodes each frame's blocks. fzstd reads but does not
 * verify the content checksum: it is verified here (the low 32 bits of the
 * xxh64 of the frame's output, seed 0), as is the declared content size.
 * Data after the last frame is refused, as `zstd -d` refuses it.
 */
export async function* zstdMemberStream(input: AsyncIterable<Buffer>, hooks: MemberHooks): AsyncGenerator<Buffer> {
  await loadXxhash();
  const r = new StreamReader(input);
  let frames = 0;
  let skippable = 0;
  try {
    for (;;) {
      if (await r.atEnd()) break;
      const at = r.offset;
      const head = await r.read(4);
      const magic = head.length === 4 ? head.readUInt32LE(0) : -1;
      if (magic === ZSTD_MAGIC) {
        frames++;
        yield* zstdFrame(r, at, hooks);
      } else if (magic >= 0 && isSkippable(magic)) {
        const n = (await r.readExact(4, 'zstd skippable frame size')).readUInt32LE(0);
        if ((await r.skip(n)) < n) throw new TruncatedError(`zstd skippable frame at offset ${at} is cut short`, at);
        skippable++;
      } else if (frames + skippable === 0) {
        throw new FormatError('not a zstd stream', at);
      } else if (head.length < 4) {
        throw new TruncatedError(`zstd file ends with ${head.length} bytes that are not a whole frame magic`, at);
      } else {
        throw new FormatError(`data at offset ${at} after the last zstd frame is not a frame (zstd -d refuses it: "unsupported format")`, at);
      }
    }
    if (frames + skippable === 0) throw new TruncatedError('zstd file is empty', 0);
  } finally {
    hooks.info.frames = frames;
    if (skippable) hooks.info.skippableFrames = skippable;
    await r.close();
  }
}

async function* zstdFrame(r: StreamReader, start: number, hooks: MemberHooks): AsyncGenerator<Buffer> {
  // Frame header (RFC 8878 §3.1.1.1): descriptor, window descriptor unless single segment, dictionary id, content size.
  const fhd = (await r.readExact(1, 'zstd frame header'))[0];
  if (fhd & 0x08) throw new FormatError(`reserved bit set in the zstd frame header at offset ${start}`, start);
  const single = (fhd >> 5) & 1;
  const hasChecksum = (fhd >> 2) & 1;
  const didSize = [0, 1, 2, 4][fhd & 3];
  const fcsSize = [single, 2, 4, 8][fhd >> 6];
  const rest = await r.readExact((single ? 0 : 1) + didSize + fcsSize, 'zstd frame header');
  let p = single ? 0 : 1;
  const dictId = didSize ? rest.readUIntLE(p, didSize) : 0;
  p += didSize;
  let contentSize: number | undefined;
  if (fcsSize === 1) contentSize = rest[p];
  else if (fcsSize === 2) contentSize = rest.readUInt16LE(p) + 256;
  else if (fcsSize === 4) contentSize = rest.readUInt32LE(p);
  else if (fcsSize === 8) contentSize = Number(rest.readBigUInt64LE(p));
  let window: number;
  if (single) window = contentSize ?? 0;
  else {
    const base = 2 ** (10 + (rest[0] >> 3));
    window = base + (base / 8) * (rest[0] & 7);
  }
  if (dictId) throw new FormatError(`zstd frame at offset ${start} needs dictionary ${dictId}, which the file does not carry`, start, 'unsupported');
  if (window > ZSTD_MAX_WINDOW) {
    throw new FormatError(
      `zstd frame at offset ${start} needs a ${Math.ceil(window / 2 ** 20)} MiB window; like zstd -d without --memory, romscope decodes windows up to ${ZSTD_MAX_WINDOW / 2 ** 20} MiB`,
      start,
      'unsupported',
    );
  }
  const blockMax = Math.min(window, BLOCK_MAX);
  if (contentSize !== undefined) hooks.info.contentSize = ((hooks.info.contentSize as number | undefined) ?? 0) + contentSize;
  if (hasChecksum) hooks.info.contentChecksum = true;

  let out: Buffer[] = [];
  const d = new ZstdDecompress((chunk) => {
    if (chunk.length) out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  });
  const push = (b: Uint8Array, final: boolean, at: number) => {
    try {
      d.push(b, final);
    } catch (e) {
      throw new FormatError(`corrupt zstd block at offset ${at} (fzstd: ${(e as Error).message})`, at);
    }
  };
  const h64 = hasChecksum ? xxhashApi().create64(0n) : null;
  let produced = 0;
  push(Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, fhd]), rest]), false, start);
  for (;;) {
    // Block header (§3.1.1.2): bit 0 last block, bits 1-2 type (raw, RLE, compressed, reserved), then the size.
    const at = r.offset;
    const bh = await r.readExact(3, 'zstd block header');
    const v = bh[0] | (bh[1] << 8) | (bh[2] << 16);
    const type = (v >> 1) & 3;
    const size = v >>> 3;
    if (type === 3) throw new FormatError(`zstd block at offset ${at} has the reserved block type`, at);
    if (size > blockMax) throw new FormatError(`zstd block at offset ${at} holds ${size} bytes, more than the frame's ${blockMax}-byte block maximum`, at);
    const data = await r.readExact(type === 1 ? 1 : size, 'zstd block');
    push(Buffer.concat([bh, data]), false, at);
    for (const c of out) {
      h64?.update(c);
      produced += c.length;
      yield c;
    }
    out = [];
    if (v & 1) break;
  }
  if (h64) {
    const at = r.offset;
    const want = (await r.readExact(4, 'zstd content checksum')).readUInt32LE(0);
    const got = Number(h64.digest() & 0xffffffffn);
    if (want !== got)
      hooks.check(false, `zstd frame at offset ${start}: content checksum ${want.toString(16).padStart(8, '0')}, computed ${got.toString(16).padStart(8, '0')} (low 32 bits of the xxh64 of its output)`, at);
    else hooks.check(true, `zstd frame at offset ${start}: content checksum (xxh64) matches`);
  }
  if (contentSize !== undefined && contentSize !== produced) {
    hooks.check(false, `zstd frame at offset ${start} declares ${contentSize} bytes of content, decoded ${produced}`, start);
  }
}
