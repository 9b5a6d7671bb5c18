import { BudgetError, MemoryBudgetError } from './errors';

/**
 * The caps several decoders share (see docs/limits.md). A cap that concerns
 * one format only is a named constant next to its decoder; docs/limits.md
 * lists them all.
 */
export const LIMITS = {
  /** Bytes peeked for format detection. */
  peekBytes: 64 * 1024,
  /** Sequential inputs smaller than this are buffered in memory when a decoder needs random access. */
  spillMemoryCap: 16 * 1024 * 1024,
  /** Reused 1 MiB read buffers shared by every scan and the hashing threads (the bytes in flight between reading and hashing). */
  readRingSlots: 16,
  /** Text formats (checksum files, scripts) larger than this are not parsed. */
  maxTextBytes: 4 * 1024 * 1024,
  /** Lines read from one checksum file. */
  maxChecksumLines: 100_000,
  /** A/B payload manifests larger than this are not decoded (real ones are a few MiB at most). */
  maxPayloadManifestBytes: 64 * 1024 * 1024,
  /** Operations and extents believed in one payload manifest. */
  maxPayloadOperations: 4_000_000,
  maxPayloadExtents: 16_000_000,
  /** A payload or metadata `Signatures` message larger than this is not read. */
  maxPayloadSignatureBytes: 1024 * 1024,
  /** A bsdiff patch of an incremental payload operation, and the new data one patch makes, are applied up to this size (update_engine's generator keeps them to a few MiB). */
  maxBsdiffPatchBytes: 256 * 1024 * 1024,
  /** Distinct values a message names for one property ("a" or "b" ... (and N more)); the facts keep them all. */
  maxValuesInMessage: 20,
  /** Members of one zip with a `duplicate-entry` finding of their own; the rest are counted in one finding on the zip. */
  maxDuplicateEntryFacts: 100,
  /** Inodes one file system's posture scan visits (directories, files, links); Android's largest partitions hold a few tens of thousands. */
  fsScanInodes: 500_000,
  /** `fs-entry` facts (setuid, world-writable, su...) given for one file system or ramdisk; the rest are counted in one fact. */
  fsScanEntryFacts: 200,
  /** Init scripts (`.rc`) one file system gives as children, their largest size each, and their bytes together. */
  initRcFiles: 2000,
  initRcFileBytes: 1024 * 1024,
  initRcTotalBytes: 16 * 1024 * 1024,
  /**
   * `--no-hash`: bytes that only decoding makes are read when there are at
   * most this many of them: a container inside a compressed stream (a
   * vbmeta.img.lz4), a small payload partition (vbmeta), a build.prop in a
   * file system. Larger ones are listed, not read.
   */
  noHashDecodeBytes: 1024 * 1024,
};

export interface BudgetOptions {
  /** How deep containers may nest (the input itself is depth 0). */
  maxDepth: number;
  /** Total artifacts the walk may visit. */
  maxMembers: number;
  /** Total bytes all decompressors together may produce. */
  maxExpandedBytes: number;
  /** Wall-clock seconds the inspection may take, checked whenever the budget is charged; no limit when absent. */
  maxSeconds?: number;
  /**
   * Bytes of decoder state (tables, member lists, manifests, caches,
   * in-memory spill buffers) held at once by the whole walk; default
   * DEFAULT_MAX_MEMORY_BYTES.
   */
  maxMemoryBytes?: number;
  /** Stops the walk like an expired `maxSeconds` once aborted (the library's `signal` option). */
  signal?: AbortSignal;
}

/** Default of `maxMemoryBytes`: with the walk's own objects and Node itself, the process stays under about 300 MiB of heap. */
export const DEFAULT_MAX_MEMORY_BYTES = 256 * 1024 * 1024;

/** Memory charged for one archive member named `name` (its spec, and the name in the lists that make names unique). */
export function memberMemory(name: string): number {
  return MEMORY_COST.member + 4 * MEMORY_COST.nameChar * name.length;
}

/**
 * What decoders charge per element of the structures they keep: rough,
 * deliberately generous estimates of what V8 takes for the object, its
 * fields and its slot in an array (the payload decoder's own figures,
 * OPERATION_MEMORY and EXTENT_MEMORY, were measured). A charge is an
 * estimate, not a measurement: it is there to stop an input that makes a
 * decoder build millions of them.
 */
