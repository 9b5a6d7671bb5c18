import type { Source, RandomSource } from '../io/source';
import type { Budget } from '../io/limits';
import type { RangeDigest, RangeTap } from '../io/digest-set';
import type { ExpectedDigest, Fact } from '../report/model';
import type { TrustedKey } from '../crypto/keys';
import type { FormatId } from './ids';

/** What detection gets: the first bytes (never consumed), a name hint and the size if known. */
export interface DetectInput {
  peek: Buffer;
  name: string;
  size: number | null;
}

/** A child a decoder found: a new source with a name, plus digests it is expected to have. */
export interface ChildSpec {
  name: string;
  source: Source;
  expect?: ExpectedDigest[];
  /** Facts about the child known to the parent (an unsafe member name, a short member). */
  facts?: Fact[];
  /** Info the parent knows about the child (compression method, mode bits...). */
  info?: Record<string, unknown>;
  /** False when the child cannot be decoded at all (encrypted, unknown method): it is listed, not walked. */
  readable?: boolean;
  /**
   * False when the child is read, hashed and extractable but not opened as a
   * container or stream (a partition EDK2 would not expose: one lying over its
   * own partition table or over another partition, whose decoding would only
   * read the same table again). It keeps the format it is recognised as.
   */
  open?: boolean;
  /** Keys the container vouches for, to check the child's signatures with (an OTA package's otacert, for its payload.bin). */
  keys?: TrustedKey[];
  /** Where the member's stored (possibly compressed) bytes lie in its container, when they lie there plainly (zip members). */
  location?: MemberLocation;
  /** The build an incremental update in it applies to, as its package says (an OTA package's metadata, for its payload.bin). */
  baseBuild?: BaseBuild;
}

/** What an OTA package's metadata says of the build an incremental update applies to. */
export interface BaseBuild {
  /** `pre-build`: fingerprints. */
  preBuild?: string;
  /** `pre-build-incremental`: ro.build.version.incremental. */
  preBuildIncremental?: string;
  /** `pre-timestamp`: ro.build.date.utc, seconds. */
  preTimestamp?: string;
}

/** One partition image of the base build (`--base`), and where it was found. */
export interface BaseImage {
  source: RandomSource;
  /** Where in the base it was found ("base.zip/payload.bin/system.img", "images/system_a.img"). */
  path: string;
}

/**
 * The build an incremental payload is applied to (`--base`): a full OTA, a
 * factory package, a directory of images or a super image, searched for
 * partitions by name (src/pipeline/base.ts).
 */
export interface PartitionBase {
  /** The path given, for messages. */
  label: string;
  /** The image of a partition (`system` finds system.img, system_a.img, system...), or null when the base has none. */
  find(name: string): Promise<BaseImage | null>;
  /** What the search could not look inside (a container that did not decode, the member cap reached), for messages; empty when it saw everything. */
  unsearched?(): string[];
}

/** Where a member's data lies in its container, for checks that compare offsets (OTA property files). */
export interface MemberLocation {
  /** Offset of the member's (compressed) data in the container. */
  dataStart: number;
  /** Bytes the data takes in the container. */
  compressedSize: number;
  /** Container-specific compression method (zip: 0 stored, 8 deflated). */
  method: number;
}

export interface DecodeContext {
  budget: Budget;
  /** Records an observation on the artifact being decoded. */
  fact(f: Fact): void;
  /** Keys to check signatures with: the user's (`--key`, origin 'user'), then any the parent vouches for (origin 'package'). */
  keys?: readonly TrustedKey[];
  /**
   * `--no-hash`: only headers and directories are read. No hashing pass
   * follows the decode (range digests and taps are never fed), so a decoder
   * reads no more than its structure needs, says what it left unchecked, and
   * skips work that reads bulk data (a file system's tree scan).
   */
  headersOnly?: boolean;
  /**
   * A hashing pass will read every byte of this container's children (a
   * `check` or `inspect` with hashes, not `extract`): a child rebuilt on
   * demand may then decode ahead of its reads on threads that would sit
   * idle, since nothing it decodes is wasted.
   */
  readsAll?: boolean;
  /** `--base`: the build an incremental payload is applied to. */
  base?: PartitionBase;
  /** What the parent says of that build (ChildSpec.baseBuild). */
  baseBuild?: BaseBuild;
}

/** A digest the walk computes over a byte range of a container during its hashing pass. */
export type RangeDigestRequest = RangeDigest;

