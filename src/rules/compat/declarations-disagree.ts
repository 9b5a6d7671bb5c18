import type { Rule } from '../types';
import { SOURCE_LABEL, type DeclarationFact } from '../../compat/declarations';
import { declarationsIn, where, type Located } from '../../compat/evaluate';

const SAMSUNG_PREFIX = /^(SM|GT|SCH|SGH|SPH|SHV|SHW|SC)-/;

/** Values of one key, normalised for comparison (Samsung models without their `SM-` prefix). */
function values(d: DeclarationFact, key: 'device' | 'model'): Set<string> {
  return new Set(d.alternatives.filter((a) => a.key === key).map((a) => (key === 'model' ? a.value.replace(SAMSUNG_PREFIX, '') : a.value)));
}

/**
 * Two places in one package name devices (or models) that have nothing in
 * common: OTA metadata for one device and an updater-script asserting
 * another, a build.prop of another device, a flash script guarding another
 * product than misc.txt names. The package was assembled from parts of
 * different builds, or edited by hand; at least one check will fail on any
 * device. Board names are not compared (SoC, board and bootloader board ids
 * are all called "board").
 */
/** Work on a hostile package stays bounded: declarations looked at, distinct name lists kept, findings. */
const MAX_DECLARATIONS = 5000;
const MAX_DISTINCT = 1000;
const MAX_FINDINGS = 50;

const rule: Rule = {
  id: 'compat/declarations-disagree',
  description: 'Two declarations in one package name different devices or models',
  defaultSeverity: 'warning',
  check(ctx) {
    const all = declarationsIn(ctx.root).filter((d) => !d.fact.negated && d.fact.onlyForProduct === undefined);
    let reported = 0;
    let unlisted = 0;
    for (const key of ['device', 'model'] as const) {
      const earlier: [Located<DeclarationFact>, Set<string>][] = [];
      const signatures = new Set<string>();
      let looked = 0;
      for (const d of all) {
        const mine = values(d.fact, key);
        if (mine.size === 0) continue;
        if (++looked > MAX_DECLARATIONS) break;
        const other = earlier.find(([, theirs]) => ![...mine].some((v) => theirs.has(v)));
        if (other) {
          if (reported >= MAX_FINDINGS) unlisted++;
          else {
            reported++;
            const [o, theirs] = other;
            const list = (x: Set<string>) => [...x].map((v) => `"${v}"`).join(' or ');
            const at = d.fact.line === undefined ? '' : `line ${d.fact.line}: `;
            ctx.report({
              path: d.artifact.path,
              line: d.fact.line,
              message: `${at}${SOURCE_LABEL[d.fact.source]} names ${key} ${list(mine)}, but ${where(o.artifact, o.fact, ctx.root.name)} (${SOURCE_LABEL[o.fact.source]}) names ${list(theirs)}`,
            });
          }
        }
        const sig = [...mine].sort().join('\0');
        if (!signatures.has(sig) && earlier.length < MAX_DISTINCT) {
          signatures.add(sig);
          earlier.push([d, mine]);
        }
      }
    }
    if (unlisted) ctx.report({ path: '', message: `${unlisted} more declarations disagree with an earlier one; not listed` });
  },
};
export default rule;
