/**
 * liblz4's `LZ4_compress_HC_destSize` for levels 1-9 (the hash-chain
 * parser; level 9, update_engine's and mkfs.erofs's LZ4HC default, adds
 * liblz4's repeated-pattern shortcut), byte for byte: a fresh state per
 * call (LZ4_initStreamHC zeroes the tables), 32 768 hash heads of 4 bytes,
 * 65 536 16-bit chain links, positions counted from 65 536.
 *
 * Written from the algorithm of lz4 1.9.4's lib/lz4hc.c (LZ4HC_Insert,
 * LZ4HC_InsertAndGetWiderMatch, LZ4HC_compress_hashChain with its
 * fillOutput end rules, LZ4HC_encodeSequence). Levels 10-12 (the optimal
 * parser) are not reproduced. Checked against Debian's liblz4
 * (test/formats/ota-delta-lz4diff.test.ts).
 */
import { destSizeWindow, type Lz4DestSizeResult } from './lz4-block-compress';

const MINMATCH = 4;
const MFLIMIT = 12;
const LASTLITERALS = 5;
const RUN_MASK = 15;
const ML_MASK = 15;
const OPTIMAL_ML = ML_MASK - 1 + MINMATCH;
const MAX_DISTANCE = 65535;
const HASH_LOG = 15;
const PREFIX = 65536; // index of the first input byte (LZ4HC_init_internal's starting offset)
const NB_SEARCHES = [2, 2, 2, 4, 8, 16, 32, 64, 128, 256];

/** The LZ4HC levels romscope reproduces (after liblz4's mapping of levels below 1 to 9). */
export function lz4hcLevelSupported(level: number): boolean {
  const l = level < 1 ? 9 : level;
  return l <= 9;
}

