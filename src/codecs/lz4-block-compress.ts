/**
 * A raw LZ4 block compressor whose output is liblz4's, byte for byte, for
 * the one entry point update_engine's LZ4DIFF operations call for the LZ4
 * algorithm: `LZ4_compress_destSize` (acceleration 1, a fresh hash table on
 * every call). It compresses as much of the input as fits in `targetSize`
 * bytes and says how many input bytes that took. When the whole input fits
 * for certain (`targetSize` at least LZ4's compress bound) liblz4 takes its
 * plain path, which is the same parse without the output limit.
 *
 * Written from the algorithm of lz4's lib/lz4.c (greedy single-probe hash
 * matcher, skip acceleration, catch-up, the fillOutput end rules), for a
 * 64-bit little-endian build: inputs under 64 KiB + 11 bytes use a 13-bit
 * hash of 4 bytes with 16-bit positions, larger ones a 12-bit hash of 5
 * bytes with 32-bit positions, as liblz4 chooses on such machines (phones
 * and the machines that build OTAs). Checked against Debian's liblz4 and
 * `lz4` tool (test/codecs/lz4-block-compress.test.ts).
 *
 * LZ4HC (`LZ4_compress_HC_destSize`): ./lz4hc-block-compress.ts.
 */

const MINMATCH = 4;
const MFLIMIT = 12;
const LASTLITERALS = 5;
const MIN_LENGTH = MFLIMIT + 1;
const LIMIT_64K = 65536 + MFLIMIT - 1;
const SKIP_TRIGGER = 6;
const MAX_DISTANCE = 65535;
const HASH_LOG = 12;
const RUN_MASK = 15;
const ML_MASK = 15;
const PRIME5_LO = 465362107; // 889523592379 = 207 * 2^32 + 465362107
const PRIME5_HI = 207;

/** LZ4's bound on the compressed size of `n` bytes (`LZ4_compressBound`). */
/**
 * The bytes after a token whose length nibble is full (15): 255 while the
 * rest of the length is 255 or more, then the remainder. Returns the new
 * output position.
 */
export function lengthTail(out: Uint8Array, op: number, rest: number): number {
  for (; rest >= 255; rest -= 255) out[op++] = 255;
  out[op++] = rest;
  return op;
}

export function lz4CompressBound(n: number): number {
  return n > 0x7e000000 ? 0 : n + Math.floor(n / 255) + 16;
}

export interface Lz4DestSizeResult {
  /** The compressed block (at most `targetSize` bytes). */
  block: Buffer;
  /** How many input bytes it holds. */
  consumed: number;
}

/**
 * `LZ4_compress_destSize(src, dst, &srcSize, targetSize)` of liblz4: the
 * longest prefix of `src` liblz4 fits in `targetSize` bytes, compressed.
 */
export function lz4CompressDestSize(src: Uint8Array, targetSize: number): Lz4DestSizeResult {
  if (targetSize >= lz4CompressBound(src.length)) return compressGeneric(src, Infinity, src.length < LIMIT_64K);
  return compressGeneric(src.subarray(0, destSizeWindow(targetSize)), targetSize, src.length < LIMIT_64K);
}

/**
 * How much input a destSize call can depend on. Each output byte stands for
 * at most 255 input bytes (a match length byte), so the parse fills
 * `targetSize` bytes long before it gets near the end of this window, and
 * whatever lies past it changes no byte of the output (a match running
 * into the window's end is cut to what fits either way; literals that reach
 * it overflow the output either way). Without it, each call over a long run
 * of equal bytes would count the whole run, and a patch listing many small
 * blocks over a large zero-filled target would take quadratic time. (The
 * table mode still follows the whole input's size, as liblz4 chooses it.)
 */
export function destSizeWindow(targetSize: number): number {
  return 256 * (targetSize + 64) + 65536;
}

/** `LZ4_compress_default` of liblz4 (acceleration 1, fresh state): the whole of `src` as one block. */
export function lz4CompressBlock(src: Uint8Array): Buffer {
  return compressGeneric(src, Infinity, src.length < LIMIT_64K).block;
}

