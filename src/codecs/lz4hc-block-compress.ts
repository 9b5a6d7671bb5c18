/**
 * liblz4 1.9.4's LZ4HC block compressors, byte for byte, every level:
 * `LZ4_compress_HC_destSize` (as much input as fits into a given output
 * size; update_engine's lz4diff and mkfs.erofs use it) and `LZ4_compress_HC`
 * with an output of at least `LZ4_compressBound` bytes (the whole input as
 * one block; what `lz4 -3`..`lz4 -12` write as a frame's independent blocks).
 *
 * Both start from a fresh state per call (LZ4_initStreamHC zeroes the
 * tables): 32 768 hash heads of 4 bytes, 65 536 16-bit chain links,
 * positions counted from 65 536. Levels below 1 are 9, levels above 12 are
 * 12. liblz4's level table:
 *   1-9   the hash-chain parser, 2, 2, 4, 8, 16, 32, 64, 128, 256 chain
 *         steps per search; level 9 (over 128 steps) adds the
 *         repeated-pattern shortcut;
 *   10-12 the optimal parser, 96 / 512 / 16 384 chain steps, a match
 *         longer than 64 / 128 / 4 095 bytes is taken at once; levels 10
 *         and 11 search a position only when the next one costs more, and
 *         only for a match reaching past the furthest one known; level 12
 *         also where a short match could still save bytes four positions
 *         on, and for any match of 4 bytes or more. Their searches always
 *         use the repeated-pattern shortcut, and after a match move to the
 *         chain of the 4-byte sequence inside it whose previous occurrence
 *         is furthest back ("chain swap").
 *
 * Written from the algorithm of lz4 1.9.4's lib/lz4hc.c (LZ4HC_Insert,
 * LZ4HC_InsertAndGetWiderMatch, LZ4HC_compress_hashChain,
 * LZ4HC_compress_optimal with its price model, LZ4HC_encodeSequence and the
 * fillOutput end rules). Checked against Debian's liblz4 and `lz4`
 * (test/formats/ota-delta-lz4diff.test.ts, test/codecs/lz4hc-block-compress.test.ts).
 */
import { destSizeWindow, lengthTail, lz4CompressBound, type Lz4DestSizeResult } from './lz4-block-compress';

const MINMATCH = 4;
const MFLIMIT = 12;
const LASTLITERALS = 5;
const RUN_MASK = 15;
const ML_MASK = 15;
const OPTIMAL_ML = ML_MASK - 1 + MINMATCH;
const MAX_DISTANCE = 65535;
const HASH_LOG = 15;
const PREFIX = 65536; // index of the first input byte (LZ4HC_init_internal's starting offset)
/** The optimal parser's look-ahead: prices are kept for this many positions past the start of a parse. */
const OPT_NUM = 4096;
/** Literal positions priced past the end of the furthest match. */
const TRAILING = 3;

interface LevelParams {
  optimal: boolean;
  searches: number;
  /** Optimal parser: a match longer than this is encoded at once. */
  enough: number;
}

/** liblz4 1.9.4's level table (index = level 0-12; 0 is never used, it becomes 9). */
const LEVELS: LevelParams[] = [2, 2, 2, 4, 8, 16, 32, 64, 128, 256]
  .map((searches): LevelParams => ({ optimal: false, searches, enough: 0 }))
  .concat([
    { optimal: true, searches: 96, enough: 64 },
    { optimal: true, searches: 512, enough: 128 },
    { optimal: true, searches: 16384, enough: OPT_NUM },
  ]);

/** liblz4's level mapping: below 1 is its default 9, above 12 is 12. */
function levelOf(level: number): number {
  return level < 1 ? 9 : Math.min(12, Math.floor(level));
}

/** `LZ4_compress_HC_destSize(state, src, dst, &srcSize, targetSize, level)` of liblz4 1.9.4: the block and how much of `src` it holds. */
export function lz4hcCompressDestSize(src: Uint8Array, targetSize: number, level: number): Lz4DestSizeResult {
  if (targetSize < 1) return { block: Buffer.alloc(0), consumed: 0 };
  // What lies past the window changes no output byte (see destSizeWindow).
  return compressHC(src.subarray(0, destSizeWindow(targetSize)), targetSize, true, level);
}

