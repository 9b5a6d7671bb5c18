import type { Rule } from '../types';
import { SOURCE_LABEL } from '../../compat/declarations';
import { declarationsIn, describeValues, evaluate } from '../../compat/evaluate';

/**
 * The package requires bootloader versions (android-info.txt `require
 * version-bootloader=`, an updater-script `getprop("ro.bootloader") == ...`
 * assert, OTA metadata `pre-bootloader`) and the device's (`--bootloader`)
 * is not one of them. fastboot's `update` and recovery stop there; flash the
 * bootloader the package asks for first (a factory image's flash-all script
 * does that before `fastboot update`).
 */
const rule: Rule = {
  id: 'compat/bootloader-mismatch',
  description: 'The package requires bootloader versions and the device bootloader (--bootloader) is not one of them',
  defaultSeverity: 'warning',
  check(ctx) {
    if (ctx.target?.bootloader === undefined) return;
    for (const { artifact, fact } of declarationsIn(ctx.root)) {
      if (!fact.alternatives.some((a) => a.key === 'bootloader')) continue;
      if (evaluate(fact, ctx.target, ['bootloader']) !== 'mismatch') continue;
      const at = fact.line === undefined ? '' : `line ${fact.line}: `;
      ctx.report({
        path: artifact.path,
        line: fact.line,
        message: `${at}${SOURCE_LABEL[fact.source]} ${fact.negated ? 'rejects' : 'requires'} ${describeValues(fact, ['bootloader'])}; the device bootloader is "${ctx.target.bootloader}"`,
      });
    }
  },
};
export default rule;