/** `LZ4_compress_HC_destSize(state, src, dst, &srcSize, targetSize, level)` of liblz4 1.9.4, levels 1-9 (below 1: 9). */
export function lz4hcCompressDestSize(src: Uint8Array, targetSize: number, level: number): Lz4DestSizeResult {
  const lvl = level < 1 ? 9 : level;
  if (lvl > 9) throw new RangeError(`LZ4HC level ${level} is not reproduced`);
  const maxNbAttempts = NB_SEARCHES[lvl];
  const patternAnalysis = maxNbAttempts > 128;
  if (targetSize < 1) return { block: Buffer.alloc(0), consumed: 0 };
  src = src.subarray(0, destSizeWindow(targetSize)); // what lies past it changes no output byte (see destSizeWindow)
  const n = src.length;
  const out = Buffer.alloc(targetSize);
  const hashTable = new Int32Array(1 << HASH_LOG);
  const chain = new Uint16Array(65536);
  let nextToUpdate = PREFIX;

  // Indexes: input byte i is index i + PREFIX.
  const at = (idx: number): number => src[idx - PREFIX];
  const read32 = (idx: number): number => {
    const p = idx - PREFIX;
    return (src[p] | (src[p + 1] << 8) | (src[p + 2] << 16) | (src[p + 3] << 24)) >>> 0;
  };
  const read16 = (idx: number): number => {
    const p = idx - PREFIX;
    return src[p] | (src[p + 1] << 8);
  };
  const hashAt = (idx: number): number => Math.imul(read32(idx), -1640531535) >>> (32 - HASH_LOG);
  const count = (a: number, b: number, limit: number): number => {
    const s = a;
    while (a < limit && at(a) === at(b)) {
      a++;
      b++;
    }
    return a - s;
  };
  const insert = (target: number): void => {
    for (let idx = nextToUpdate; idx < target; idx++) {
      const h = hashAt(idx);
      let delta = idx - hashTable[h];
      if (delta > MAX_DISTANCE) delta = MAX_DISTANCE;
      chain[idx & 0xffff] = delta;
      hashTable[h] = idx;
    }
    if (target > nextToUpdate) nextToUpdate = target;
  };
  const patternByte = (pattern: number, k: number): number => (pattern >>> (8 * (k & 3))) & 0xff;
  const countPattern = (ip: number, iEnd: number, pattern: number): number => {
    let k = 0;
    while (ip + k < iEnd && at(ip + k) === patternByte(pattern, k)) k++;
    return k;
  };
  const reverseCountPattern = (ip: number, iLow: number, pattern: number): number => {
    const start = ip;
    while (ip >= iLow + 4 && read32(ip - 4) === pattern) ip -= 4;
    let b = 3;
    while (ip > iLow && b >= 0 && at(ip - 1) === patternByte(pattern, b)) {
      ip--;
      b--;
    }
    return start - ip;
  };
  const protectDictEnd = (matchIndex: number): boolean => (PREFIX - 1 - matchIndex) >>> 0 >= 3;

  /** LZ4HC_InsertAndGetWiderMatch without a dictionary or chain swap: [longest, matchpos, startpos]. */
  const widerMatch = (ip: number, iLowLimit: number, iHighLimit: number, longest: number): [number, number, number] => {
    let matchpos = 0;
    let startpos = 0;
    const lowestMatchIndex = PREFIX + MAX_DISTANCE + 1 > ip ? PREFIX : ip - MAX_DISTANCE;
    const lookBackLength = ip - iLowLimit;
    let nbAttempts = maxNbAttempts;
    const pattern = read32(ip);
    let repeat = 0; // 0 untested, 1 not, 2 confirmed
    let srcPatternLength = 0;
    insert(ip);
    let matchIndex = hashTable[hashAt(ip)];
    while (matchIndex >= lowestMatchIndex && nbAttempts > 0) {
      nbAttempts--;
      const matchPtr = matchIndex;
      if (read16(iLowLimit + longest - 1) === read16(matchPtr - lookBackLength + longest - 1) && read32(matchPtr) === pattern) {
        let back = 0;
        if (lookBackLength) {
          const min = Math.max(iLowLimit - ip, PREFIX - matchPtr);
          while (back > min && at(ip + back - 1) === at(matchPtr + back - 1)) back--;
        }
        let matchLength = MINMATCH + count(ip + MINMATCH, matchPtr + MINMATCH, iHighLimit);
        matchLength -= back;
        if (matchLength > longest) {
          longest = matchLength;
          matchpos = matchPtr + back;
          startpos = ip + back;
        }
      }
      const distNextMatch = chain[matchIndex & 0xffff];
      if (patternAnalysis && distNextMatch === 1) {
        const matchCandidateIdx = matchIndex - 1;
        if (repeat === 0) {
          if ((pattern & 0xffff) === pattern >>> 16 && (pattern & 0xff) === pattern >>> 24) {
            repeat = 2;
            srcPatternLength = countPattern(ip + 4, iHighLimit, pattern) + 4;
          } else {
            repeat = 1;
          }
        }
        if (repeat === 2 && matchCandidateIdx >= lowestMatchIndex && protectDictEnd(matchCandidateIdx)) {
          const mp = matchCandidateIdx;
          if (read32(mp) === pattern) {
            const forwardPatternLength = countPattern(mp + 4, iHighLimit, pattern) + 4;
            let backLength = reverseCountPattern(mp, PREFIX, pattern);
            backLength = matchCandidateIdx - Math.max(matchCandidateIdx - backLength, lowestMatchIndex);
            const currentSegmentLength = backLength + forwardPatternLength;
            if (currentSegmentLength >= srcPatternLength && forwardPatternLength <= srcPatternLength) {
              const newMatchIndex = matchCandidateIdx + forwardPatternLength - srcPatternLength;
              matchIndex = protectDictEnd(newMatchIndex) ? newMatchIndex : PREFIX;
            } else {
              const newMatchIndex = matchCandidateIdx - backLength;
              if (!protectDictEnd(newMatchIndex)) {
                matchIndex = PREFIX;
              } else {
                matchIndex = newMatchIndex;
                if (lookBackLength === 0) {
                  const maxML = Math.min(currentSegmentLength, srcPatternLength);
                  if (longest < maxML) {
                    if (ip - matchIndex > MAX_DISTANCE) break;
                    longest = maxML;
                    matchpos = matchIndex;
                    startpos = ip;
                  }
                  const distToNextPattern = chain[matchIndex & 0xffff];
                  if (distToNextPattern > matchIndex) break;
                  matchIndex -= distToNextPattern;
                }
              }
            }
            continue;
          }
        }
      }
      matchIndex -= chain[matchIndex & 0xffff];
    }
    return [longest, matchpos, startpos];
  };

  // LZ4HC_compress_hashChain, fillOutput.
  const source = PREFIX;
  let ip = source;
  let anchor = ip;
  const iend = ip + n;
  const mflimit = iend - MFLIMIT;
  const matchlimit = iend - LASTLITERALS;
  let op = 0;
  let optr = 0;
  let oend = targetSize - LASTLITERALS;
  let ml = 0;
  let ref = 0;
  let ml0: number;
  let ref0: number;
  let start0: number;
  let ml2 = 0;
  let ref2 = 0;
  let start2 = 0;
  let ml3: number;
  let ref3 = 0;
  let start3 = 0;

  /** LZ4HC_encodeSequence: false when the output limit is hit (nothing written). */
  const encode = (matchLength: number, match: number, limited: boolean): boolean => {
    const token = op;
    let o = op + 1;
    let length = ip - anchor;
    if (limited && o + Math.floor(length / 255) + length + 2 + 1 + LASTLITERALS > oend) return false;
    if (length >= RUN_MASK) {
      let len = length - RUN_MASK;
      out[token] = RUN_MASK << 4;
      for (; len >= 255; len -= 255) out[o++] = 255;
      out[o++] = len;
    } else {
      out[token] = length << 4;
    }
    out.set(src.subarray(anchor - PREFIX, ip - PREFIX), o);
    o += length;
    const offset = ip - match;
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    length = matchLength - MINMATCH;
    if (limited && o + Math.floor(length / 255) + 1 + LASTLITERALS > oend) return false;
    if (length >= ML_MASK) {
      out[token] += ML_MASK;
      length -= ML_MASK;
      for (; length >= 255; length -= 255) out[o++] = 255;
      out[o++] = length;
    } else {
      out[token] += length;
    }
    op = o;
    ip += matchLength;
    anchor = ip;
    return true;
  };

  const lastLiterals = (): Lz4DestSizeResult => {
    let lastRunSize = iend - anchor;
    let llAdd = Math.floor((lastRunSize + 255 - RUN_MASK) / 255);
    const totalSize = 1 + llAdd + lastRunSize;
    oend += LASTLITERALS;
    if (op + totalSize > oend) {
      lastRunSize = oend - op - 1;
      llAdd = Math.floor((lastRunSize + 256 - RUN_MASK) / 256);
      lastRunSize -= llAdd;
    }
    ip = anchor + lastRunSize;
    if (lastRunSize >= RUN_MASK) {
      let acc = lastRunSize - RUN_MASK;
      out[op++] = RUN_MASK << 4;
      for (; acc >= 255; acc -= 255) out[op++] = 255;
      out[op++] = acc;
    } else {
      out[op++] = lastRunSize << 4;
    }
    out.set(src.subarray(anchor - PREFIX, anchor - PREFIX + lastRunSize), op);
    op += lastRunSize;
    return { block: out.subarray(0, op), consumed: ip - source };
  };

  const destOverflow = (): Lz4DestSizeResult => {
    const ll = ip - anchor;
    const llTotalCost = 1 + Math.floor((ll + 240) / 255) + ll;
    const maxLitPos = oend - 3;
    op = optr;
    if (op + llTotalCost <= maxLitPos) {
      const bytesLeftForMl = maxLitPos - (op + llTotalCost);
      const maxMlSize = MINMATCH + (ML_MASK - 1) + bytesLeftForMl * 255;
      if (ml > maxMlSize) ml = maxMlSize;
      if (oend + LASTLITERALS - (op + llTotalCost + 2) - 1 + ml >= MFLIMIT) encode(ml, ref, false);
    }
    return lastLiterals();
  };

  if (n < MFLIMIT + 1) return lastLiterals();

  main: while (ip <= mflimit) {
    [ml, ref] = widerMatch(ip, ip, matchlimit, MINMATCH - 1);
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
        if (ip + ml <= mflimit) [ml2, ref2, start2] = widerMatch(ip + ml - 2, ip, matchlimit, ml);
        else ml2 = ml;
        if (ml2 === ml) {
          optr = op;
          if (!encode(ml, ref, true)) return destOverflow();
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
      if (start2 + ml2 <= mflimit) [ml3, ref3, start3] = widerMatch(start2 + ml2 - 3, start2, matchlimit, ml2);
      else ml3 = ml2;
      if (ml3 === ml2) {
        if (start2 < ip + ml) ml = start2 - ip;
        optr = op;
        if (!encode(ml, ref, true)) return destOverflow();
        ip = start2;
        optr = op;
        if (!encode(ml2, ref2, true)) {
          ml = ml2;
          ref = ref2;
          return destOverflow();
        }
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
          if (!encode(ml, ref, true)) return destOverflow();
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
      if (!encode(ml, ref, true)) return destOverflow();
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