/** `LZ4_compress_HC(src, dst, n, LZ4_compressBound(n), level)` of liblz4 1.9.4: all of `src` as one block. */
export function lz4hcCompressBlock(src: Uint8Array, level: number): Buffer {
  return compressHC(src, lz4CompressBound(src.length), false, level).block;
}

/**
 * One LZ4HC block. `fill`: liblz4's fillOutput mode (stop when `capacity`
 * bytes are written, ending with what fits); otherwise its notLimited mode
 * (`capacity` is at least the compress bound, no limit is checked).
 */
function compressHC(src: Uint8Array, capacity: number, fill: boolean, level: number): Lz4DestSizeResult {
  const params = LEVELS[levelOf(level)];
  const n = src.length;
  const out = Buffer.alloc(capacity);
  const hashTable = new Int32Array(1 << HASH_LOG); // position + PREFIX of the last byte with each hash; 0: none
  const chain = new Uint16Array(65536); // distance to the previous position with the same hash (at most MAX_DISTANCE)
  let nextToUpdate = 0; // positions below it are in the tables

  // Positions are 0-based offsets into src; the tables hold them plus PREFIX.
  const read32 = (p: number): number => (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
  const hashAt = (p: number): number => Math.imul(read32(p), -1640531535) >>> (32 - HASH_LOG);
  /** LZ4_count: equal bytes from a and b, a stopping at limit. */
  const count = (a: number, b: number, limit: number): number => {
    const s = a;
    while (a < limit && src[a] === src[b]) {
      a++;
      b++;
    }
    return a - s;
  };
  const insert = (target: number): void => {
    for (let p = nextToUpdate; p < target; p++) {
      const h = hashAt(p);
      const idx = p + PREFIX;
      let delta = idx - hashTable[h];
      if (delta > MAX_DISTANCE) delta = MAX_DISTANCE;
      chain[idx & 0xffff] = delta;
      hashTable[h] = idx;
    }
    if (target > nextToUpdate) nextToUpdate = target;
  };
  const patternByte = (pattern: number, k: number): number => (pattern >>> (8 * (k & 3))) & 0xff;
  /** How many bytes from p on repeat `pattern` (a 1, 2 or 4-byte period), stopping at end. */
  const countPattern = (p: number, end: number, pattern: number): number => {
    let k = 0;
    while (p + k < end && src[p + k] === patternByte(pattern, k)) k++;
    return k;
  };
  /** How many bytes before p repeat `pattern`, down to low. */
  const reverseCountPattern = (p: number, low: number, pattern: number): number => {
    const start = p;
    while (p >= low + 4 && read32(p - 4) === pattern) p -= 4;
    let b = 3;
    while (p > low && b >= 0 && src[p - 1] === patternByte(pattern, b)) {
      p--;
      b--;
    }
    return start - p;
  };

  /** Set by widerMatch when it finds a longer match: where the match's source and the match start. */
  let foundRef = 0;
  let foundStart = 0;
  /**
   * LZ4HC_InsertAndGetWiderMatch without a dictionary: the longest match
   * longer than `longest` around `ip` (allowed to start back to `iLow`, to
   * end at `iHigh`), looking at `attempts` chain positions; its length (or
   * `longest` when none is longer), with foundRef and foundStart.
   */
  const widerMatch = (ip: number, iLow: number, iHigh: number, longest: number, attempts: number, patternAnalysis: boolean, chainSwap: boolean): number => {
    foundRef = 0;
    foundStart = 0;
    const lowest = ip < MAX_DISTANCE + 1 ? 0 : ip - MAX_DISTANCE;
    const lookBack = ip - iLow;
    const pattern = read32(ip);
    let repeat = 0; // 0 untested, 1 not a repetition, 2 a repetition of period 1, 2 or 4
    let srcPatternLength = 0;
    let chainPos = 0; // the chain swap's offset into the match whose chain is followed
    insert(ip);
    let m = hashTable[hashAt(ip)] - PREFIX;
    while (m >= lowest && attempts > 0) {
      attempts--;
      let matchLength = 0;
      // The two bytes at the end of the current best must match before anything else is compared.
      const e = iLow + longest - 1;
      const f = m - lookBack + longest - 1;
      if (src[e] === src[f] && src[e + 1] === src[f + 1] && src[m] === src[ip] && src[m + 1] === src[ip + 1] && src[m + 2] === src[ip + 2] && src[m + 3] === src[ip + 3]) {
        let back = 0;
        if (lookBack) {
          const min = Math.max(iLow - ip, -m);
          while (back > min && src[ip + back - 1] === src[m + back - 1]) back--;
        }
        matchLength = MINMATCH + count(ip + MINMATCH, m + MINMATCH, iHigh) - back;
        if (matchLength > longest) {
          longest = matchLength;
          foundRef = m + back;
          foundStart = ip + back;
        }
      }
      if (chainSwap && matchLength === longest && m + longest <= ip) {
        // Follow instead the chain of the 4-byte sequence inside the match whose previous occurrence is furthest back.
        let distance = 1;
        const end = longest - MINMATCH + 1;
        let accel = 16; // the step grows by one every 16 positions without a better one
        for (let pos = 0; pos < end;) {
          const d = chain[(m + PREFIX + pos) & 0xffff];
          const step = accel++ >> 4;
          if (d > distance) {
            distance = d;
            chainPos = pos;
            accel = 16;
          }
          pos += step;
        }
        if (distance > 1) {
          m -= distance;
          continue;
        }
      }
      const distNext = chain[(m + PREFIX) & 0xffff];
      if (patternAnalysis && distNext === 1 && chainPos === 0) {
        // A run of a 1, 2 or 4-byte pattern: jump over it instead of stepping through it byte by byte.
        const candidate = m - 1;
        if (repeat === 0) {
          if ((pattern & 0xffff) === pattern >>> 16 && (pattern & 0xff) === pattern >>> 24) {
            repeat = 2;
            srcPatternLength = countPattern(ip + 4, iHigh, pattern) + 4;
          } else {
            repeat = 1;
          }
        }
        if (repeat === 2 && candidate >= lowest && read32(candidate) === pattern) {
          const forward = countPattern(candidate + 4, iHigh, pattern) + 4;
          const backLength = candidate - Math.max(candidate - reverseCountPattern(candidate, 0, pattern), lowest);
          const segment = backLength + forward;
          if (segment >= srcPatternLength && forward <= srcPatternLength) {
            // The segment holds the whole pattern run at ip: the candidate whose run ends where it ends.
            m = candidate + forward - srcPatternLength;
          } else {
            m = candidate - backLength; // the segment's start
            if (lookBack === 0) {
              const maxML = Math.min(segment, srcPatternLength);
              if (longest < maxML) {
                if (ip - m > MAX_DISTANCE) break;
                longest = maxML;
                foundRef = m;
                foundStart = ip;
              }
              m -= chain[(m + PREFIX) & 0xffff];
            }
          }
          continue;
        }
      }
      m -= chain[(m + PREFIX + chainPos) & 0xffff];
    }
    return longest;
  };

  // Output state shared by the parsers.
  let ip = 0;
  let anchor = 0;
  let op = 0;
  /** Last byte a sequence may use (fillOutput keeps LASTLITERALS bytes back for the last literals). */
  let oend = fill ? capacity - LASTLITERALS : Infinity;
  const iend = n;
  const mflimit = iend - MFLIMIT;
  const matchlimit = iend - LASTLITERALS;

  /** LZ4HC_encodeSequence: literals from anchor to ip, then a match; false (nothing changed) when the output limit is hit. */
  const encode = (matchLength: number, match: number, limited: boolean): boolean => {
    const token = op;
    let o = op + 1;
    let length = ip - anchor;
    if (limited && o + Math.floor(length / 255) + length + 2 + 1 + LASTLITERALS > oend) return false;
    if (length >= RUN_MASK) {
      out[token] = RUN_MASK << 4;
      o = lengthTail(out, o, length - RUN_MASK);
    } else {
      out[token] = length << 4;
    }
    out.set(src.subarray(anchor, ip), o);
    o += length;
    const offset = ip - match;
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    length = matchLength - MINMATCH;
    if (limited && o + Math.floor(length / 255) + 1 + LASTLITERALS > oend) return false;
    if (length >= ML_MASK) {
      out[token] += ML_MASK;
      o = lengthTail(out, o, length - ML_MASK);
    } else {
      out[token] += length;
    }
    op = o;
    ip += matchLength;
    anchor = ip;
    return true;
  };

  /** The last literals (fillOutput: as many as fit) and the result. */
  const lastLiterals = (): Lz4DestSizeResult => {
    let lastRunSize = iend - anchor;
    let llAdd = Math.floor((lastRunSize + 255 - RUN_MASK) / 255);
    const totalSize = 1 + llAdd + lastRunSize;
    if (fill) {
      oend += LASTLITERALS;
      if (op + totalSize > oend) {
        lastRunSize = oend - op - 1;
        llAdd = Math.floor((lastRunSize + 256 - RUN_MASK) / 256);
        lastRunSize -= llAdd;
      }
    }
    ip = anchor + lastRunSize;
    if (lastRunSize >= RUN_MASK) {
      out[op++] = RUN_MASK << 4;
      op = lengthTail(out, op, lastRunSize - RUN_MASK);
    } else {
      out[op++] = lastRunSize << 4;
    }
    out.set(src.subarray(anchor, anchor + lastRunSize), op);
    op += lastRunSize;
    return { block: out.subarray(0, op), consumed: ip };
  };

  /**
   * fillOutput's end when a sequence did not fit: back to `savedOp` (before
   * it), and write it with its match cut to what fits, when its literals fit
   * and the block would still end in a legal way; then the last literals.
   */
  const destOverflow = (savedOp: number, ml: number, ref: number): Lz4DestSizeResult => {
    const ll = ip - anchor;
    const llTotalCost = 1 + Math.floor((ll + 240) / 255) + ll;
    const maxLitPos = oend - 3;
    op = savedOp;
    if (op + llTotalCost <= maxLitPos) {
      const bytesLeftForMl = maxLitPos - (op + llTotalCost);
      const maxMlSize = MINMATCH + (ML_MASK - 1) + bytesLeftForMl * 255;
      if (ml > maxMlSize) ml = maxMlSize;
      if (oend + LASTLITERALS - (op + llTotalCost + 2) - 1 + ml >= MFLIMIT) encode(ml, ref, false);
    }
    return lastLiterals();
  };

  if (params.optimal) return optimalParse();
  return hashChainParse();

  /** LZ4HC_compress_hashChain (levels 1-9). */
  function hashChainParse(): Lz4DestSizeResult {
    const attempts = params.searches;
    const patternAnalysis = attempts > 128;
    let optr: number;
    let ml: number;
    let ref: number;
    let ml0: number;
    let ref0: number;
    let start0: number;
    let ml2 = 0;
    let ref2 = 0;
    let start2 = 0;
    let ml3: number;
    let ref3 = 0;
    let start3 = 0;
    const search = (p: number, low: number, longest: number): number => widerMatch(p, low, matchlimit, longest, attempts, patternAnalysis, false);

    if (n < MFLIMIT + 1) return lastLiterals();

    main: while (ip <= mflimit) {
      ml = search(ip, ip, MINMATCH - 1);
      ref = foundRef;
      if (ml < MINMATCH) {
        ip++;
        continue;
      }
      start0 = ip;
      ref0 = ref;
      ml0 = ml;
      let stage: 'search2' | 'search3' = 'search2';
      for (;;) {
        if (stage === 'search2') {
          if (ip + ml <= mflimit) {
            ml2 = search(ip + ml - 2, ip, ml);
            ref2 = foundRef;
            start2 = foundStart;
          } else {
            ml2 = ml;
          }
          if (ml2 === ml) {
            optr = op;
            if (!encode(ml, ref, fill)) return destOverflow(optr, ml, ref);
            continue main;
          }
          if (start0 < ip && start2 < ip + ml0) {
            ip = start0;
            ref = ref0;
            ml = ml0;
          }
          if (start2 - ip < 3) {
            ml = ml2;
            ip = start2;
            ref = ref2;
            continue;
          }
          stage = 'search3';
        }
        // Search3
        if (start2 - ip < OPTIMAL_ML) {
          let newMl = ml;
          if (newMl > OPTIMAL_ML) newMl = OPTIMAL_ML;
          if (ip + newMl > start2 + ml2 - MINMATCH) newMl = start2 - ip + ml2 - MINMATCH;
          const correction = newMl - (start2 - ip);
          if (correction > 0) {
            start2 += correction;
            ref2 += correction;
            ml2 -= correction;
          }
        }
        if (start2 + ml2 <= mflimit) {
          ml3 = search(start2 + ml2 - 3, start2, ml2);
          ref3 = foundRef;
          start3 = foundStart;
        } else {
          ml3 = ml2;
        }
        if (ml3 === ml2) {
          if (start2 < ip + ml) ml = start2 - ip;
          optr = op;
          if (!encode(ml, ref, fill)) return destOverflow(optr, ml, ref);
          ip = start2;
          optr = op;
          if (!encode(ml2, ref2, fill)) return destOverflow(optr, ml2, ref2);
          continue main;
        }
        if (start3 < ip + ml + 3) {
          if (start3 >= ip + ml) {
            if (start2 < ip + ml) {
              const correction = ip + ml - start2;
              start2 += correction;
              ref2 += correction;
              ml2 -= correction;
              if (ml2 < MINMATCH) {
                start2 = start3;
                ref2 = ref3;
                ml2 = ml3;
              }
            }
            optr = op;
            if (!encode(ml, ref, fill)) return destOverflow(optr, ml, ref);
            ip = start3;
            ref = ref3;
            ml = ml3;
            start0 = start2;
            ref0 = ref2;
            ml0 = ml2;
            stage = 'search2';
            continue;
          }
          start2 = start3;
          ref2 = ref3;
          ml2 = ml3;
          continue;
        }
        if (start2 < ip + ml) {
          if (start2 - ip < OPTIMAL_ML) {
            if (ml > OPTIMAL_ML) ml = OPTIMAL_ML;
            if (ip + ml > start2 + ml2 - MINMATCH) ml = start2 - ip + ml2 - MINMATCH;
            const correction = ml - (start2 - ip);
            if (correction > 0) {
              start2 += correction;
              ref2 += correction;
              ml2 -= correction;
            }
          } else {
            ml = start2 - ip;
          }
        }
        optr = op;
        if (!encode(ml, ref, fill)) return destOverflow(optr, ml, ref);
        ip = start2;
        ref = ref2;
        ml = ml2;
        start2 = start3;
        ref2 = ref3;
        ml2 = ml3;
      }
    }
    return lastLiterals();
  }

  /**
   * LZ4HC_compress_optimal (levels 10-12): from each position with a match,
   * the cheapest way in output bytes (literals and matches, priced as the
   * LZ4 format spends bytes on them) to reach each of the next positions,
   * until no match reaches further; then the cheapest path to the furthest
   * position is encoded.
   */
  function optimalParse(): Lz4DestSizeResult {
    const searches = params.searches;
    const enough = Math.min(params.enough, OPT_NUM - 1);
    const fullUpdate = levelOf(level) === 12;
    // Per position relative to the parse start: its cheapest price, and the step reaching it (mlen 1: a literal, with litlen literals in a row).
    const price = new Int32Array(OPT_NUM + TRAILING);
    const mlenAt = new Int32Array(OPT_NUM + TRAILING);
    const offAt = new Int32Array(OPT_NUM + TRAILING);
    const litlenAt = new Int32Array(OPT_NUM + TRAILING);
    const literalsPrice = (litlen: number): number => (litlen >= RUN_MASK ? litlen + 1 + Math.floor((litlen - RUN_MASK) / 255) : litlen);
    const sequencePrice = (litlen: number, mlen: number): number => 3 + literalsPrice(litlen) + (mlen >= ML_MASK + MINMATCH ? 1 + Math.floor((mlen - (ML_MASK + MINMATCH)) / 255) : 0);
    const setLiteral = (pos: number, litlen: number, cost: number): void => {
      mlenAt[pos] = 1;
      offAt[pos] = 0;
      litlenAt[pos] = litlen;
      price[pos] = cost;
    };
    /** LZ4HC_FindLongerMatch: a match at p longer than minLen (its length, 0 when none) and its offset in matchOff. */
    let matchOff = 0;
    const findLonger = (p: number, minLen: number): number => {
      const len = widerMatch(p, p, matchlimit, minLen, searches, true, true);
      if (len <= minLen) return 0;
      matchOff = p - foundRef;
      return len;
    };

    while (ip <= mflimit) {
      const llen = ip - anchor;
      let lastMatchPos: number;
      let bestMlen = 0;
      let bestOff = 0;
      let cur: number;
      const firstLen = findLonger(ip, MINMATCH - 1);
      if (firstLen === 0) {
        ip++;
        continue;
      }
      const firstOff = matchOff;
      if (firstLen > enough) {
        const saved = op;
        if (!encode(firstLen, ip - firstOff, fill)) return destOverflow(saved, firstLen, ip - firstOff);
        continue;
      }
      for (let r = 0; r < MINMATCH; r++) setLiteral(r, llen + r, literalsPrice(llen + r));
      for (let mlen = MINMATCH; mlen <= firstLen; mlen++) {
        mlenAt[mlen] = mlen;
        offAt[mlen] = firstOff;
        litlenAt[mlen] = llen;
        price[mlen] = sequencePrice(llen, mlen);
      }
      lastMatchPos = firstLen;
      for (let add = 1; add <= TRAILING; add++) setLiteral(lastMatchPos + add, add, price[lastMatchPos] + literalsPrice(add));

      let immediate = false;
      for (cur = 1; cur < lastMatchPos; cur++) {
        const p = ip + cur;
        if (p > mflimit) break;
        if (fullUpdate) {
          // Skip a position when the next one costs no more, unless a short match here could still pay off 4 bytes on.
          if (price[cur + 1] <= price[cur] && price[cur + MINMATCH] < price[cur] + 3) continue;
        } else if (price[cur + 1] <= price[cur]) {
          continue;
        }
        const len = findLonger(p, fullUpdate ? MINMATCH - 1 : lastMatchPos - cur);
        if (!len) continue;
        if (len > enough || len + cur >= OPT_NUM) {
          bestMlen = len;
          bestOff = matchOff;
          lastMatchPos = cur + 1;
          immediate = true;
          break;
        }
        // Literals after position cur.
        const baseLitlen = litlenAt[cur];
        for (let litlen = 1; litlen < MINMATCH; litlen++) {
          const cost = price[cur] - literalsPrice(baseLitlen) + literalsPrice(baseLitlen + litlen);
          const pos = cur + litlen;
          if (cost < price[pos]) setLiteral(pos, baseLitlen + litlen, cost);
        }
        // The match at cur, every length from MINMATCH.
        const off = matchOff;
        for (let ml = MINMATCH; ml <= len; ml++) {
          const pos = cur + ml;
          let ll: number;
          let cost: number;
          if (mlenAt[cur] === 1) {
            ll = litlenAt[cur];
            cost = (cur > ll ? price[cur - ll] : 0) + sequencePrice(ll, ml);
          } else {
            ll = 0;
            cost = price[cur] + sequencePrice(0, ml);
          }
          if (pos > lastMatchPos + TRAILING || cost <= price[pos]) {
            if (ml === len && lastMatchPos < pos) lastMatchPos = pos;
            mlenAt[pos] = ml;
            offAt[pos] = off;
            litlenAt[pos] = ll;
            price[pos] = cost;
          }
        }
        for (let add = 1; add <= TRAILING; add++) setLiteral(lastMatchPos + add, add, price[lastMatchPos] + literalsPrice(add));
      }
      if (!immediate) {
        bestMlen = mlenAt[lastMatchPos];
        bestOff = offAt[lastMatchPos];
        cur = lastMatchPos - bestMlen;
      }

      // Walk back from cur along the steps taken, turning each position's "step that reached it" into "step taken from it".
      let candidate = cur;
      let selMl = bestMlen;
      let selOff = bestOff;
      for (;;) {
        const nextMl = mlenAt[candidate];
        const nextOff = offAt[candidate];
        mlenAt[candidate] = selMl;
        offAt[candidate] = selOff;
        selMl = nextMl;
        selOff = nextOff;
        if (nextMl > candidate) break;
        candidate -= nextMl;
      }

      // Encode the path.
      for (let r = 0; r < lastMatchPos;) {
        const ml = mlenAt[r];
        if (ml === 1) {
          ip++;
          r++;
          continue;
        }
        r += ml;
        const ref = ip - offAt[r - ml];
        const saved = op;
        if (!encode(ml, ref, fill)) return destOverflow(saved, ml, ref);
      }
    }
    return lastLiterals();
  }
}
