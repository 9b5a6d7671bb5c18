/**
 * Any partition image may end in an AVB footer (FORMATS.md §5.7): boot and
 * vendor_boot images, dtbo, system, vendor, logical partitions, the expanded
 * view of a sparse image. Whatever the image's own format, its footer
 * becomes the child `avb_footer` and the vbmeta blob the footer points at
 * becomes the child `vbmeta` (format avb-vbmeta).
 *
 * When the image can be read at random (a file, a stored member, a sparse
 * image's `raw`, a logical partition) the vbmeta is read before the image is
 * hashed, and the hash or hashtree descriptor it holds for the image itself
 * is computed in the same single pass (range taps), its result becoming a
 * fact on the `vbmeta` child. A streamed image (a deflated member, the output
 * of a decompressor) only shows its footer at its end: the walk keeps the
 * last 64 bytes, and the AVB cross-check (src/formats/avb-vbmeta/cross-check.ts)
 * reads its vbmeta afterwards. The `avb_footer` child carries the parsed
 * footer as its typed model (FooterModel) for that check.
 */
import { BufferSource, SliceSource, type RandomSource } from '../../io/source';
import type { RangeTap } from '../../io/digest-set';
import { LIMITS } from '../../io/limits';
import { modelOf, withModel, type Artifact, type Fact } from '../../report/model';
import type { ChildSpec, TrailerHook } from '../types';
import { looksLikeVbmeta, parseVbmeta } from '../avb-vbmeta/parse';
import { digestUnsupported, startComputation } from '../avb-vbmeta/digest';
import { digestFact, expectedDigest, isDigestDescriptor, shortImageFact, type DigestDescriptor } from '../avb-vbmeta/check';

export const AVB_FOOTER_SIZE = 64;
export const AVB_FOOTER_MAGIC = 'AVBf';
/** libavb reads at most this much vbmeta through a footer (VBMETA_MAX_SIZE in avb_slot_verify.c). */
export const VBMETA_MAX_SIZE = 64 * 1024;

export interface AvbFooter {
  major: number;
  minor: number;
  originalImageSize: bigint;
  vbmetaOffset: bigint;
  vbmetaSize: bigint;
}

/** The typed model of an `avb_footer` child (report/model.ts MODEL), put there by the image that ends in it. */
export interface FooterModel extends AvbFooter {
  kind: 'avb-footer';
}

/** The parsed footer of an `avb_footer` artifact, or null. */
export function footerModel(a: Artifact): FooterModel | null {
  const m = modelOf(a) as FooterModel | undefined;
  return m?.kind === 'avb-footer' ? m : null;
}

function footerInfo(f: AvbFooter): Record<string, unknown> {
  return withModel({}, { kind: 'avb-footer', ...f } satisfies FooterModel);
}

export function isFooter(b: Buffer): boolean {
  return b.length === AVB_FOOTER_SIZE && b.toString('latin1', 0, 4) === AVB_FOOTER_MAGIC;
}

export function parseFooter(b: Buffer): AvbFooter {
  return {
    major: b.readUInt32BE(4),
    minor: b.readUInt32BE(8),
    originalImageSize: b.readBigUInt64BE(12),
    vbmetaOffset: b.readBigUInt64BE(20),
    vbmetaSize: b.readBigUInt64BE(28),
  };
}

/** Checks of §5.7 that need only the 64 footer bytes (the avb-footer document makes these). */
export function footerProblems(f: AvbFooter): { message: string; offset: number }[] {
  const out: { message: string; offset: number }[] = [];
  if (f.major > 1) out.push({ message: `footer version ${f.major}.${f.minor}; libavb reads version 1 only`, offset: 4 });
  if (f.originalImageSize > f.vbmetaOffset) out.push({ message: `original image size ${f.originalImageSize} runs past the vbmeta offset ${f.vbmetaOffset}`, offset: 12 });
  if (f.vbmetaSize < 256n) out.push({ message: `vbmeta size ${f.vbmetaSize} is smaller than a vbmeta header (256 bytes)`, offset: 28 });
  else if (f.vbmetaSize > BigInt(VBMETA_MAX_SIZE)) out.push({ message: `vbmeta size ${f.vbmetaSize} is over the ${VBMETA_MAX_SIZE} bytes libavb reads through a footer`, offset: 28 });
  return out;
}

/** The check that needs the image the footer ends: its vbmeta blob must lie before the footer. */
function placementFacts(f: AvbFooter, imageSize: number): Fact[] {
  if (f.vbmetaOffset + f.vbmetaSize <= BigInt(Math.max(0, imageSize - AVB_FOOTER_SIZE))) return [];
  return [{ kind: 'avb-invalid', message: `the vbmeta blob (${f.vbmetaSize} bytes at offset ${f.vbmetaOffset}) does not end before the footer (the image is ${imageSize} bytes)`, offset: 20 }];
}

