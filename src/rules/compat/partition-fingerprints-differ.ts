import type { Rule } from '../types';
import { MAX_IDENTITY_FINDINGS, describeAt, fieldOf, propertyFilesIn, type Located, type PropertyFile } from '../../compat/identity';

const COMPARED = ['system', 'vendor', 'product', 'odm'];

/**
 * The system, vendor, product and odm partitions of one build carry the same
 * fingerprint (`ro.build.fingerprint`, `ro.vendor.build.fingerprint`,
 * `ro.product.build.fingerprint`, `ro.odm.build.fingerprint`). A package
 * whose partitions give different fingerprints mixes builds: a GSI on an
 * older vendor, a ported system, a hand-assembled package. Some mixes are
 * meant to work (Treble, vendor freeze), many end in a boot loop, hence a warning.
 */
const rule: Rule = {
  id: 'compat/partition-fingerprints-differ',
  description: 'The build.prop of system, vendor, product and odm in one package give different fingerprints (a mixed build)',
  defaultSeverity: 'warning',
  check(ctx) {
    const withFp: { f: PropertyFile; v: Located }[] = [];
    const files = propertyFilesIn(ctx.root);
    for (const p of COMPARED) {
      for (const f of files.filter((x) => x.partition === p)) {
        const v = fieldOf(f, 'fingerprint');
        if (v) withFp.push({ f, v });
      }
    }
    if (withFp.length < 2) return;
    const ref = withFp[0];
    let reported = 0;
    for (const x of withFp.slice(1)) {
      if (x.f.partition === ref.f.partition || x.v.value === ref.v.value) continue;
      if (reported++ >= MAX_IDENTITY_FINDINGS) continue;
      ctx.report({ path: x.f.artifact.path, message: `${x.f.partition} fingerprint "${x.v.value}" (${x.v.property}) differs from ${ref.f.partition}'s: ${describeAt(ref.f, ref.v, ctx.root.name)}` });
    }
  },
};
export default rule;
