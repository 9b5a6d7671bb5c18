import type { Rule } from '../types';
import type { BuildFact } from '../../compat/declarations';
import { buildFactsIn, releaseClaim, where, type Located } from '../../compat/evaluate';

/** Properties that open a device to anyone with a USB cable, and the values that do it. */
export const DEBUG_PROPERTIES: readonly [string, string, string][] = [
  ['ro.debuggable', '1', 'every app debuggable and adb root allowed'],
  ['ro.secure', '0', 'adbd runs as root'],
  ['ro.adb.secure', '0', 'adb connections are not authorised'],
  ['service.adb.root', '1', 'adbd restarts as root'],
];

/**
 * A build presented as a release (`user` type or `release-keys`) whose
 * property files turn on debugging: `ro.debuggable=1`, `ro.secure=0`,
 * `ro.adb.secure=0` or `service.adb.root=1`. One finding per property file.
 */
const rule: Rule = {
  id: 'security/debuggable-user-build',
  description: 'A user or release-keys build whose properties make it debuggable (ro.debuggable=1, ro.secure=0, ro.adb.secure=0, service.adb.root=1)',
  defaultSeverity: 'warning',
  check(ctx) {
    const claims: [Located<BuildFact>, string][] = [];
    for (const b of buildFactsIn(ctx.root)) {
      const why = releaseClaim(b.fact);
      if (why) claims.push([b, why]);
    }
    if (claims.length === 0) return;
    for (const a of ctx.artifacts()) {
      if (a.format !== 'build-prop') continue;
      const props = a.info.properties as Record<string, unknown> | undefined;
      if (!props || typeof props !== 'object') continue;
      const bad = DEBUG_PROPERTIES.filter(([k, v]) => props[k] === v);
      if (bad.length === 0) continue;
      const [c, why] = claims.find(([x]) => x.artifact === a) ?? claims[0];
      ctx.report({
        path: a.path,
        message: `${bad.map(([k, v, what]) => `${k}=${v} (${what})`).join(', ')}, yet the build is presented as a release (${where(c.artifact, c.fact, ctx.root.name)}: ${why})`,
      });
    }
  },
};
export default rule;
