import { BudgetError } from './errors';

/**
 * The caps several decoders share (see docs/limits.md). A cap that concerns
 * one format only is a named constant next to its decoder; docs/limits.md
 * lists them all.
 */
export const LIMITS = {
  /** Bytes peeked for format detection. */
  peekBytes: 64 * 1024,
  /** Sequential inputs smaller than this are buffered in memory when a decoder needs random access. */
  spillMemoryCap: 64 * 1024 * 1024,
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
}

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
  /** When `maxSeconds` runs out (ms since the epoch); Infinity without a time limit. */
  private readonly deadline: number;
  constructor(readonly opts: BudgetOptions) {
    this.deadline = opts.maxSeconds === undefined ? Infinity : Date.now() + opts.maxSeconds * 1000;
  }

  /** Past `--max-seconds`, every charge fails: whatever is decoded next stops, and the report is built from what was read. */
  private chargeTime(): void {
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
}
