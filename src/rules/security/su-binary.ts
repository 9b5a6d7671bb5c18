import type { Rule } from '../types';

/**
 * A su binary (or a root kit's: Magisk, SuperSU) in a file system image or a
 * ramdisk, from the `fs-entry` facts the ext4, EROFS and cpio decoders give.
 */
const rule: Rule = {
  id: 'security/su-binary',
  description: 'A su binary (su, daemonsu, magisk, magiskinit...) inside a file system image or ramdisk',
  defaultSeverity: 'warning',
  check(ctx) {
    for (const { artifact, fact } of ctx.facts('fs-entry')) {
      const reasons = (fact.reasons as string[] | undefined) ?? [];
      if (reasons.includes('su')) {
        ctx.report({
          path: artifact.path,
          message: `${fact.path as string}: a su binary (${fact.type as string}, mode ${fact.mode as string}, owner ${fact.uid as number}:${fact.gid as number}); whoever runs it may get root`,
        });
      }
      const more = (fact.more as Record<string, number> | undefined)?.su;
      if (more) ctx.report({ path: artifact.path, message: `and ${more} more su binaries past the ones listed` });
    }
  },
};
export default rule;
