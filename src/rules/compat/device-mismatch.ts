import type { Rule } from '../types';
import { IDENTITY_KEYS, SOURCE_LABEL } from '../../compat/declarations';
import { declarationsIn, describeValues, evaluate, isIdentity, isStrong } from '../../compat/evaluate';

/**
 * The package names the devices it is for, and the target (`--device`,
 * `--model`, `--board`) is not one of them: an enforced check (OTA metadata
 * `pre-device`, an updater-script assert, an android-info.txt `board`, a
 * flash script's product check) that would stop the install, or a build
 * property or Odin file name naming another device or model.
 */
const MAX_FINDINGS = 50;

const rule: Rule = {
  id: 'compat/device-mismatch',
  description: 'The package declares the devices it is for and the target device is not one of them',
  defaultSeverity: 'error',
  check(ctx) {
    const t = ctx.target;
    if (!t || (t.device === undefined && t.model === undefined && t.board === undefined)) return;
    const given = (['device', 'model', 'board'] as const)
      .filter((k) => t[k] !== undefined)
      .map((k) => `${k} "${t[k]}"`)
      .join(', ');
    let reported = 0;
    let unlisted = 0;
    for (const { artifact, fact } of declarationsIn(ctx.root)) {
      if (!isIdentity(fact) || !isStrong(fact) || evaluate(fact, t, IDENTITY_KEYS) !== 'mismatch') continue;
      if (reported >= MAX_FINDINGS) {
        unlisted++;
        continue;
      }
      reported++;
      const at = fact.line === undefined ? '' : `line ${fact.line}: `;
      const verb = fact.negated ? 'rejects' : fact.enforced ? 'requires' : 'declares';
      const stops = fact.enforced ? ' (the flashing tool stops on this check)' : '';
      ctx.report({
        path: artifact.path,
        line: fact.line,
        message: `${at}${SOURCE_LABEL[fact.source]} ${verb} ${describeValues(fact, IDENTITY_KEYS)}${stops}; the target is ${given}`,
      });
    }
    if (unlisted) ctx.report({ path: '', message: `${unlisted} more declarations do not accept the target ${given}; not listed` });
  },
};
export default rule;
