/**
 * Whole puffed streams, as puffin's PuffinStream and FindPuffLocations build
 * them (our own code): the data with each deflate extent replaced by its puff.
 *
 * Bytes between deflates are copied. A byte shared by a deflate and the bytes
 * around it is kept in the gap with the deflate's bits removed: the byte a
 * deflate starts in keeps only the bits before the deflate (masked), the byte a
 * deflate ends in keeps only the bits after it (shifted down); a byte between
 * two deflates that both touch it is masked, then shifted. When one deflate
 * ends exactly where the next starts, inside a byte, no gap byte is kept.
 */
import { BitWriter, type BitExtent, type ByteExtent, PuffinError } from './deflate';
import { huffDeflate } from './huffer';
import { PuffWriter, puffDeflate } from './puffer';

/** Checks extents are sorted, non-overlapping and inside `bits` bits. */
export function checkDeflates(deflates: readonly BitExtent[], bits: number, what: string): void {
  let end = 0;
  for (const [i, d] of deflates.entries()) {
    if (!Number.isSafeInteger(d.offset) || !Number.isSafeInteger(d.length) || d.offset < 0 || d.length < 0) throw new PuffinError(`${what} deflate ${i}: extent ${d.offset}+${d.length} bits`);
    if (d.offset < end) throw new PuffinError(`${what} deflate ${i} at bit ${d.offset} overlaps or precedes the one before it`);
    end = d.offset + d.length;
    if (end > bits) throw new PuffinError(`${what} deflate ${i} ends at bit ${end}, past the ${bits} bits of the data`);
  }
}

/** Gap bytes kept before deflate `i`, given where the previous one ended (`prevEnd`, 0 for the first). */
function gapBytes(deflates: readonly BitExtent[], i: number, prevEnd: number): number {
  const off = deflates[i].offset;
  if (i > 0 && prevEnd === off && off % 8 !== 0) return 0;
  return Math.ceil(off / 8) - Math.floor(prevEnd / 8);
}

/**
 * Puffs every deflate extent of `data`: the puffed stream and where each puff
 * lies in it. Throws PuffinError when an extent is not exactly one run of
 * deflate blocks or the puffed stream would pass `maxBytes`.
 */
export function puffStream(data: Uint8Array, deflates: readonly BitExtent[], maxBytes: number): { puffed: Buffer; puffs: ByteExtent[] } {
  checkDeflates(deflates, data.length * 8, 'source');
  const pw = new PuffWriter(maxBytes);
  const parts: Buffer[] = [];
  let total = 0;
  const add = (b: Uint8Array): void => {
    total += b.length;
    if (total > maxBytes) throw new PuffinError(`puffed data would pass the limit of ${maxBytes} bytes`);
    parts.push(Buffer.from(b.buffer, b.byteOffset, b.length));
  };
  const puffs: ByteExtent[] = [];
  let cur = 0;
  for (let i = 0; i < deflates.length; i++) {
    const d = deflates[i];
    const n = gapBytes(deflates, i, cur);
    if (n > 0) {
      const first = Math.floor(cur / 8);
      const gap = Buffer.from(data.subarray(first, first + n));
      if (d.offset % 8) gap[n - 1] &= (1 << (d.offset % 8)) - 1;
      gap[0] >>= cur % 8;
      add(gap);
    }
    const end = d.offset + d.length;
    const stop = puffDeflate(data, d.offset, Math.ceil(end / 8) * 8, pw);
    if (stop !== end) throw new PuffinError(`deflate ${i} at bit ${d.offset}: its blocks end at bit ${stop}, not at bit ${end} as its extent says`);
    const puff = pw.finish();
    puffs.push({ offset: total, length: puff.length });
    add(puff);
    pw.reset(maxBytes - total);
    cur = end;
  }
  const first = Math.floor(cur / 8);
  if (first < data.length) {
    const tail = Buffer.from(data.subarray(first));
    tail[0] >>= cur % 8;
    add(tail);
  }
  return { puffed: Buffer.concat(parts, total), puffs };
}

