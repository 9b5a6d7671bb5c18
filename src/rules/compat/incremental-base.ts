import type { Rule } from '../types';
import { SOURCE_LABEL } from '../../compat/declarations';
import { declarationsIn, describeValues, evaluate } from '../../compat/evaluate';

const KEYS = ['fingerprint', 'thumbprint', 'incremental'] as const;

/**
 * An incremental OTA patches one particular build: its metadata (`pre-build`,
 * `pre-build-incremental`) or its updater-script (AssertSomeFingerprint)
 * names the builds it applies to, and the device's current build
 * (`--current-build`) is none of them. Recovery refuses it; the user needs
 * the full OTA, or the incremental for their build.
 */
const rule: Rule = {
  id: 'compat/incremental-base',
  description: 'An incremental OTA whose source build is not the build on the device (--current-build)',
  defaultSeverity: 'error',
  check(ctx) {
    const current = ctx.target?.currentBuild;
    if (current === undefined) return;
    for (const { artifact, fact } of declarationsIn(ctx.root)) {
      if (!fact.alternatives.some((a) => (KEYS as readonly string[]).includes(a.key))) continue;
      if (evaluate(fact, ctx.target!, KEYS) !== 'mismatch') continue;
      const at = fact.line === undefined ? '' : `line ${fact.line}: `;
      ctx.report({
        path: artifact.path,
        line: fact.line,
        message: `${at}incremental OTA: ${SOURCE_LABEL[fact.source]} requires the device to run ${describeValues(fact, KEYS)
          .replace(/^fingerprint /, 'build ')
          .replace(/^incremental /, 'incremental ')}; the current build is "${current}"`,
      });
    }
  },
};
export default rule;