/** Where the vbmeta blob is, when the footer can be followed: inside the image, of a size romscope decodes. */
export function vbmetaRange(f: AvbFooter, imageSize: number): { offset: number; size: number } | null {
  const end = f.vbmetaOffset + f.vbmetaSize;
  if (f.major > 1 || f.vbmetaSize < 256n || f.vbmetaSize > BigInt(LIMITS.maxTextBytes) || end > BigInt(imageSize - AVB_FOOTER_SIZE)) return null;
  return { offset: Number(f.vbmetaOffset), size: Number(f.vbmetaSize) };
}

/** `boot`, `system` from `boot.img`, `images/system_a.img`, `system_a`. */
function partitionStem(name: string): string {
  const base = name.split('/').pop() ?? name;
  return base
    .replace(/#\d+$/, '')
    .replace(/\.(img|bin|elf|mbn)$/i, '')
    .replace(/_[ab]$/, '');
}

/**
 * The descriptors of an image's own vbmeta that describe the image itself:
 * the one hash or hashtree descriptor avbtool add_*_footer writes, or, when
 * there are several (descriptors included from other images), those named
 * after the image.
 */
export function ownDescriptors(descriptors: DigestDescriptor[], imageName: string): DigestDescriptor[] {
  if (descriptors.length === 1) return descriptors;
  const stem = partitionStem(imageName);
  return descriptors.filter((d) => d.partition === stem);
}

export interface FooterChildren {
  children: ChildSpec[];
  /** Digests of the image itself for its own vbmeta's descriptors, computed in the image's hashing pass. */
  taps: RangeTap[];
}

/** The footer of a random-access image, its vbmeta, and taps checking the image against it; null without a footer. */
export async function footerChildren(src: RandomSource): Promise<FooterChildren | null> {
  // The smallest footer image: a vbmeta header and the footer.
  if (src.size < AVB_FOOTER_SIZE + 256) return null;
  const tail = await src.read(src.size - AVB_FOOTER_SIZE, AVB_FOOTER_SIZE);
  if (!isFooter(tail)) return null;
  const f = parseFooter(tail);
  const children: ChildSpec[] = [{ name: 'avb_footer', source: new SliceSource(src, src.size - AVB_FOOTER_SIZE, AVB_FOOTER_SIZE, 'avb_footer'), facts: placementFacts(f, src.size), info: footerInfo(f) }];
  const taps: RangeTap[] = [];
  const at = vbmetaRange(f, src.size);
  if (!at) return { children, taps };
  const bytes = await src.read(at.offset, at.size);
  // No vbmeta there: the post-walk step, which looks at every footer without a vbmeta, says so.
  if (!looksLikeVbmeta(bytes)) return { children, taps };
  const facts: Fact[] = [];
  children.push({ name: 'vbmeta', source: new SliceSource(src, at.offset, at.size, 'vbmeta'), facts });
  const v = parseVbmeta(bytes);
  if (!v) return { children, taps };
  const image = 'the image this vbmeta is the footer of';
  for (const d of ownDescriptors(v.descriptors.filter(isDigestDescriptor), src.name)) {
    if (expectedDigest(d).length === 0) continue; // a persistent digest lives on the device
    const why = digestUnsupported(d);
    if (why) {
      facts.push({ kind: 'unsupported', message: `the ${d.type} descriptor for "${d.partition}" is not checked: ${why}`, offset: d.offset });
      continue;
    }
    if (d.imageSize > BigInt(src.size)) {
      facts.push(shortImageFact(d, src.size, image, { own: true }));
      continue;
    }
    const c = startComputation(d);
    taps.push({ start: 0, end: Number(d.imageSize), update: (b) => c.update(b), done: () => void facts.push(digestFact(d, c.finish(), image, { own: true })) });
  }
  return { children, taps };
}

/** The footer of a streamed image, from the last 64 bytes the walk kept: the vbmeta is read after the walk. */
export function streamedFooterChildren(tail: Buffer, imageSize: number): ChildSpec[] {
  if (!isFooter(tail)) return [];
  const f = parseFooter(tail);
  return [{ name: 'avb_footer', source: new BufferSource(Buffer.from(tail), 'avb_footer'), facts: placementFacts(f, imageSize), info: footerInfo(f) }];
}

/** Any partition image may end in an AVB footer, whatever its format (FORMATS.md §5.7). */
export const avbFooterTrailer: TrailerHook = {
  id: 'avb-footer',
  tailBytes: AVB_FOOTER_SIZE,
  childNames: ['avb_footer', 'vbmeta'],
  random: footerChildren,
  streamed: streamedFooterChildren,
};
