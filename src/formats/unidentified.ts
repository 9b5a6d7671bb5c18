/**
 * Bytes romscope could not identify (format `data`, an `unidentified` fact
 * saying what they look like), judged against where they sit and what their
 * name promises: for the rule `format/not-firmware` and for the summary's
 * count of package members that were not understood.
 */
import type { Artifact, Fact } from '../report/model';
import type { Severity } from '../report/model';
import { traitsOf } from './registry';
import { baseName } from './text';
import type { ContentKind } from './sniff';
import { factSpec, isFactKind } from '../facts';

/**
 * What a name says the bytes are. `strict`: a format with a signature of its
 * own, so any other bytes are wrong; `image`: an Android partition image,
 * which is never text or empty (but vendors ship their own binary formats
 * under these names); neither: a generic firmware name (`.img`, `.bin`).
 */
export interface NamePromise {
  what: string;
  strict: boolean;
  image?: boolean;
}

const STRICT: [RegExp, string][] = [
  [/\.tar\.md5$/i, 'an Odin .tar.md5 archive'],
  [/\.(zip|apk)$/i, 'a zip'],
  [/\.tar$/i, 'a tar archive'],
  [/\.(tgz|gz)$/i, 'a gzip stream'],
  [/\.lz4$/i, 'an LZ4 stream'],
  [/\.xz$/i, 'an xz stream'],
  [/\.(zst|zstd)$/i, 'a Zstandard stream'],
  [/\.bz2$/i, 'a bzip2 stream'],
  [/\.md5$/i, 'an Odin archive or an md5 checksum list'],
  [/^payload\.bin$/i, 'an A/B OTA payload'],
  [/^(super|super_empty)(_[ab])?\.img$/i, 'a super (dynamic partitions) image'],
  [/^vbmeta[a-z0-9_]*\.img$/i, 'an AVB vbmeta image'],
];

/** Partition images that are usually sparse, boot or file-system images, but vendors also ship in formats of their own. */
const IMAGE = /\.(img|bin|mbn|elf|ext4|dat|raw)$/i;
const BOOT = /^(boot|recovery|vendor_boot|init_boot|vendor_kernel_boot)(_[ab])?\.img$/i;
const SPARSE = /^(system|system_ext|vendor|product|odm|userdata|cache|[a-z_]+_dlkm)(_[ab])?\.img$/i;

/** What the base name of `name` promises the bytes are, if anything. */
export function namePromise(name: string): NamePromise | null {
  const base = baseName(name);
  for (const [re, what] of STRICT) if (re.test(base)) return { what, strict: true };
  if (BOOT.test(base)) return { what: 'an Android boot image', strict: false, image: true };
  if (SPARSE.test(base)) return { what: 'a partition image', strict: false, image: true };
  if (IMAGE.test(base)) return { what: 'a firmware image', strict: false };
  return null;
}

/**
 * Vendor firmware that packages ship as blobs romscope knows by name but does
 * not decode (basebands, TrustZone, bootloaders, DSP images...): binary data
 * under such a name is what is expected, not something romscope failed to
 * understand. Matched on the base name without its extension.
 */
const KNOWN_BLOBS =
  /^(non-hlos|modem|md1img|md1dsp|md1rom|md3img|spmfw|sspm|scp|mcupm|dpm|gz|tee\d?|lk\d?|preloader[a-z0-9_]*|tz|xbl[a-z0-9_]*|abl|aop|hyp|devcfg|keymaster\d*|km4\d*|cmnlib(64)?|dspso|dsp|adsp|cdsp|bluetooth|btfm|qupfw|uefisecapp|imagefv|storsec|multi_image|sbl1|rpm|emmc_appsboot|sboot|cm|param|up_param|keystorage|uh|logo|splash|efuse|cam_vpu\d|tzsw|ldfw|ssp|persist|fsg|mdtp|apdp|msadp|dip|featenabler|rtice|shrm|cpucp|xbl_config|oem_misc\d*|exaid|gsort)$/i;

export function isKnownBlob(name: string): boolean {
  return KNOWN_BLOBS.test(
    baseName(name)
      .replace(/\.[^.]*$/, '')
      .replace(/_[ab]$/i, ''),
  );
}

/** JAR signature files of a signed zip: its signature check reads them. */
const JAR_SIGNATURE = /^META-INF\/([^/]+\.(SF|RSA|DSA|EC)|MANIFEST\.MF)$/i;

/** Where an unidentified artifact sits: the input itself, a member of a package, or something else (a file of a ramdisk, a partition of a table, a section of a boot image). */
export type Place = 'input' | 'member' | 'other';