export interface ContainerResult {
  /** Set when decoding shows a more specific format than detection (a .tar with an Odin md5 line). */
  format?: FormatId;
  info: Record<string, unknown>;
  children: ChildSpec[];
  /** Extra digests over ranges of the container, folded into its single hashing pass. */
  rangeDigests?: RangeDigestRequest[];
  /** Raw views of byte ranges during that same pass (for digests of several ranges, like a boot image id). */
  rangeTaps?: RangeTap[];
  /**
   * The children may be walked while that pass runs (nothing in them waits
   * on it): an A/B payload's partitions decode on worker threads while the
   * main thread hashes the payload.
   */
  childrenDuringHashPass?: boolean;
}

/**
 * What a format is, for code that must treat formats alike without listing
 * their ids (the registry's `traitsOf`, `mayCarryAvbFooter`):
 *
 * - `archive`: a package of files, what firmware ships in (zip, tar, Odin `.tar.md5`);
 * - `ramdisk`: a ramdisk's file tree (cpio): its files are no partition images;
 * - `compression`: one compressed stream whose single child is the decoded bytes;
 * - `partition-image`: the bytes of one partition or of a section written to one (boot image, sparse image, kernel);
 * - `partition-table`: a table whose children are partitions, named by partition (GPT, MBR, super's LP metadata);
 * - `update`: what an update applies to partitions (payload.bin, transfer lists, updater-script, OTA metadata);
 * - `layout`: a flash layout a tool follows (PIT, scatter, rawprogram);
 * - `signature`: signing data (vbmeta, AVB footer, certificates);
 * - `document`: any other text (checksum lists, build properties, flash scripts).
 */
export type FormatRole = 'archive' | 'ramdisk' | 'compression' | 'partition-image' | 'partition-table' | 'update' | 'layout' | 'signature' | 'document';

/**
 * How much a positive `detect` proves; the registry tries stronger evidence
 * first (src/formats/registry.ts):
 *
 * - `magic`: a signature of several bytes at a fixed place, with its header checked;
 * - `weak-magic`: a short signature common in other data (MBR's 55 AA), taken only with plausibility checks;
 * - `name`: the name, or for text what the text says (keywords, structure): tried after every binary signature;
 * - `exact-name`: the name alone decides, tried before any magic: files whose bytes are pieces of other
 *   formats out of order (a block OTA's `new.dat` starts like an ext4 image but is not one).
 */
export type DetectConfidence = 'exact-name' | 'magic' | 'weak-magic' | 'name';

export interface FormatTraits {
  role: FormatRole;
  confidence: DetectConfidence;
  /**
   * An AVB footer may trail it (FORMATS.md §5.7): a partition image. Data in
   * no known format counts too (see `mayCarryAvbFooter`).
   */
  avbFooter?: boolean;
  /**
   * The kernel's initramfs unpacker reads it as a ramdisk (FORMATS.md §12.1,
   * lib/decompress.c): a compression it knows, or a plain cpio.
   */
  kernelRamdisk?: boolean;
  /**
   * Its one child is the partition image it wraps, read through a map (an
   * Android sparse image's expansion): code looking for a partition's plain
   * bytes (`--base`, src/pipeline/base.ts) looks through it.
   */
  wrapsImage?: boolean;
}

interface HandlerBase {
  /** Stable format id (docs/formats.md), one of FORMAT_IDS (src/formats/ids.ts). */
  id: FormatId;
  description: string;
  /** What the format is, for code that treats formats alike (see FormatTraits); required of every registered handler. */
  traits?: FormatTraits;
  /** Confident detection from bytes (and, only as a hint, the name). */
  detect(d: DetectInput): boolean;
  /**
   * What people check first, for the details of the human output: short
   * phrases from the artifact's decoded info ("OS 14.0.0", "patch 2024-01").
   * Without it the details are the first scalar info values. Must not throw
   * on info a damaged file left incomplete (src/formats/summary.ts helps).
   */
  summary?(info: Record<string, unknown>): string[];
}

