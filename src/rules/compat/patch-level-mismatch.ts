import type { Rule } from '../types';
import type { Artifact } from '../../report/model';

/**
 * boot, init_boot and vendor_boot images in one package that report different
 * security patch levels or OS versions were not built together; bootloaders
 * with rollback protection and keymaster/KeyMint compare these values.
 */
const rule: Rule = {
  id: 'compat/patch-level-mismatch',
  description: 'Boot images in one package (boot, init_boot, vendor_boot) report different security patch levels or OS versions',
  defaultSeverity: 'warning',
  check(ctx) {
    const boots = [...ctx.artifacts()].filter((a) => a.format === 'android-boot' && ['boot', 'init_boot', 'vendor_boot'].includes(a.info.kind as string));
    for (const field of ['patchLevel', 'osVersion'] as const) {
      const withValue = boots.filter((a) => typeof a.info[field] === 'string');
      if (withValue.length < 2) continue;
      const first: Artifact = withValue[0];
      for (const a of withValue.slice(1)) {
        if (a.info[field] !== first.info[field]) {
          const what = field === 'patchLevel' ? 'security patch level' : 'OS version';
          ctx.report({ path: a.path, message: `${what} ${a.info[field]} differs from ${first.path || 'the input'} (${first.info.kind}: ${first.info[field]})` });
        }
      }
    }
  },
};
export default rule;