/**
 * Huffs a puffed stream back: `puffs[i]` becomes the deflate bits of
 * `deflates[i]`, the gap and tail bytes go back around them. Throws
 * PuffinError when the extents do not fit together, the output would pass
 * `maxBytes`, or a puff does not re-encode to exactly its deflate extent.
 */
export function huffStream(puffed: Uint8Array, deflates: readonly BitExtent[], puffs: readonly ByteExtent[], maxBytes: number): Buffer {
  if (deflates.length !== puffs.length) throw new PuffinError(`${deflates.length} deflate extents but ${puffs.length} puff extents`);
  // The size of the deflate data follows from the extents: the bytes up to the last deflate's last byte, then the tail.
  let size = puffed.length;
  if (deflates.length) {
    const last = deflates[deflates.length - 1];
    const lastPuff = puffs[puffs.length - 1];
    const lastEnd = last.offset + last.length;
    const tail = puffed.length - (lastPuff.offset + lastPuff.length);
    if (tail < 0) throw new PuffinError(`the last puff ends at byte ${lastPuff.offset + lastPuff.length}, past the ${puffed.length} puffed bytes`);
    if (lastEnd % 8 && tail === 0) throw new PuffinError('the last deflate ends inside a byte but no byte follows its puff');
    size = Math.floor(lastEnd / 8) + tail;
  }
  if (size > maxBytes) throw new PuffinError(`deflate data of ${size} bytes would pass the limit of ${maxBytes} bytes`);
  checkDeflates(deflates, size * 8, 'target');
  const out = Buffer.alloc(size);
  const bw = new BitWriter(out, 0, size * 8);
  let cur = 0;
  let p = 0;
  const gapByte = (k: number, lo: number, hi: number): void => {
    const g = puffed[p++];
    if (g >> (hi - lo)) throw new PuffinError(`gap byte at puffed offset ${p - 1} has bits set where deflate ${k} lies`);
    bw.write(hi - lo, g);
  };
  for (let i = 0; i < deflates.length; i++) {
    const d = deflates[i];
    const pf = puffs[i];
    if (!Number.isSafeInteger(pf.offset) || !Number.isSafeInteger(pf.length) || pf.offset < 0 || pf.length < 0) throw new PuffinError(`puff ${i}: extent ${pf.offset}+${pf.length}`);
    const n = gapBytes(deflates, i, cur);
    if (pf.offset - p !== n) throw new PuffinError(`puff ${i} starts at byte ${pf.offset}; the deflate extents put it at byte ${p + n}`);
    if (pf.offset + pf.length > puffed.length) throw new PuffinError(`puff ${i} ends at byte ${pf.offset + pf.length}, past the ${puffed.length} puffed bytes`);
    for (let k = 0; k < n; k++) {
      const lo = k === 0 ? cur % 8 : 0;
      const hi = k === n - 1 && d.offset % 8 ? d.offset % 8 : 8;
      gapByte(i, lo, hi);
    }
    if (bw.pos !== d.offset) throw new PuffinError(`deflate ${i} starts at bit ${d.offset}, but the data before it ends at bit ${bw.pos}`);
    const end = d.offset + d.length;
    const w = new BitWriter(out, d.offset, end);
    try {
      huffDeflate(puffed, pf.offset, pf.offset + pf.length, w);
    } catch (e) {
      if (e instanceof PuffinError) throw new PuffinError(`puff ${i} does not re-encode: ${e.message}`, { cause: e });
      throw e;
    }
    if (w.pos !== end) throw new PuffinError(`puff ${i} re-encodes to ${w.pos - d.offset} bits, not the ${d.length} bits of its deflate extent`);
    bw.pos = end;
    p = pf.offset + pf.length;
    cur = end;
  }
  if (p < puffed.length) {
    gapByte(deflates.length, cur % 8, 8);
    const rest = puffed.subarray(p);
    out.set(rest, bw.pos >>> 3);
    bw.pos += rest.length * 8;
  }
  if (bw.pos !== size * 8) throw new PuffinError(`re-encoded data is ${bw.pos >>> 3} bytes, not ${size}`);
  return out;
}
