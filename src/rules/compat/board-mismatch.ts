import type { Rule } from '../types';
import { declarationsIn } from '../../compat/evaluate';
import { MAX_IDENTITY_FINDINGS, describeAt, fieldOf, propertyFilesIn } from '../../compat/identity';

/**
 * fastboot's `android-info.txt` requires `board=` (an alias of `product`),
 * which the bootloader answers with its product name, the value the build
 * writes as `ro.product.board`. An android-info.txt whose board is not the
 * one the images in the same package were built for makes fastboot flash
 * them onto the wrong device, or refuse the right one.
 */
const rule: Rule = {
  id: 'compat/board-mismatch',
  description: "android-info.txt's board (product) is not the ro.product.board of the images in the package",
  defaultSeverity: 'error',
  check(ctx) {
    const infos = declarationsIn(ctx.root).filter(
      (d) => d.fact.source === 'android-info' && !d.fact.negated && d.fact.onlyForProduct === undefined && d.fact.alternatives.some((a) => a.property === 'board' || a.property === 'product'),
    );
    if (infos.length === 0) return;
    const boards = propertyFilesIn(ctx.root)
      .map((f) => ({ f, v: fieldOf(f, 'board') }))
      .filter((x): x is { f: (typeof x)['f']; v: NonNullable<(typeof x)['v']> } => x.v !== null);
    let reported = 0;
    for (const d of infos) {
      const alts = d.fact.alternatives.filter((a) => a.property === 'board' || a.property === 'product');
      const matches = (board: string) =>
        alts.some((a) => {
          const want = a.value.toLowerCase();
          const have = board.toLowerCase();
          return a.wildcard ? want === '*' || have.startsWith(want.slice(0, -1)) : want === have;
        });
      for (const { f, v } of boards) {
        if (matches(v.value) || reported++ >= MAX_IDENTITY_FINDINGS) continue;
        ctx.report({
          path: d.artifact.path,
          line: d.fact.line,
          message: `${d.fact.line === undefined ? '' : `line ${d.fact.line}: `}android-info.txt requires ${alts[0].property} ${alts.map((a) => `"${a.value}"`).join(' or ')}, but ${describeAt(f, v, ctx.root.name)}`,
        });
      }
    }
  },
};
export default rule;