export const MEMORY_COST = {
  /** One small record (an extent, a table entry of a few numbers). */
  record: 64,
  /** A record with several fields, arrays or strings (a partition, a cpio entry). */
  entry: 256,
  /** A member of an archive: its child spec, source object, info and facts, and its name kept in the lists that make names unique. */
  member: 1024,
  /** Per character of a name kept from the input, for each copy kept (a JavaScript string may take 2 bytes a character). */
  nameChar: 2,
};

export function defaultBudget(inputSize: number): BudgetOptions {
  // Real firmware expands a few times over; a zip bomb expands a thousand times
  // and more. 100x the input, at least 4 GiB and at most 1 TiB, separates the two.
  const expanded = Math.min(2 ** 40, Math.max(4 * 2 ** 30, inputSize * 100));
  return { maxDepth: 12, maxMembers: 100_000, maxExpandedBytes: expanded };
}

/** Shared counters for one walk; decoders charge it as they produce bytes. */
export class Budget {
  members = 0;
  expanded = 0;
  /** Bytes of decoder state charged and not yet released. */
  memory = 0;
  /** The largest `memory` reached (for tests and measurements). */
  memoryPeak = 0;
  /** Open memory scopes, innermost last: charges go to the innermost and are released when it closes. */
  private readonly scopes: { held: number }[] = [];
  /** When `maxSeconds` runs out (ms since the epoch); Infinity without a time limit. */
  private readonly deadline: number;
  constructor(readonly opts: BudgetOptions) {
    this.deadline = opts.maxSeconds === undefined ? Infinity : Date.now() + opts.maxSeconds * 1000;
  }

  /** Past `--max-seconds`, every charge fails: whatever is decoded next stops, and the report is built from what was read. */
  private chargeTime(): void {
    if (this.opts.signal?.aborted) throw new BudgetError('inspection was cancelled; not decoded');
    if (Date.now() >= this.deadline) {
      throw new BudgetError(`inspection took more than ${this.opts.maxSeconds} seconds (limit --max-seconds); not decoded`);
    }
  }

  chargeMember(): void {
    this.chargeTime();
    this.members++;
    if (this.members > this.opts.maxMembers) {
      throw new BudgetError(`more than ${this.opts.maxMembers} artifacts in one package (limit --max-members)`);
    }
  }

  chargeExpanded(n: number): void {
    this.chargeTime();
    this.expanded += n;
    if (this.expanded > this.opts.maxExpandedBytes) {
      throw new BudgetError(`decompressed data exceeds ${this.opts.maxExpandedBytes} bytes in total (limit --max-expanded); possible decompression bomb`);
    }
  }

  /** The memory cap in bytes (DEFAULT_MAX_MEMORY_BYTES unless the options set one). */
  get maxMemory(): number {
    return this.opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES;
  }

  /**
   * Charges `bytes` of decoder state, `what` naming what is being read
   * ("zip central directory entries"). Over the cap, nothing is charged and
   * a MemoryBudgetError stops the decoder: the walk records it as a
   * `budget` fact and goes on with the rest. The charge is held until
   * `releaseMemory` or until the innermost open scope closes.
   */
  chargeMemory(bytes: number, what: string): void {
    if (!(bytes > 0)) return;
    if (this.memory + bytes > this.maxMemory) {
      throw new MemoryBudgetError(`memory budget reached: ${what} would take more than the ${this.maxMemory} bytes decoders may hold at once (limit --max-memory); not decoded`);
    }
    this.memory += bytes;
    if (this.memory > this.memoryPeak) this.memoryPeak = this.memory;
    const top = this.scopes[this.scopes.length - 1];
    if (top) top.held += bytes;
  }

  /** Whether `bytes` more could be charged now (for a decoder with a cheaper way out, such as spilling to disk). */
  memoryFits(bytes: number): boolean {
    return this.memory + bytes <= this.maxMemory;
  }

  /** Gives back state a decoder no longer holds (at most what the innermost scope holds). */
  releaseMemory(bytes: number): void {
    if (!(bytes > 0)) return;
    const top = this.scopes[this.scopes.length - 1];
    const n = top ? Math.min(bytes, top.held) : Math.min(bytes, this.memory);
    if (top) top.held -= n;
    this.memory -= n;
  }

  /**
   * Opens a scope for what one container's decoder keeps while it and its
   * children are walked; the returned function closes it and releases
   * whatever was charged in it and not released yet.
   */
  memoryScope(): () => void {
    const scope = { held: 0 };
    this.scopes.push(scope);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const i = this.scopes.lastIndexOf(scope);
      if (i >= 0) this.scopes.splice(i, 1);
      this.memory -= scope.held;
      scope.held = 0;
    };
  }
}