function compressGeneric(src: Uint8Array, limit: number, small: boolean): Lz4DestSizeResult {
  const fill = limit !== Infinity;
  const n = src.length;
  if (fill && limit < 1) return { block: Buffer.alloc(0), consumed: 0 };
  const out = Buffer.alloc(fill ? limit : lz4CompressBound(n));
  const olimit = fill ? limit : out.length;
  const table = new Int32Array(small ? 1 << (HASH_LOG + 1) : 1 << HASH_LOG); // positions; all 0 at the start, as after LZ4_initStream
  const read32 = (p: number): number => src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24);
  const hash = small
    ? (p: number): number => Math.imul(read32(p), -1640531535) >>> (32 - (HASH_LOG + 1))
    : (p: number): number => {
        // ((read64(p) << 24) * prime5bytes) >> (64 - 12): only bytes p..p+4 count.
        const xlo = src[p] * 16777216; // byte 0 << 24, as a number (no sign)
        const xhi = src[p + 1] | (src[p + 2] << 8) | (src[p + 3] << 16) | (src[p + 4] << 24);
        const carry = Math.floor((src[p] * PRIME5_LO) / 256); // high 32 bits of xlo * PRIME5_LO
        const hi = (carry + Math.imul(xlo | 0, PRIME5_HI) + Math.imul(xhi, PRIME5_LO)) >>> 0;
        return hi >>> (32 - HASH_LOG);
      };
  const count = (a: number, b: number, end: number): number => {
    const start = a;
    while (a < end && src[a] === src[b]) {
      a++;
      b++;
    }
    return a - start;
  };

  let op = 0;
  let anchor = 0;
  let ip: number;
  const iend = n;
  const mflimitPlusOne = iend - MFLIMIT + 1;
  const matchlimit = iend - LASTLITERALS;

  const lastLiterals = (): Lz4DestSizeResult => {
    let lastRun = iend - anchor;
    if (fill && op + lastRun + 1 + Math.floor((lastRun + 255 - RUN_MASK) / 255) > olimit) {
      lastRun = olimit - op - 1;
      lastRun -= Math.floor((lastRun + 256 - RUN_MASK) / 256);
    }
    if (lastRun >= RUN_MASK) {
      out[op++] = RUN_MASK << 4;
      op = lengthTail(out, op, lastRun - RUN_MASK);
    } else {
      out[op++] = lastRun << 4;
    }
    out.set(src.subarray(anchor, anchor + lastRun), op);
    op += lastRun;
    return { block: out.subarray(0, op), consumed: anchor + lastRun };
  };

  if (n < MIN_LENGTH) return lastLiterals();

  table[hash(0)] = 0;
  ip = 1;
  let forwardH = hash(ip);

  for (;;) {
    let match: number;
    // Find a match: probe forward, the step growing on incompressible data.
    {
      let forwardIp = ip;
      let step = 1;
      let searchMatchNb = 1 << SKIP_TRIGGER;
      for (;;) {
        const h = forwardH;
        const current = forwardIp;
        const matchIndex = table[h];
        ip = forwardIp;
        forwardIp += step;
        step = searchMatchNb++ >> SKIP_TRIGGER;
        if (forwardIp > mflimitPlusOne) return lastLiterals();
        match = matchIndex;
        forwardH = hash(forwardIp);
        table[h] = current;
        if (!small && matchIndex + MAX_DISTANCE < current) continue;
        if (read32(match) === read32(ip)) break;
      }
    }

    // Catch up: extend the match backwards.
    const filledIp = ip;
    while (ip > anchor && match > 0 && src[ip - 1] === src[match - 1]) {
      ip--;
      match--;
    }

    // Literals.
    let token: number;
    {
      const litLength = ip - anchor;
      token = op++;
      if (fill && op + Math.floor((litLength + 240) / 255) + litLength + 2 + 1 + MFLIMIT - MINMATCH > olimit) {
        op--;
        return lastLiterals();
      }
      if (litLength >= RUN_MASK) {
        out[token] = RUN_MASK << 4;
        op = lengthTail(out, op, litLength - RUN_MASK);
      } else {
        out[token] = litLength << 4;
      }
      out.set(src.subarray(anchor, ip), op);
      op += litLength;
    }

    // A match at ip (from `match`), then as many immediate matches as follow.
    for (;;) {
      if (fill && op + 2 + 1 + MFLIMIT - MINMATCH > olimit) {
        op = token;
        return lastLiterals();
      }
      const offset = ip - match;
      out[op++] = offset & 255;
      out[op++] = offset >>> 8;
      let matchCode = count(ip + MINMATCH, match + MINMATCH, matchlimit);
      ip += matchCode + MINMATCH;
      if (fill && op + 1 + LASTLITERALS + Math.floor((matchCode + 240) / 255) > olimit) {
        const newMatchCode = 15 - 1 + (olimit - op - 1 - LASTLITERALS) * 255;
        ip -= matchCode - newMatchCode;
        matchCode = newMatchCode;
        if (ip <= filledIp) for (let p = ip; p <= filledIp; p++) table[hash(p)] = 0;
      }
      if (matchCode >= ML_MASK) {
        out[token] += ML_MASK;
        op = lengthTail(out, op, matchCode - ML_MASK);
      } else {
        out[token] += matchCode;
      }
      anchor = ip;
      if (ip >= mflimitPlusOne) return lastLiterals();
      table[hash(ip - 2)] = ip - 2;
      const h = hash(ip);
      const matchIndex = table[h];
      table[h] = ip;
      if ((small || matchIndex + MAX_DISTANCE >= ip) && read32(matchIndex) === read32(ip)) {
        token = op++;
        out[token] = 0;
        match = matchIndex;
        continue;
      }
      break;
    }
    forwardH = hash(++ip);
  }
}
