/**
 * Declarations against a target (docs/report-format.md#summarycompatibility).
 *
 * An alternative is compared with the target field of its key: `device`
 * with --device, `model` with --model, `board` with --board, `bootloader`
 * with --bootloader, `fingerprint`, `thumbprint` and `incremental` with
 * --current-build (a thumbprint is the fingerprint without its
 * `BRAND/PRODUCT/DEVICE:` part, the incremental its third field).
 * Device names, models, bootloader versions and fingerprints compare
 * exactly, case included, as Android and fastboot compare them, never as
 * substrings; fastboot's `abc*` matches values starting with `abc`. Board
 * and platform names compare ignoring case (an MTK scatter writes `MT6768`,
 * the device's `ro.board.platform` is `mt6768`). A Samsung model from an
 * Odin file name (`T870`) also matches the target model with its `SM-`
 * (or `GT-`...) prefix.
 *
 * A declaration matches when one of its alternatives matches; it is a
 * mismatch when none matches and at least one could be compared; it is
 * unknown when none could be compared. Alternatives whose key the target
 * does not give are left out, so `getprop("ro.product.device") == "x" ||
 * getprop("ro.product.board") == "x"` is a mismatch for `--device y`.
 */
import { walkArtifacts, type Artifact, type CompatibilityEvidence, type CompatibilitySummary } from '../report/model';
import { andMore } from '../report/lists';
import { IDENTITY_KEYS, SOURCE_LABEL, quoteList, isBuildFact, isDeclaration, type Alternative, type BuildFact, type DeclarationFact, type IdentityKey, type RequirementKey } from './declarations';
import { parseFingerprint, type Target } from './target';

export type Outcome = 'match' | 'mismatch' | 'unknown';

export interface Located<F> {
  artifact: Artifact;
  fact: F;
}

export function declarationsIn(root: Artifact): Located<DeclarationFact>[] {
  const out: Located<DeclarationFact>[] = [];
  for (const artifact of walkArtifacts(root)) for (const fact of artifact.facts) if (isDeclaration(fact)) out.push({ artifact, fact });
  return out;
}

export function buildFactsIn(root: Artifact): Located<BuildFact>[] {
  const out: Located<BuildFact>[] = [];
  for (const artifact of walkArtifacts(root)) for (const fact of artifact.facts) if (isBuildFact(fact)) out.push({ artifact, fact });
  return out;
}

const IDENTITY = new Set<string>(IDENTITY_KEYS);
const isIdentityKey = (k: RequirementKey): k is IdentityKey => IDENTITY.has(k);

/** The declaration names the device itself (not only its bootloader or build). */
export function isIdentity(d: DeclarationFact): boolean {
  return d.alternatives.some((a) => isIdentityKey(a.key));
}

/**
 * A mismatch of a strong declaration makes a package incompatible: one the
 * flashing tool enforces, or one naming the device or model. A board name
 * only describing the build (a boot image header, a PIT header) is
 * too loosely used to rule a device out.
 */
export function isStrong(d: DeclarationFact): boolean {
  return d.enforced || d.alternatives.some((a) => a.key === 'device' || a.key === 'model');
}

const SAMSUNG_PREFIX = /^(SM|GT|SCH|SGH|SPH|SHV|SHW|SC)-/;

