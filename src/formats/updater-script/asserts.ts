/**
 * The checks an updater-script makes before it writes anything (FORMATS.md
 * §11.2). A *guard* is a condition whose failure stops the install:
 *
 *   assert(C1, C2...)                 each argument
 *   C || abort("...")                 C (also inside assert: assert(C || abort(...)))
 *   if !C then abort("...") endif     C
 *
 * A guard that is an "or" of property comparisons (`getprop("ro.product.device")
 * == "x"`, `"x" == getprop(...)`, `file_getprop("/system/build.prop",
 * "ro.build.fingerprint") == "..."`) becomes a declaration with one
 * alternative per comparison; AOSP's AssertOlderBuild,
 * `!less_than_int(<ts>, getprop("ro.build.date.utc"))`, becomes the
 * package's enforced build timestamp. Guards are read from top-level
 * statements only: a check inside an `if` applies to some devices only.
 */
import type { Node } from './edify';
import { propertyKey, type Alternative } from '../../compat/declarations';

export interface Guard {
  line: number;
  alternatives: Alternative[];
  /** Disjuncts that are not property comparisons (they might hold on any device). */
  opaque: number;
}

export interface ScriptChecks {
  guards: Guard[];
  /** AssertOlderBuild: the package refuses devices whose ro.build.date.utc is newer. */
  olderBuild: { timestamp: string; line: number }[];
}

function isCall(n: Node, name: string): n is Extract<Node, { k: 'call' }> {
  return n.k === 'call' && n.name === name;
}

/** `x;` inside parentheses is `x`. */
function unwrap(n: Node): Node {
  let cur = n;
  while (cur.k === 'seq' && cur.items.length === 1) cur = cur.items[0];
  return cur;
}

/** The property a `getprop("p")` or `file_getprop("file", "p")` reads, if that is what `n` is. */
function propRead(n: Node): string | null {
  const u = unwrap(n);
  if (u.k !== 'call') return null;
  const arg = (i: number) => {
    const a = u.args[i] ? unwrap(u.args[i]) : null;
    return a?.k === 'str' ? a.v : null;
  };
  if (u.name === 'getprop' && u.args.length === 1) return arg(0);
  if (u.name === 'file_getprop' && u.args.length === 2) return arg(1);
  return null;
}

/** The guard left when a trailing `abort(...)` alternative is removed; null when nothing is left. */
function withoutAbort(n: Node): Node | null {
  const u = unwrap(n);
  if (isCall(u, 'abort')) return null;
  if (u.k !== 'or') return u;
  const items = u.items.filter((i) => !isCall(unwrap(i), 'abort'));
  if (items.length === u.items.length) return u;
  if (items.length === 0) return null;
  return items.length === 1 ? unwrap(items[0]) : { k: 'or', items, line: items[0].line };
}

export function collectChecks(stmt: Node, into: ScriptChecks): void {
  const guard = (cond: Node | null) => {
    if (!cond) return;
    const c = unwrap(cond);
    // AssertOlderBuild: !less_than_int(<timestamp>, getprop("ro.build.date.utc"))
    if (c.k === 'not') {
      const inner = unwrap(c.e);
      if (isCall(inner, 'less_than_int') && inner.args.length === 2) {
        const ts = unwrap(inner.args[0]);
        if (ts.k === 'str' && /^\d+$/.test(ts.v) && propRead(inner.args[1]) === 'ro.build.date.utc') into.olderBuild.push({ timestamp: ts.v, line: c.line });
      }
      return;
    }
    const disjuncts = c.k === 'or' ? c.items.map(unwrap) : [c];
    const alternatives: Alternative[] = [];
    let opaque = 0;
    for (const d of disjuncts) {
      if (d.k === 'cmp' && d.op === '==') {
        const l = unwrap(d.l);
        const r = unwrap(d.r);
        const prop = propRead(l) ?? propRead(r);
        const lit = l.k === 'str' ? l : r.k === 'str' ? r : null;
        if (prop !== null && lit !== null) {
          alternatives.push({ key: propertyKey(prop), property: prop, value: lit.v });
          continue;
        }
      }
      opaque++;
    }
    if (alternatives.some((a) => a.key !== 'other')) into.guards.push({ line: disjuncts[0].line, alternatives, opaque });
  };

  const visit = (n: Node) => {
    const u = unwrap(n);
    if (u.k === 'seq') for (const i of u.items) visit(i);
    else if (isCall(u, 'assert')) for (const a of u.args) guard(withoutAbort(a));
    else if (u.k === 'or') {
      const rest = withoutAbort(u);
      if (rest !== u) guard(rest);
    } else if (u.k === 'if' && u.e === null && isCall(unwrap(u.t), 'abort')) {
      const c = unwrap(u.c);
      if (c.k === 'not') guard(c.e);
    }
  };
  visit(stmt);
}
