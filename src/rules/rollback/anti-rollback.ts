import type { Rule } from '../types';
import { SOURCE_LABEL, type AntiRollbackScheme, type BuildFact } from '../../compat/declarations';
import { buildFactsIn, type Located } from '../../compat/evaluate';
import { samsungBinaryOf } from '../../compat/target';

const CONSEQUENCE: Record<AntiRollbackScheme, string> = {
  'xiaomi-anti': "the ROM's flash script refuses the device, and flashing its images by hand can hard-brick it",
  'samsung-binary': 'the bootloader refuses it ("SW REV CHECK FAIL")',
  avb: 'the bootloader refuses to boot images with a lower rollback index',
};

const NAME: Record<AntiRollbackScheme, string> = {
  'xiaomi-anti': 'anti-rollback level',
  'samsung-binary': 'bootloader binary revision',
  avb: 'AVB rollback index (location 0)',
};

/**
 * The package's anti-rollback level is lower than the device's: Xiaomi's
 * `CURRENT_ANTI_VER` (or `anti_version.txt`) against `fastboot getvar anti`,
 * Samsung's bootloader binary revision (from the AP/BL file names) against
 * the device's (`--bootloader` as a Samsung version, or `--anti-rollback`),
 * or the AVB rollback index of a top-level vbmeta against the index the
 * device stores. `--anti-rollback <n>` is compared with the vendor scheme
 * the package uses (Xiaomi or Samsung), and with the AVB rollback index
 * only when the package has neither.
 */
const rule: Rule = {
  id: 'rollback/anti-rollback',
  description: "The package's anti-rollback level (Xiaomi anti version, Samsung binary revision, AVB rollback index) is lower than the device's",
  defaultSeverity: 'error',
  check(ctx) {
    const t = ctx.target;
    if (!t) return;
    const levels = buildFactsIn(ctx.root).filter((b) => b.fact.key === 'anti-rollback' && b.fact.scheme && /^\d+$/.test(b.fact.value));
    const of = (s: AntiRollbackScheme) => levels.filter((b) => b.fact.scheme === s && (s !== 'avb' || (b.fact.location ?? 0) === 0));
    const vendor: AntiRollbackScheme | null = of('xiaomi-anti').length ? 'xiaomi-anti' : of('samsung-binary').length ? 'samsung-binary' : null;
    const device: Partial<Record<AntiRollbackScheme, { value: number; from: string }>> = {};
    if (t.antiRollback !== undefined) device[vendor ?? 'avb'] = { value: t.antiRollback, from: `--anti-rollback ${t.antiRollback}` };
    const samsung = samsungBinaryOf(t.bootloader);
    if (samsung !== null) device['samsung-binary'] = { value: samsung, from: `--bootloader ${t.bootloader}` };
    for (const scheme of ['xiaomi-anti', 'samsung-binary', 'avb'] as const) {
      const dev = device[scheme];
      const facts = of(scheme);
      if (!dev || facts.length === 0) continue;
      let low: Located<BuildFact> = facts[0];
      for (const f of facts) if (BigInt(f.fact.value) < BigInt(low.fact.value)) low = f;
      if (BigInt(low.fact.value) >= BigInt(dev.value)) continue;
      const at = low.fact.line === undefined ? '' : `line ${low.fact.line}: `;
      ctx.report({
        path: low.artifact.path,
        line: low.fact.line,
        message: `${at}${SOURCE_LABEL[low.fact.source]} gives ${NAME[scheme]} ${low.fact.value} (${low.fact.property}), lower than the device's ${dev.value} (${dev.from}): ${CONSEQUENCE[scheme]}`,
      });
    }
  },
};
export default rule;