/** true / false when the target can be compared with the alternative, null when it gives nothing to compare. */
function compareAlternative(a: Alternative, d: DeclarationFact, t: Target): boolean | null {
  const exact = (v: string | undefined): boolean | null => {
    if (v === undefined) return null;
    if (a.wildcard) return a.value === '*' || v.startsWith(a.value.slice(0, -1));
    return v === a.value;
  };
  switch (a.key) {
    case 'device':
      return exact(t.device);
    case 'model':
      if (t.model === undefined) return null;
      return t.model === a.value || (d.source === 'odin-file-name' && t.model.replace(SAMSUNG_PREFIX, '') === a.value);
    case 'board':
      return t.board === undefined ? null : t.board.toLowerCase() === a.value.toLowerCase();
    case 'bootloader':
      return exact(t.bootloader);
    case 'fingerprint':
      return exact(t.currentBuild);
    case 'thumbprint': {
      // RELEASE/ID/INCREMENTAL:TYPE/TAGS: the fingerprint without BRAND/PRODUCT/DEVICE: (FORMATS.md §11.4).
      if (t.currentBuild === undefined) return null;
      const fp = parseFingerprint(t.currentBuild);
      return fp ? `${fp.release}/${fp.id}/${fp.incremental}:${fp.type}/${fp.tags}` === a.value : null;
    }
    case 'incremental': {
      if (t.currentBuild === undefined) return null;
      const fp = parseFingerprint(t.currentBuild);
      return fp ? fp.incremental === a.value : null;
    }
    default:
      return null;
  }
}

/**
 * The outcome of one declaration for the target, looking only at
 * alternatives of the given keys. Null when the declaration does not apply
 * (a `require-for-product` line for another product).
 */
export function evaluate(d: DeclarationFact, t: Target, keys?: readonly RequirementKey[]): Outcome | null {
  if (d.onlyForProduct !== undefined) {
    if (t.device === undefined) return 'unknown';
    if (t.device !== d.onlyForProduct) return null;
  }
  let compared = false;
  let matched = false;
  for (const a of d.alternatives) {
    if (keys && !keys.includes(a.key)) continue;
    const r = compareAlternative(a, d, t);
    if (r === null) continue;
    compared = true;
    if (r) matched = true;
  }
  if (!compared) return 'unknown';
  return matched !== !!d.negated ? 'match' : 'mismatch';
}

export function where(artifact: Artifact, fact: { line?: number }, rootName?: string): string {
  const file = artifact.path || rootName || 'the input';
  return fact.line === undefined ? file : `${file} line ${fact.line}`;
}

/** `device "a" or "b"` for the alternatives of the given keys. */
export function describeValues(d: DeclarationFact, keys: readonly RequirementKey[]): string {
  const byKey = new Map<string, Set<string>>();
  for (const a of d.alternatives) {
    if (!keys.includes(a.key)) continue;
    const set = byKey.get(a.key);
    if (set) set.add(a.value);
    else byKey.set(a.key, new Set([a.value]));
  }
  return [...byKey].map(([k, v]) => `${k} ${quoteList(v)}`).join(', or ');
}

function targetFields(t: Target): Record<string, string | number> {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

/** Identity declarations that apply (positive ones; `reject` lines are not a list of devices the package is for). */
function declaredNames(decls: Located<DeclarationFact>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { fact } of decls) {
    if (fact.negated) continue;
    for (const a of fact.alternatives) {
      if (!isIdentityKey(a.key)) continue;
      const list = (out[a.key] ??= []);
      if (!list.includes(a.value) && list.length < MAX_NAMES) list.push(a.value);
    }
  }
  return out;
}

/** The summary stays small on a hostile package: evidence entries and names per kind. */
const MAX_EVIDENCE = 1000;
const MAX_NAMES = 100;

