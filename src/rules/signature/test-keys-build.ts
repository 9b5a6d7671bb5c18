import type { Rule } from '../types';
import { SOURCE_LABEL, type BuildFact } from '../../compat/declarations';
import { buildFactsIn, releaseClaim, tagList, where, type Located } from '../../compat/evaluate';
import { parseFingerprint } from '../../compat/target';

function testKeys(f: BuildFact): boolean {
  if (f.key === 'tags') return tagList(f.value).includes('test-keys');
  if (f.key === 'fingerprint') {
    const fp = parseFingerprint(f.value);
    return !!fp && tagList(fp.tags).includes('test-keys');
  }
  return false;
}

/**
 * A build signed with the AOSP test keys (`ro.build.tags=test-keys`, or a
 * fingerprint ending in `/test-keys`) that is presented as a release: a
 * `user` build type, or a fingerprint or tags elsewhere in the package saying
 * `release-keys`. The test keys' private halves are public, so anyone can
 * sign an update such a build accepts. Development builds (`userdebug`,
 * `eng`) with test keys are not reported.
 */
const rule: Rule = {
  id: 'signature/test-keys-build',
  description: 'A build signed with the public AOSP test keys (ro.build.tags=test-keys) that is presented as a release',
  defaultSeverity: 'warning',
  check(ctx) {
    const builds = buildFactsIn(ctx.root);
    const claims: [Located<BuildFact>, string][] = [];
    for (const b of builds) {
      const r = releaseClaim(b.fact);
      if (r) claims.push([b, r]);
    }
    if (claims.length === 0) return;
    const done = new Set<string>();
    for (const b of builds) {
      if (!testKeys(b.fact) || done.has(b.artifact.path)) continue;
      done.add(b.artifact.path);
      const [c, why] = claims.find(([x]) => x.artifact === b.artifact) ?? claims[0];
      const at = b.fact.line === undefined ? '' : `line ${b.fact.line}: `;
      ctx.report({
        path: b.artifact.path,
        line: b.fact.line,
        message: `${at}${SOURCE_LABEL[b.fact.source]} ${b.fact.property} is "${b.fact.value}": signed with the public AOSP test keys, yet presented as a release (${where(c.artifact, c.fact, ctx.root.name)}: ${why}); anyone can sign updates such a build accepts`,
      });
    }
  },
};
export default rule;