/** The place of every artifact of the tree: what a compression layer decodes is a member, unless the layer is inside something that is no package. */
export function places(root: Artifact): Map<Artifact, { place: Place; parent: Artifact | null }> {
  const out = new Map<Artifact, { place: Place; parent: Artifact | null }>();
  const visit = (a: Artifact, place: Place, parent: Artifact | null) => {
    out.set(a, { place, parent });
    const role = traitsOf(a.format)?.role;
    // What a compressed input decodes to is judged as a member: the input itself was identified.
    for (const c of a.children) visit(c, role === 'compression' ? (place === 'other' ? 'other' : 'member') : role === 'archive' ? 'member' : 'other', a);
  };
  visit(root, 'input', null);
  return out;
}

export interface Unidentified {
  artifact: Artifact;
  content: ContentKind;
  description: string;
  place: Place;
  parent: Artifact | null;
}

/** A fact saying a stream's bytes were not all decoded. */
function undecoded(f: Fact): boolean {
  return f.kind === 'unsupported' || (isFactKind(f.kind) && factSpec(f.kind).badBytes === true);
}

/** Every artifact in no known format, with what it looks like and where it sits. */
export function unidentified(root: Artifact): Unidentified[] {
  const out: Unidentified[] = [];
  for (const [artifact, { place, parent }] of places(root)) {
    if (artifact.format !== 'data' || artifact.children.length > 0) continue;
    // Bytes that could not all be decoded (a stream romscope could not decompress) say nothing about what they are: that has its own finding.
    if (artifact.info.incomplete === true || (parent && traitsOf(parent.format)?.role === 'compression' && parent.facts.some(undecoded))) continue;
    const f: Fact | undefined = artifact.facts.find((x) => x.kind === 'unidentified');
    if (!f) continue;
    out.push({ artifact, content: f.content as ContentKind, description: f.message, place, parent });
  }
  return out;
}

/** Contents that can never be a firmware image, whatever the name: what a failed download leaves. */
const NOT_AN_IMAGE: readonly ContentKind[] = ['empty', 'lfs-pointer', 'html', 'xml', 'json', 'pem', 'text', 'picture'];

/**
 * The finding `format/not-firmware` gives an unidentified artifact, if any:
 *
 * - the input: always; an error when its name promises a format with a
 *   signature (`.zip`, `.tar.md5`, `.lz4`, `payload.bin`, `super.img`,
 *   `vbmeta.img`...), or promises an Android partition image (`boot.img`,
 *   `system.img`...) and the bytes are no image at all (empty, text, an HTML
 *   page, a Git LFS pointer); a warning otherwise;
 * - a package member: an HTML page or a Git LFS pointer (what a broken
 *   download or an LFS clone leaves), an error under a name that promises a
 *   format, a warning otherwise; an empty member whose name promises
 *   something, or any empty member of an Odin archive, as a warning. Other
 *   members in no known format are counted in the summary instead
 *   (`notUnderstood`): vendors ship many formats romscope does not decode
 *   under image names;
 * - anything else (a ramdisk's files, partitions, boot image sections): none.
 */
export function judge(u: Unidentified): { severity: Severity; promise: NamePromise | null } | null {
  const promise = namePromise(u.artifact.name);
  const wrong = promise !== null && (promise.strict || (promise.image === true && NOT_AN_IMAGE.includes(u.content)));
  if (u.place === 'input') return { severity: wrong ? 'error' : 'warning', promise };
  if (u.place !== 'member') return null;
  if (u.content === 'empty') return promise || u.parent?.format === 'samsung-tar-md5' ? { severity: 'warning', promise } : null;
  if (u.content === 'html' || u.content === 'lfs-pointer') return { severity: wrong ? 'error' : 'warning', promise };
  return null;
}

/**
 * Whether a package member counts as "not understood" in the summary:
 * bytes in no known format that romscope cannot even name. Not counted:
 * empty members and blank (all-zero) images, pictures, programs (ELF),
 * JAR signature files (the zip's signature check reads them), and binary
 * vendor blobs known by name (`NON-HLOS.bin`, `tz.mbn`...).
 */
export function notUnderstood(u: Unidentified): boolean {
  if (u.place !== 'member') return false;
  if (u.content === 'empty' || u.content === 'zeros' || u.content === 'picture' || u.content === 'executable') return false;
  if (JAR_SIGNATURE.test(u.artifact.name)) return false;
  if (u.content === 'binary' && isKnownBlob(u.artifact.name)) return false;
  return true;
}