/** Needs random access; finds members. (zip, tar, ...) */
export interface ContainerHandler extends HandlerBase {
  kind: 'container';
  decode(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult>;
  /** A member not among the listed children, by its path inside the container (file systems: any file); null when there is none. */
  resolve?(src: RandomSource, path: string, ctx: DecodeContext): Promise<ChildSpec | null>;
  /** File systems: the entries of the directory at `path` ('' is the root), or the one entry a file's path names; null when the path does not exist. Symlinks are listed, never followed. */
  list?(src: RandomSource, path: string, ctx: DecodeContext): Promise<FsListEntry[] | null>;
}

/** One entry of a file system directory, as `romscope ls` shows it. */
export interface FsListEntry {
  name: string;
  /** st_mode: file type and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** The `security.selinux` xattr (its trailing NUL removed). */
  selinux?: string;
  /** A symlink's target, as stored. */
  target?: string;
}

/**
 * A stream-to-stream decoder (lz4, gzip). The output is the single child.
 * Checksums are verified while it runs; problems are recorded with ctx.fact.
 */
export interface TransformHandler extends HandlerBase {
  kind: 'transform';
  /** Name of the decoded child ("boot.img" for "boot.img.lz4"). */
  childName(parentName: string, peek: Buffer): string;
  /** Info known from the header alone, before decoding. */
  headerInfo?(peek: Buffer): Record<string, unknown>;
  transform(input: AsyncIterable<Buffer>, ctx: DecodeContext, info: Record<string, unknown>): AsyncIterable<Buffer>;
  /**
   * The decoded child as a random-access source over a random-access input
   * (read through a pass that hashes the input), decoded where it is read
   * instead of whole into a temporary file; null when this input does not
   * allow it (the stream is decoded then).
   */
  random?(src: RandomSource, ctx: DecodeContext, info: Record<string, unknown>, name: string): Promise<RandomView | null>;
}

/** A transform's decoded child read at random (TransformHandler.random). */
export interface RandomView extends RandomSource {
  /** Makes the checks the child's reads did not reach; throws what stopped them. */
  finish(): Promise<void>;
  /** Reading it failed (damage, or data not where the view put it): the transform is to be decoded as a stream instead. */
  readonly streamInstead: boolean;
}

/** A small text or binary document decoded whole (checksum files, later scripts). */
export interface DocumentHandler extends HandlerBase {
  kind: 'document';
  /** Largest input decoded (default LIMITS.maxTextBytes); larger ones are hashed only. */
  maxBytes?: number;
  decode(bytes: Buffer, ctx: DecodeContext, name: string): Record<string, unknown>;
}

/** Recognised, but romscope does not decode it yet; it is hashed and listed. */
export interface OpaqueHandler extends HandlerBase {
  kind: 'opaque';
  /** Info known from the name and size alone. */
  describe?(d: { name: string; size: number | null }): Record<string, unknown>;
}

export type FormatHandler = ContainerHandler | TransformHandler | DocumentHandler | OpaqueHandler;

/** What a sibling hook sees of the container whose members it reads. */
export interface SiblingContext {
  budget: Budget;
  /** The container's format id and bytes (for hooks that check the container itself, like a whole-file signature). */
  container: { format: string; name: string; source: RandomSource };
  /** Records an observation on the container. */
  fact(f: Fact): void;
  keys?: readonly TrustedKey[];
  tempDir?: string;
  /** `--no-hash` (DecodeContext.headersOnly): no hashing pass reads the container, so taps on it are never fed. */
  headersOnly?: boolean;
}

/** The container's bytes as a built child: released after its walk or extraction. */
export interface OpenedChild {
  spec: ChildSpec;
  release(): Promise<void>;
}

/**
 * A child made from siblings (a block OTA's rebuilt image, split sparse
 * pieces joined). Its existence and name are decided by the hook (cheaply,
 * from names and small members); its bytes are only built when it is
 * walked or extracted.
 */
export interface DerivedChild {
  name: string;
  /** What building it is called in a fact when it fails ("rebuilding system.img"). */
  doing: string;
  open(name: string): Promise<OpenedChild>;
}

export interface SiblingResult {
  derived?: DerivedChild[];
  /** Info about the container (merged into its info). */
  info?: Record<string, unknown>;
  /** Raw views of the container's bytes during its hashing pass. */
  rangeTaps?: RangeTap[];
}

/**
 * Reads a container's member list before its members are walked: attaches
 * expectations, facts or keys to members (checksum files, OTA package
 * checks) and proposes derived children. Hooks run in registry order, the
 * same way for `inspect` and `extract`, so every listed path extracts.
 */
export interface SiblingHook {
  id: string;
  run(children: ChildSpec[], ctx: SiblingContext): Promise<SiblingResult | void>;
}

/**
 * Children a trailer at the end of otherwise unrecognised bytes gives (an
 * AVB footer and its vbmeta: any partition image may end in one).
 */
export interface TrailerHook {
  id: string;
  /** Bytes of the end the streamed variant needs. */
  tailBytes: number;
  /** Names of the children it gives: a decoder that already lists one reads the trailer itself. */
  childNames: readonly string[];
  /** Children found at the end of a random-access source, and taps over its bytes. */
  random(src: RandomSource): Promise<{ children: ChildSpec[]; taps: RangeTap[] } | null>;
  /** Children from the last `tailBytes` of a source that could only be streamed. */
  streamed(tail: Buffer, size: number): ChildSpec[];
}

/** Expectations on the input itself found next to it (checksum files beside `rom.zip`). */
export interface NeighbourHook {
  id: string;
  run(inputPath: string): Promise<{ expect: ExpectedDigest[]; info?: Record<string, unknown> }>;
}
