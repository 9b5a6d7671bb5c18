import type { Rule } from '../types';
import type { Artifact } from '../../report/model';
import { MAX_IDENTITY_FINDINGS, describeAt, fieldOf, propertyFilesIn } from '../../compat/identity';

/**
 * boot, init_boot and vendor_boot images in one package that report different
 * security patch levels or OS versions were not built together; bootloaders
 * with rollback protection and keymaster/KeyMint compare these values.
 * A boot or init_boot header's patch level is also compared with the
 * security patch of the system and vendor build.prop in the same package
 * (`ro.build.version.security_patch`, `ro.vendor.build.security_patch`), by
 * year and month as the header keeps them: a build sets all three from the
 * same platform patch level unless told otherwise.
 */
const rule: Rule = {
  id: 'compat/patch-level-mismatch',
  description: 'Boot images in one package (boot, init_boot, vendor_boot) report different security patch levels or OS versions, or a boot header patch level is not that of system or vendor',
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
    const headers = boots.filter((a) => ['boot', 'init_boot'].includes(a.info.kind as string) && typeof a.info.patchLevel === 'string' && /^\d{4}-\d{2}/.test(a.info.patchLevel));
    if (headers.length === 0) return;
    let reported = 0;
    for (const f of propertyFilesIn(ctx.root)) {
      if (f.partition !== 'system' && f.partition !== 'vendor') continue;
      const v = fieldOf(f, 'securityPatch');
      if (!v || !/^\d{4}-\d{2}/.test(v.value)) continue;
      for (const a of headers) {
        const level = (a.info.patchLevel as string).slice(0, 7);
        if (level === v.value.slice(0, 7) || reported++ >= MAX_IDENTITY_FINDINGS) continue;
        ctx.report({ path: a.path, message: `${a.info.kind} header security patch level ${level} is not the ${f.partition} security patch ${v.value.slice(0, 7)}: ${describeAt(f, v, ctx.root.name)}` });
      }
    }
  },
};
export default rule;
