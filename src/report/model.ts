import type { HashAlgo } from '../io/hash';
import type { CheckedKind, FactKind } from '../facts';

export type Severity = 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * Something a decoder observed, in its own words. Decoders never judge
 * severity: rules turn facts into findings. `kind` values are declared in
 * src/facts/kinds.ts and documented in docs/facts.md; rules match on them.
 */
export interface Fact {
  kind: FactKind;
  message: string;
  /** Byte offset inside the artifact, when the fact is about one place. */
  offset?: number;
  [key: string]: unknown;
}

/** An expected digest for an artifact, from a checksum file, a zip CRC, a tar.md5 line... */
export interface ExpectedDigest {
  algo: HashAlgo;
  hex: string;
  /** The fact kind raised when it disagrees (and `<kind>-ok` when it agrees). */
  kind: CheckedKind;
  /** Where the expectation came from, for messages ("zip central directory", "SHA256SUMS"). */
  from: string;
  /** Only bytes [start, end) of the artifact are covered (a sparse CRC32 chunk); the whole artifact when absent. */
  range?: { start: number; end: number };
}

/**
 * The key of `Artifact.info` under which a decoder leaves its typed model
 * (parsed structures, bigints, buffers) for passes after the walk. A symbol
 * key: JSON never writes it (src/report/json.ts), so the report is the same
 * with or without it; `Object.assign` and spreads carry it as the walk
 * merges a decoder's info. Read it with `modelOf`.
 */
export const MODEL: unique symbol = Symbol('romscope.model');

export interface Artifact {
  /** Address from the top of the input; `romscope extract` accepts it. '' is the input itself. */
  path: string;
  name: string;
  /** Format id (docs/formats.md), 'data' when nothing matched. */
  format: string;
  /** Bytes of this artifact; null when they could not all be read. */
  size: number | null;
  hashes: Partial<Record<HashAlgo, string>>;
  /** What the decoder found, as the JSON report shows it; its typed model, not serialised, under the key MODEL. */
  info: Record<string, unknown> & { [MODEL]?: unknown };
  /** Observations rules read; not part of the JSON report. */
  facts: Fact[];
  children: Artifact[];
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  path: string;
  message: string;
  offset?: number;
  /** 1-based line in the artifact's text, when the finding is about a line of a text file. */
  line?: number;
  /**
   * Stable identity of the finding across runs and builds: rule id, artifact path and subject, never the
   * message, order, time or host path (docs/baselines.md). 32 hex digits.
   */
  fingerprint: string;
  /** With `--baseline`: `new` (not in the baseline; counts) or `unchanged` (in it; suppressed). */
  baselineState?: 'new' | 'unchanged';
}

export type IntegrityStatus = 'verified' | 'failed' | 'unchecked';
export type SignatureStatus = 'verified' | 'failed' | 'unsigned' | 'unverifiable';

export type CompatibilityVerdict = 'compatible' | 'incompatible' | 'unknown';

/** One declaration of the device a package is for (docs/report-format.md#summarycompatibility). */
export interface CompatibilityEvidence {
  path: string;
  line?: number;
  /** Where it comes from: `ota-metadata`, `updater-script`, `android-info`, `flash-script`, ... */
  source: string;
  /** Checked by the flashing tool itself, rather than only describing the build. */
  enforced: boolean;
  /** The names it accepts, by kind (`device`, `model`, `board`, `name`, `project`). */
  declares: Record<string, string[]>;
  /** The properties or variables it names (`pre-device`, `ro.product.device`, `product`...). */
  properties: string[];
  result: 'match' | 'mismatch' | 'unknown';
}

export interface CompatibilitySummary {
  verdict: CompatibilityVerdict;
  reason: string;
  /** The target given (`--device` ...), by field; empty when none. */
  target: Record<string, string | number>;
  /** Every name the package declares, by kind. */
  declared: Record<string, string[]>;
  evidence: CompatibilityEvidence[];
}

/** The values one property file gives (docs/report-format.md#summarybuild); fields it does not give are left out. */
export interface BuildIdentityValues {
  device?: string;
  model?: string;
  brand?: string;
  board?: string;
  fingerprint?: string;
  buildId?: string;
  incremental?: string;
  release?: string;
  type?: string;
  tags?: string;
  securityPatch?: string;
  vendorSecurityPatch?: string;
  sdk?: string;
  firstApiLevel?: string;
  /** ISO 8601, from `buildDateUtc`. */
  buildDate?: string;
  /** `ro.build.date.utc` (seconds since 1970). */
  buildDateUtc?: number;
}

export interface BuildPartition extends BuildIdentityValues {
  /** `system`, `vendor`, `product`, `odm`, `system_ext`, `vendor_dlkm`, `odm_dlkm`, `system_dlkm`, `bootimage`, `ramdisk` or `unknown`. */
  partition: string;
  /** The artifact path of the property file. */
  path: string;
}

/** The build's identity from the property files inside the package. */
export interface BuildSummary extends BuildIdentityValues {
  partitions: BuildPartition[];
  /** Fields whose values differ between property files. */
  differ: string[];
  partitionsNotListed?: number;
}

export interface Summary {
  compatibility: CompatibilitySummary;
  /** Present when the package holds a property file (build.prop, prop.default...). */
  build?: BuildSummary;
  artifacts: number;
  errors: number;
  warnings: number;
  infos: number;
  /** `reason`: present when the checks were not made at all (`--no-hash`). */
  integrity: { status: IntegrityStatus; checks: number; failed: number; reason?: string };
  signature: { status: SignatureStatus; reason: string };
  /** Package members in no format romscope knows and cannot name (docs/report-format.md#summarynotunderstood). */
  notUnderstood: { members: number; paths: string[] };
  /** With `--baseline`: the baseline file and how many findings it suppressed (docs/baselines.md). */
  baseline?: BaselineSummary;
}

export interface BaselineSummary {
  /** The baseline file as given. */
  file: string;
  /** Fingerprints the baseline holds. */
  entries: number;
  /** Findings of this report found in the baseline: reported with `baselineState: "unchanged"`, not counted. */
  suppressed: number;
  /** Findings not in the baseline. */
  new: number;
}

export interface Report {
  schemaVersion: 1;
  tool: { name: 'romscope'; version: string };
  input: { path: string; size: number };
  root: Artifact;
  findings: Finding[];
  summary: Summary;
}

/** The typed model a decoder left on the artifact (see MODEL), if any: check its shape with the decoder's own guard. */
export function modelOf(a: Artifact): unknown {
  return a.info[MODEL];
}

/** Puts a typed model on a decoder's info (see MODEL); returns the info. */
export function withModel<T extends Record<string, unknown>>(info: T, model: unknown): T {
  (info as { [MODEL]?: unknown })[MODEL] = model;
  return info;
}

export function newArtifact(path: string, name: string, size: number | null): Artifact {
  return { path, name, format: 'data', size, hashes: {}, info: {}, facts: [], children: [] };
}

export function* walkArtifacts(a: Artifact): Generator<Artifact> {
  yield a;
  for (const c of a.children) yield* walkArtifacts(c);
}

export function childPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}
