/**
 * The one place that decides which children a container has: its decoder's
 * members (names made unique), what the sibling hooks attach to them, and
 * the children the hooks derive from them. The walk and `extract` both use
 * it, so every path a report lists resolves to the same bytes.
 */
import { BudgetError } from '../io/errors';
import type { RangeTap } from '../io/digest-set';
import { SIBLING_HOOKS, TRAILER_HOOKS } from '../formats/registry';
import type { RandomSource } from '../io/source';
import type { ChildSpec, DerivedChild, SiblingContext } from '../formats/types';
import { errorToFact } from './streams';

export interface ChildEntry {
  /** Unique among its siblings: the last segment of its artifact path. */
  name: string;
  /** A member the container's decoder found (its spec carries the unique name). */
  spec?: ChildSpec;
  /** A child built from siblings, only when it is walked or extracted. */
  derived?: DerivedChild;
}

export interface ChildList {
  entries: ChildEntry[];
  /** Info the hooks give about the container. */
  info: Record<string, unknown>;
  /** Views of the container's bytes the hooks ask for during its hashing pass. */
  rangeTaps: RangeTap[];
}

/** Artifact paths must be unique to be extractable: a repeated name gets a #n suffix. */
export class UniqueNames {
  private readonly used = new Set<string>();
  /** Next suffix to try per name: repeated names cost one lookup each, not one per earlier copy. */
  private readonly next = new Map<string, number>();

  take(name: string): string {
    // An empty member name would give the member its container's path.
    const base = name === '' ? '(empty name)' : name;
    let n = base;
    let i = this.next.get(base) ?? 2;
    while (this.used.has(n)) n = `${base}#${i++}`;
    if (n !== base) this.next.set(base, i);
    this.used.add(n);
    return n;
  }
}

export async function childrenOf(specs: ChildSpec[], ctx: SiblingContext): Promise<ChildList> {
  const names = new UniqueNames();
  const members = specs.map((s) => ({ ...s, name: names.take(s.name) }));
  const info: Record<string, unknown> = {};
  const rangeTaps: RangeTap[] = [];
  const derived: DerivedChild[] = [];
  for (const hook of SIBLING_HOOKS) {
    try {
      const r = await hook.run(members, ctx);
      if (!r) continue;
      Object.assign(info, r.info);
      rangeTaps.push(...(r.rangeTaps ?? []));
      derived.push(...(r.derived ?? []));
    } catch (e) {
      if (e instanceof BudgetError) throw e;
      ctx.fact(errorToFact(e, `${hook.id} checks of the members`));
    }
  }
  const entries: ChildEntry[] = members.map((spec) => ({ name: spec.name, spec }));
  for (const d of derived) entries.push({ name: names.take(d.name), derived: d });
  return { entries, info, rangeTaps };
}

/** Children that no sibling hook looks at (a trailer's footer and vbmeta), with unique names. */
export function namedEntries(specs: ChildSpec[]): ChildEntry[] {
  const names = new UniqueNames();
  return specs.map((s) => {
    const name = names.take(s.name);
    return { name, spec: { ...s, name } };
  });
}

/**
 * Children of the trailers a random-access image ends in (an AVB footer and
 * its vbmeta), and taps checking the image against them. A trailer whose
 * children the decoder already listed (a boot image reads its own footer)
 * is left to the decoder.
 */
export async function trailersOf(src: RandomSource, listed: readonly ChildSpec[] = []): Promise<{ children: ChildSpec[]; taps: RangeTap[] }> {
  const names = new Set(listed.map((c) => c.name));
  const children: ChildSpec[] = [];
  const taps: RangeTap[] = [];
  for (const hook of TRAILER_HOOKS) {
    if (hook.childNames.some((n) => names.has(n))) continue;
    const found = await hook.random(src);
    if (!found) continue;
    children.push(...found.children);
    taps.push(...found.taps);
  }
  return { children, taps };
}
