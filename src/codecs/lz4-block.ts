/**
 * A raw LZ4 block decoder (no frame) that produces exactly `outSize` bytes:
 * every literal run and match is checked against the input and the output
 * before it is copied, so hostile input costs at most `outSize` bytes of
 * memory and one pass over the input. File systems (EROFS) store raw blocks
 * whose decoded size they know; `lz4-napi` only decodes frames and blocks
 * with a size prefix.
 */
import { CodecError } from './errors';

export interface Lz4BlockOptions {
  /**
   * Stop once `outSize` bytes are out, even mid-sequence, and ignore the
   * rest of the input (EROFS pclusters without zero padding may carry
   * trailing bytes after the block).
   */
  partial?: boolean;
}

/** Decodes one raw LZ4 block into exactly `outSize` bytes, or throws CodecError. */
export function lz4BlockDecode(input: Uint8Array, outSize: number, opts: Lz4BlockOptions = {}): Buffer {
  const out = Buffer.alloc(outSize);
  let ip = 0;
  let op = 0;
  const inEnd = input.length;
  const fail = (why: string): never => {
    throw new CodecError(`LZ4 block: ${why} (input byte ${ip}, output byte ${op} of ${outSize})`);
  };
  while (true) {
    if (ip >= inEnd) fail('the input ends before the output is complete');
    const token = input[ip++];
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= inEnd) fail('a literal length runs past the input');
        b = input[ip++];
        litLen += b;
        if (litLen > outSize) fail('a literal run longer than the output');
      } while (b === 255);
    }
    if (litLen > 0) {
      if (ip + litLen > inEnd) fail('a literal run runs past the input');
      if (op + litLen > outSize) {
        if (!opts.partial) fail('a literal run runs past the output');
        litLen = outSize - op;
      }
      out.set(input.subarray(ip, ip + litLen), op);
      ip += litLen;
      op += litLen;
    }
    if (op === outSize) {
      if (opts.partial || ip === inEnd) return out;
      fail('bytes follow the last literal run');
    }
    if (ip === inEnd) fail('the input ends before the output is complete');
    if (ip + 2 > inEnd) fail('a match offset runs past the input');
    const offset = input[ip] | (input[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op) fail(`a match offset ${offset} points before the output`);
    let matchLen = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= inEnd) fail('a match length runs past the input');
        b = input[ip++];
        matchLen += b;
        if (matchLen > outSize + 255) fail('a match longer than the output');
      } while (b === 255);
    }
    if (op + matchLen > outSize) {
      if (!opts.partial) fail('a match runs past the output');
      matchLen = outSize - op;
    }
    let from = op - offset;
    if (offset >= matchLen) {
      out.copyWithin(op, from, from + matchLen);
      op += matchLen;
    } else {
      for (const end = op + matchLen; op < end;) out[op++] = out[from++];
    }
    if (op === outSize && (opts.partial || ip === inEnd)) return out;
  }
}
