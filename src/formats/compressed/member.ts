import type { MemberHooks } from '../../codecs/member';
import type { DecodeContext } from '../types';
import { passedKind, type CheckedKind } from '../../facts';

/**
 * Runs a member decoder of `src/codecs` as a transform: every decoded piece
 * is charged to the walk's expansion budget before it is passed on (so a
 * bomb stops at --max-expanded), and each check the decoder computes becomes
 * a fact: `<kind>` when it failed, `<kind>-ok` when it matched.
 */
export async function* memberTransform(
  decode: (input: AsyncIterable<Buffer>, hooks: MemberHooks) => AsyncIterable<Buffer>,
  kind: CheckedKind,
  input: AsyncIterable<Buffer>,
  ctx: DecodeContext,
  info: Record<string, unknown>,
): AsyncGenerator<Buffer> {
  const hooks: MemberHooks = {
    info,
    check: (ok, message, offset) => ctx.fact({ kind: ok ? passedKind(kind) : kind, message, ...(offset !== undefined ? { offset } : {}) }),
  };
  for await (const c of decode(input, hooks)) {
    ctx.budget.chargeExpanded(c.length);
    yield c;
  }
}

/** The decoded child's name: the parent's without `suffix`, `tarSuffix` (.txz...) naming a .tar, else the parent's own. */
export function strippedName(name: string, suffixes: RegExp, tarSuffixes: RegExp): string {
  if (tarSuffixes.test(name)) return name.replace(tarSuffixes, '.tar');
  if (suffixes.test(name)) return name.replace(suffixes, '');
  return name;
}