export function compatibilitySummary(root: Artifact, target: Target = {}): CompatibilitySummary {
  const decls = declarationsIn(root).filter((d) => isIdentity(d.fact));
  const identityTarget = t(target);
  const rootName = root.name;
  const evidence: (CompatibilityEvidence & { strong: boolean; applies: boolean; d: Located<DeclarationFact> })[] = decls.map((d) => {
    const sets = new Map<string, Set<string>>();
    for (const a of d.fact.alternatives) {
      if (!isIdentityKey(a.key)) continue;
      const set = sets.get(a.key);
      if (set) set.add(a.value);
      else sets.set(a.key, new Set([a.value]));
    }
    const declares: Record<string, string[]> = Object.fromEntries([...sets].map(([k, v]) => [k, [...v]]));
    const outcome = evaluate(d.fact, target, IDENTITY_KEYS);
    return {
      path: d.artifact.path,
      ...(d.fact.line === undefined ? {} : { line: d.fact.line }),
      source: d.fact.source,
      enforced: d.fact.enforced,
      declares,
      properties: [...new Set(d.fact.alternatives.filter((a) => isIdentityKey(a.key)).map((a) => a.property))],
      result: outcome ?? 'unknown',
      strong: isStrong(d.fact),
      applies: outcome !== null,
      d,
    };
  });
  const declared = declaredNames(decls);
  const base = { target: targetFields(target), declared, evidence: evidence.slice(0, MAX_EVIDENCE).map(({ strong: _s, applies: _a, d: _d, ...e }) => e) };
  const names = Object.entries(declared)
    .map(([k, v]) => `${k} ${v.join(', ')}`)
    .join('; ');

  if (decls.length === 0) return { verdict: 'unknown', reason: 'nothing in the package names the device it is for', ...base };
  if (!identityTarget) return { verdict: 'unknown', reason: `no target device given (--device, --model or --board); the package declares ${names}`, ...base };
  const applying = evidence.filter((e) => e.applies);
  const mismatch = applying.find((e) => e.strong && e.result === 'mismatch');
  if (mismatch) {
    const { artifact, fact } = mismatch.d;
    return {
      verdict: 'incompatible',
      reason: `${where(artifact, fact, rootName)}: ${SOURCE_LABEL[fact.source]} ${fact.enforced ? 'requires' : 'declares'} ${describeValues(fact, IDENTITY_KEYS)}; the target is ${identityTarget}`,
      ...base,
    };
  }
  const matches = applying.filter((e) => e.result === 'match');
  const enforcedUnknown = applying.find((e) => e.enforced && e.result === 'unknown');
  if (matches.length && !enforcedUnknown) {
    const first = matches[0].d;
    const more = andMore(matches.length, 1);
    return { verdict: 'compatible', reason: `the target ${identityTarget} is what ${where(first.artifact, first.fact, rootName)} declares${more}`, ...base };
  }
  if (enforcedUnknown) {
    const { artifact, fact } = enforcedUnknown.d;
    return {
      verdict: 'unknown',
      reason: `${where(artifact, fact, rootName)} requires ${describeValues(fact, IDENTITY_KEYS)}, which the target (${identityTarget}) does not say`,
      ...base,
    };
  }
  const weak = applying.find((e) => e.result === 'mismatch');
  if (weak) {
    const { artifact, fact } = weak.d;
    return {
      verdict: 'unknown',
      reason: `${where(artifact, fact, rootName)}: ${SOURCE_LABEL[fact.source]} names ${describeValues(fact, IDENTITY_KEYS)}, not the target's; a board name there does not rule a device in or out`,
      ...base,
    };
  }
  return { verdict: 'unknown', reason: `the package declares ${names}; none of it can be compared with the target (${identityTarget})`, ...base };
}

/** `device "x", model "y"` for the identity fields the target gives, or null. */
function t(target: Target): string | null {
  const parts = (['device', 'model', 'board'] as const).filter((k) => target[k] !== undefined).map((k) => `${k} "${target[k]}"`);
  return parts.length ? parts.join(', ') : null;
}

/** The entries of a comma-separated `ro.build.tags` value (or a fingerprint's tags). */
export const tagList = (s: string): string[] => s.split(',').map((x) => x.trim());

/** Why a build fact presents the build as a release (a `user` type, or `release-keys` tags), or null. */
export function releaseClaim(f: BuildFact): string | null {
  if (f.key === 'type' && f.value === 'user') return `${f.property} is "user"`;
  if (f.key === 'tags' && tagList(f.value).includes('release-keys')) return `${f.property} says release-keys`;
  if (f.key === 'fingerprint') {
    const fp = parseFingerprint(f.value);
    if (fp?.type === 'user') return `${f.property} is a "user" build`;
    if (fp && tagList(fp.tags).includes('release-keys')) return `${f.property} says release-keys`;
  }
  return null;
}
