/**
 * Fact kinds: their declarations (`./kinds`) and the lists derived from them.
 * Nothing here lists a kind by hand; add a kind to `FACT_KINDS` and to
 * docs/facts.md, and every list below follows.
 */
import { FACT_KINDS, type FactCategory, type FactKindSpec, type SignatureRole } from './kinds';

export { FACT_KINDS, FACT_CATEGORIES, type FactCategory, type FactKindSpec, type SignatureRole } from './kinds';

/** Every declared fact kind; `Fact.kind` has this type, so tsc rejects a kind that is not declared. */
export type FactKind = keyof typeof FACT_KINDS;

/** The kinds `K` whose `K-ok` is declared too: a check with a passed form (an `ExpectedDigest` kind is one). */
export type CheckedKind = { [K in FactKind]: `${K}-ok` extends FactKind ? K : never }[FactKind];

export const ALL_FACT_KINDS: readonly FactKind[] = Object.keys(FACT_KINDS) as FactKind[];

export function factSpec(kind: FactKind): FactKindSpec {
  return FACT_KINDS[kind];
}

export function isFactKind(s: string): s is FactKind {
  return Object.prototype.hasOwnProperty.call(FACT_KINDS, s);
}

/** The passed form of a check: `zip-crc` → `zip-crc-ok`. */
export function passedKind<K extends CheckedKind>(kind: K): `${K}-ok` {
  return `${kind}-ok`;
}

function where(pred: (spec: FactKindSpec, kind: FactKind) => boolean): readonly FactKind[] {
  return ALL_FACT_KINDS.filter((k) => pred(FACT_KINDS[k], k));
}

/** The kinds of the given categories, in declaration order. */
export function factKindsIn(...categories: FactCategory[]): readonly FactKind[] {
  return where((s) => categories.includes(s.category));
}

/** The kinds `summary.signature` reads for a scheme with the given status. */
export function signatureKinds(scheme: SignatureRole['scheme'], status: SignatureRole['status']): readonly FactKind[] {
  return where((s) => s.signature?.scheme === scheme && s.signature.status === status);
}

/** The kinds the given rule reports. */
export function factKindsReportedBy(ruleId: string): readonly FactKind[] {
  return where((s) => s.rules.includes(ruleId));
}

/** Passed integrity checks: `summary.integrity` counts each fact of these kinds as one check. */
export const PASSED_CHECK_KINDS: readonly FactKind[] = factKindsIn('integrity-passed');

/** Failed integrity checks and missing bytes: `summary.integrity` counts each fact of these kinds as one failed check. */
export const INTEGRITY_FAILURE_KINDS: readonly FactKind[] = factKindsIn('integrity-failure');

/** Failed checks that also have a passed form (`<kind>-ok` in PASSED_CHECK_KINDS). */
export const INTEGRITY_CHECK_KINDS: readonly FactKind[] = INTEGRITY_FAILURE_KINDS.filter((k) => PASSED_CHECK_KINDS.includes(`${k}-ok` as FactKind));

/** Facts that mean the bytes are not what the package promises: `romscope extract` keeps nothing when one is present. */
export const BAD_BYTES_KINDS: readonly FactKind[] = where((s) => s.badBytes === true);
