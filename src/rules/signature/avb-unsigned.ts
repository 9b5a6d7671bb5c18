/**
 * A vbmeta image with algorithm NONE that nothing else in the package
 * verifies. A footer vbmeta left unsigned is normal when another vbmeta
 * (the top-level vbmeta.img, vbmeta_system.img) holds a hash or hashtree
 * descriptor for that partition: src/formats/avb-vbmeta/cross-check.ts records that
 * cover on the fact (`coveredBy`), and a chained image that is unsigned is
 * signature/avb-chain-key's finding, not this one's.
 */
import type { Rule } from '../types';

const rule: Rule = {
  id: 'signature/avb-unsigned',
  description: 'An AVB vbmeta image that is not signed (algorithm NONE) and that nothing else in the package verifies',
  defaultSeverity: 'warning',
  check(ctx) {
    for (const { artifact, fact } of ctx.facts('avb-unsigned')) {
      if (Array.isArray(fact.coveredBy) && fact.coveredBy.length > 0) continue;
      if (artifact.info.role === 'chained') continue;
      ctx.report({ path: artifact.path, message: 'not signed (algorithm NONE), and no other vbmeta in the package has a hash or hashtree descriptor for this image' });
    }
  },
};
export default rule;
