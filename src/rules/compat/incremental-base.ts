import { factSubject, type Rule } from '../types';
import { SOURCE_LABEL } from '../../compat/declarations';
import { declarationsIn, describeValues, evaluate } from '../../compat/evaluate';

const KEYS = ['fingerprint', 'thumbprint', 'incremental'] as const;

/**
 * An incremental OTA patches one particular build: its metadata (`pre-build`,
 * `pre-build-incremental`) or its updater-script (AssertSomeFingerprint)
 * names the builds it applies to, and the device's current build
 * (`--current-build`) is none of them. Recovery refuses it; the user needs
 * the full OTA, or the incremental for their build.
 *
 * With `--base`, an A/B payload's partitions are compared with the base
 * build's images (`payload-base` facts): a partition missing, its SHA-256
 * not old_partition_info's, an operation's source blocks not its
 * src_sha256_hash.
 */
const rule: Rule = {
  id: 'compat/incremental-base',
  description: 'An incremental OTA whose source build is not the build on the device (--current-build) or the base build given (--base)',
  defaultSeverity: 'error',
  check(ctx) {
    // --base: the images of the base build are not those the payload patches.
    for (const { artifact, fact } of ctx.facts('payload-base')) ctx.report({ path: artifact.path, message: fact.message, offset: fact.offset, subject: factSubject(fact) });
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
