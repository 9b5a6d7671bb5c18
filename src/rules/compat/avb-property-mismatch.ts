import type { Rule } from '../types';
import { MAX_IDENTITY_FINDINGS, describeAt, fieldOf, filesOfPartition, propertyFilesIn, type IdentityField } from '../../compat/identity';

/** `com.android.build.<partition>.<name>` → the build.prop field it repeats. */
const FIELDS: Record<string, IdentityField> = { fingerprint: 'fingerprint', security_patch: 'securityPatch', os_version: 'release' };
const KEY = /^com\.android\.build\.([a-z0-9_]+)\.(fingerprint|security_patch|os_version)$/;

/** The directory holding an artifact: `system.img/` for `system.img/vbmeta`, '' at the top. */
function parentPrefix(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

/**
 * A vbmeta repeats a partition's fingerprint, security patch and Android
 * version as property descriptors (`com.android.build.system.fingerprint`...),
 * signed with the rest of it; Android's `ro.<partition>.build.*` values come
 * from the partition's own build.prop. When they disagree, the image and the
 * vbmeta describing it are from different builds (an image replaced or
 * rebuilt after signing), or the vbmeta was made for another build.
 */
const rule: Rule = {
  id: 'compat/avb-property-mismatch',
  description: "A vbmeta's com.android.build.<partition> fingerprint, security patch or OS version disagrees with that partition's build.prop",
  defaultSeverity: 'error',
  check(ctx) {
    const files = propertyFilesIn(ctx.root);
    if (files.length === 0) return;
    let reported = 0;
    for (const a of ctx.artifacts()) {
      if (a.format !== 'avb-vbmeta' || !Array.isArray(a.info.descriptors)) continue;
      for (const d of a.info.descriptors as Record<string, unknown>[]) {
        if (d.type !== 'property' || typeof d.key !== 'string' || typeof d.value !== 'string') continue;
        const m = KEY.exec(d.key);
        if (!m) continue;
        const partition = m[1] === 'boot' ? 'bootimage' : m[1];
        const field = FIELDS[m[2]];
        // The image a footer vbmeta sits in, else the package the vbmeta.img is in.
        for (const f of filesOfPartition(files, partition, parentPrefix(a.path))) {
          const v = fieldOf(f, field);
          if (!v) continue;
          // A preview build's os_version is its codename (ro.build.version.release_or_codename).
          const codename = field === 'release' ? (f.props[`ro.${partition}.build.version.release_or_codename`] ?? f.props['ro.build.version.release_or_codename']) : undefined;
          if (v.value === d.value || codename === d.value) continue;
          if (reported++ < MAX_IDENTITY_FINDINGS) {
            ctx.report({ path: a.path, offset: typeof d.offset === 'number' ? d.offset : undefined, message: `vbmeta property ${d.key} is "${d.value}", but ${describeAt(f, v, ctx.root.name)}` });
          }
        }
      }
    }
    if (reported > MAX_IDENTITY_FINDINGS) ctx.report({ path: '', message: `${reported - MAX_IDENTITY_FINDINGS} more disagreements between vbmeta properties and build.prop; not listed` });
  },
};
export default rule;
