import type { Rule } from '../types';
import { SOURCE_LABEL, type BuildFact, type DeclarationSource } from '../../compat/declarations';
import { buildFactsIn, type Located } from '../../compat/evaluate';
import { comparePatch } from '../../compat/target';
import { isoSeconds } from '../../io/time';

/** Sources in the order they are believed: what the installer checks first, what only describes an image last. */
const PRIORITY: DeclarationSource[] = ['ota-metadata', 'updater-script', 'build-prop', 'boot-header'];
/** Within build properties: the build's own key before a partition's copy. */
const PREFERRED = new Set(['post-timestamp', 'post-security-patch-level', 'AssertOlderBuild', 'ro.build.date.utc', 'ro.build.version.security_patch']);

function best(facts: Located<BuildFact>[]): Located<BuildFact> | null {
  for (const s of PRIORITY) {
    const from = facts.filter((f) => f.fact.source === s);
    if (from.length) return from.find((f) => PREFERRED.has(f.fact.property)) ?? from[0];
  }
  return null;
}

function date(seconds: number): string {
  return isoSeconds(seconds)?.slice(0, 10) ?? `${seconds} s after 1970`;
}

/**
 * The package installs a build older than the one on the device: its build
 * time (OTA metadata `post-timestamp`, an updater-script AssertOlderBuild,
 * `ro.build.date.utc`) is before `--current-timestamp`, or its security
 * patch level (`post-security-patch-level`, `ro.build.version.security_patch`,
 * a boot image's patch level) is before `--current-patch`. A package built
 * as a downgrade says so (`ota-downgrade=yes` for the build time,
 * `spl-downgrade=yes` for the patch level) and is not reported.
 */
const rule: Rule = {
  id: 'rollback/downgrade',
  description: 'The package installs an older build or security patch level than the device has (--current-timestamp, --current-patch)',
  defaultSeverity: 'error',
  check(ctx) {
    const t = ctx.target;
    if (!t || (t.currentTimestamp === undefined && t.currentPatch === undefined)) return;
    const builds = buildFactsIn(ctx.root);
    const flag = (k: string) => builds.find((b) => b.fact.key === k);
    const report = (b: Located<BuildFact>, message: string) => ctx.report({ path: b.artifact.path, line: b.fact.line, message: `${b.fact.line === undefined ? '' : `line ${b.fact.line}: `}${message}` });

    if (t.currentTimestamp !== undefined) {
      const ts = best(builds.filter((b) => b.fact.key === 'timestamp'));
      const allowed = flag('downgrade');
      if (ts && Number(ts.fact.value) < t.currentTimestamp && (ts.fact.enforced || !allowed)) {
        const v = Number(ts.fact.value);
        const what = `${SOURCE_LABEL[ts.fact.source]} ${ts.fact.property} ${v} (${date(v)}) is older than the build on the device (--current-timestamp ${t.currentTimestamp}, ${date(t.currentTimestamp)})`;
        report(
          ts,
          ts.fact.enforced ? `${what}: the updater-script aborts on such a device` : `${what} and the package does not declare a downgrade (ota-downgrade=yes): recovery refuses it, and going back needs a data wipe`,
        );
      }
    }
    if (t.currentPatch !== undefined) {
      const sp = best(builds.filter((b) => b.fact.key === 'security-patch'));
      const c = sp ? comparePatch(sp.fact.value, t.currentPatch) : null;
      if (sp && c !== null && c < 0 && !flag('spl-downgrade')) {
        const by = flag('downgrade') ? ' (ota-downgrade=yes does not cover the patch level; spl-downgrade=yes does)' : '';
        report(
          sp,
          `${SOURCE_LABEL[sp.fact.source]} ${sp.fact.property} ${sp.fact.value} is older than the device's security patch level ${t.currentPatch}${by}: ` +
            'devices with rollback protection refuse to boot it or lose their keys, and it reopens fixed vulnerabilities',
        );
      }
    }
  },
};
export default rule;
