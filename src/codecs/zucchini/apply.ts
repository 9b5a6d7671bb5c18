/**
 * Applying Zucchini ensemble patches (our own code, after the steps of
 * Chromium's components/zucchini/zucchini_apply.cc): the old image's size
 * and CRC-32 are checked against the header; each element's new bytes are
 * made from its equivalences (old bytes copied) and extra data (the gaps
 * between them), then its raw deltas add a signed byte to single copied
 * bytes; last the new image's CRC-32 is checked.
 *
 * Elements of raw data (type NoOp) are applied completely. Executable
 * elements (ELF, DEX, Win32 PE, ZTF) also need their references (branch
 * targets, relocations, string indexes) corrected with a disassembler of
 * that format; romscope has none, so such an element is a ZucchiniError
 * naming its type, and the patch is not applied.
 */
import { brotliDecompressSync, crc32 } from 'node:zlib';
import { ZUCCHINI_MAX_BYTES, ZucchiniError, equivalences, exeTypeName, rawDeltas, readZucchiniHeader, readZucchiniPatch, type ZucchiniElement } from './patch';

export interface ZucchiniApplyOptions {
  /** Cap on the old and new images (default ZUCCHINI_MAX_BYTES); a patch declaring more is refused before anything is allocated. */
  maxBytes?: number;
  /** The new image's size the caller expects (an operation's target extents), checked against the header first. */
  newSize?: number;
}

const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;

function applyElement(old: Uint8Array, el: ZucchiniElement, out: Uint8Array): void {
  const what = `element ${el.index} (new bytes ${el.newOffset}-${el.newOffset + el.newLength})`;
  if (el.exeType !== 'NoOp') {
    throw new ZucchiniError(
      `Zucchini element of type ${exeTypeName(el.exeType)} is not applied: ${what} needs its references corrected by a disassembler of that format, which romscope does not have (it applies raw NoOp elements only)`,
    );
  }
  const src = old.subarray(el.oldOffset, el.oldOffset + el.oldLength);
  const dst = out.subarray(el.newOffset, el.newOffset + el.newLength);
  // Equivalences and the extra data between them (bounds and amounts were checked when the patch was read).
  let at = 0;
  let extra = 0;
  const fill = (n: number) => {
    dst.set(el.extraData.subarray(extra, extra + n), at);
    extra += n;
    at += n;
  };
  for (const e of equivalences(el)) {
    fill(e.dst - at);
    dst.set(src.subarray(e.src, e.src + e.length), at);
    at += e.length;
  }
  fill(dst.length - at);
  if (extra !== el.extraData.length) throw new ZucchiniError(`${what}: ${el.extraData.length - extra} bytes of extra data are left over`);
  // Raw deltas, walked with the equivalences: a copy offset counts the copied bytes of all equivalences in order.
  const eqs = equivalences(el);
  let eq = eqs.next();
  let base = 0;
  for (const [copyOffset, diff] of rawDeltas(el)) {
    while (!eq.done && base + eq.value.length <= copyOffset) {
      base += eq.value.length;
      eq = eqs.next();
    }
    if (eq.done) throw new ZucchiniError(`${what}: a raw delta at copy offset ${copyOffset} lies past the ${base} bytes its equivalences copy`);
    const p = eq.value.dst + (copyOffset - base);
    dst[p] = (dst[p] + diff) & 0xff;
  }
  // A raw element has no references: reference deltas would be left unread, which Zucchini refuses.
  if (el.referenceDelta.length) throw new ZucchiniError(`${what}: it carries ${el.referenceDelta.length} bytes of reference deltas, but a raw (NoOp) element has no references`);
}

/**
 * Applies an (uncompressed) ensemble patch to `old`. Throws ZucchiniError
 * when the patch does not decode, the old image is not the one it was made
 * for (size or CRC-32), an element is of an executable type, or the result
 * does not match the new image's CRC-32.
 */
export function applyZucchiniPatch(old: Uint8Array, patch: Uint8Array, opts: ZucchiniApplyOptions = {}): Buffer {
  const max = opts.maxBytes ?? ZUCCHINI_MAX_BYTES;
  const h = readZucchiniHeader(patch);
  if (h.oldSize > max || h.newSize > max) throw new ZucchiniError(`Zucchini patch declares an old image of ${h.oldSize} bytes and a new one of ${h.newSize}, more than the ${max} romscope patches`);
  if (opts.newSize !== undefined && h.newSize !== opts.newSize) throw new ZucchiniError(`Zucchini patch makes ${h.newSize} bytes, but its target holds ${opts.newSize}`);
  if (old.length !== h.oldSize) throw new ZucchiniError(`Zucchini patch was made for an old image of ${h.oldSize} bytes; the source is ${old.length}`);
  const oldCrc = crc32(old) >>> 0;
  if (oldCrc !== h.oldCrc) throw new ZucchiniError(`the source is not the old image the Zucchini patch was made for: its CRC-32 is ${hex(oldCrc)}, the patch says ${hex(h.oldCrc)}`);
  const { elements } = readZucchiniPatch(patch);
  const out = Buffer.alloc(h.newSize);
  for (const el of elements) applyElement(old, el, out);
  const newCrc = crc32(out) >>> 0;
  if (newCrc !== h.newCrc) throw new ZucchiniError(`the patched image's CRC-32 is ${hex(newCrc)}, the Zucchini patch says ${hex(h.newCrc)}`);
  return out;
}

/**
 * Decodes the brotli stream update_engine and puffin wrap Zucchini patches
 * in (payload ZUCCHINI operations, puffin patches of type ZUCCHINI), at most
 * `max` bytes of it.
 */
export function brotliZucchiniPatch(data: Uint8Array, max = ZUCCHINI_MAX_BYTES): Buffer {
  try {
    return brotliDecompressSync(data, { maxOutputLength: max });
  } catch (e) {
    const why = (e as Error).message;
    if (e instanceof RangeError || /larger than|too large|maxOutputLength/i.test(why)) throw new ZucchiniError(`the brotli-compressed Zucchini patch decodes to more than ${max} bytes`);
    throw new ZucchiniError(`the Zucchini patch is not a brotli stream (${why}); update_engine and puffin write it brotli-compressed`);
  }
}

/** A brotli-compressed Zucchini patch (a payload's ZUCCHINI operation) applied to `old`. */
export function applyCompressedZucchiniPatch(old: Uint8Array, data: Uint8Array, opts: ZucchiniApplyOptions = {}): Buffer {
  return applyZucchiniPatch(old, brotliZucchiniPatch(data, opts.maxBytes ?? ZUCCHINI_MAX_BYTES), opts);
}
