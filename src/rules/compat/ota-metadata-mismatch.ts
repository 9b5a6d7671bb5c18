import type { Rule } from '../types';
import { buildFactsIn, declarationsIn } from '../../compat/evaluate';
import { MAX_IDENTITY_FINDINGS, PARTITIONS, describeAt, fieldOf, propertyFilesIn, type PropertyFile } from '../../compat/identity';

/** Android derives `ro.product.device` from the partitions in this order (the plain key first). */
const DEVICE_ORDER = ['product', 'odm', 'vendor', 'system_ext', 'system'];
const GENERIC_DEVICE = /^generic(_|$)/;

/** The package an OTA metadata file belongs to: its path up to `META-INF/`. */
function packagePrefix(path: string): string {
  const i = path.indexOf('META-INF/');
  return i < 0 ? '' : path.slice(0, i);
}

/**
 * The OTA metadata says what build the package installs (`post-build`,
 * `post-security-patch-level`, `post-timestamp`) and for which device
 * (`pre-device`); the system image inside it (a full payload's partitions,
 * a block OTA's rebuilt image, a file-based OTA's `system/build.prop`) says
 * it too. Recovery and update_engine trust the metadata; the device boots
 * what the images hold.
 */
const rule: Rule = {
  id: 'compat/ota-metadata-mismatch',
  description: "The OTA metadata's post-build, post-security-patch-level, post-timestamp or pre-device disagrees with the build.prop of the images in the package",
  defaultSeverity: 'error',
  check(ctx) {
    const meta = buildFactsIn(ctx.root).filter((b) => b.fact.source === 'ota-metadata');
    const devices = declarationsIn(ctx.root).filter((d) => d.fact.source === 'ota-metadata' && d.fact.alternatives.some((a) => a.property === 'pre-device'));
    if (meta.length === 0 && devices.length === 0) return;
    const files = propertyFilesIn(ctx.root);
    if (files.length === 0) return;
    let reported = 0;
    const report = (path: string, line: number | undefined, message: string) => {
      if (reported++ < MAX_IDENTITY_FINDINGS) ctx.report({ path, line, message: `${line === undefined ? '' : `line ${line}: `}${message}` });
    };
    const within = (path: string) => files.filter((f) => f.artifact.path.startsWith(packagePrefix(path)));
    const system = (path: string): PropertyFile[] => {
      const mine = within(path);
      const sys = mine.filter((f) => f.partition === 'system');
      return sys.length ? sys : mine.filter((f) => f.props['ro.build.fingerprint'] !== undefined);
    };

    const checks = [
      { property: 'post-build', field: 'fingerprint', same: (a: string, b: string) => a === b },
      { property: 'post-security-patch-level', field: 'securityPatch', same: (a: string, b: string) => a === b },
      { property: 'post-timestamp', field: 'buildDate', same: (a: string, b: string) => Number(a) === Number(b) },
    ] as const;
    for (const c of checks) {
      const facts = meta.filter((b) => b.fact.property === c.property);
      if (facts.length === 0) continue;
      const allowed = facts.map((b) => b.fact.value);
      for (const f of system(facts[0].artifact.path)) {
        const v = fieldOf(f, c.field);
        if (!v || allowed.some((a) => c.same(a, v.value))) continue;
        const m = facts[0];
        report(m.artifact.path, m.fact.line, `OTA metadata ${c.property} "${allowed.join('|')}" is not what the image says: ${describeAt(f, v, ctx.root.name)}`);
      }
    }

    for (const d of devices) {
      const allowed = d.fact.alternatives.filter((a) => a.property === 'pre-device').map((a) => a.value);
      const mine = within(d.artifact.path);
      let found: { f: PropertyFile; v: { value: string; property: string } } | null = null;
      for (const p of [...DEVICE_ORDER, ...PARTITIONS]) {
        for (const f of mine.filter((x) => x.partition === p)) {
          const v = fieldOf(f, 'device');
          if (v && !GENERIC_DEVICE.test(v.value)) {
            found = { f, v };
            break;
          }
        }
        if (found) break;
      }
      if (!found || allowed.includes(found.v.value)) continue;
      report(d.artifact.path, d.fact.line, `OTA metadata pre-device "${allowed.join('|')}" does not include the device the images are built for: ${describeAt(found.f, found.v, ctx.root.name)}`);
    }
    if (reported > MAX_IDENTITY_FINDINGS) ctx.report({ path: '', message: `${reported - MAX_IDENTITY_FINDINGS} more disagreements between OTA metadata and images; not listed` });
  },
};
export default rule;
