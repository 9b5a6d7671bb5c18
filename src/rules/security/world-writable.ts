import type { Rule } from '../types';

/** A world-writable file or directory (not a symlink, not a sticky directory) in a file system image or ramdisk. */
const rule: Rule = {
  id: 'security/world-writable',
  description: 'A world-writable file or directory (other than a sticky directory) in a file system image or ramdisk',
  defaultSeverity: 'warning',
  check(ctx) {
    for (const { artifact, fact } of ctx.facts('fs-entry')) {
      const more = (fact.more as Record<string, number> | undefined)?.['world-writable'];
      if (more) ctx.report({ path: artifact.path, message: `and ${more} more world-writable entries past the ones listed` });
      if (!((fact.reasons as string[] | undefined) ?? []).includes('world-writable')) continue;
      ctx.report({
        path: artifact.path,
        message: `${fact.path as string}: a world-writable ${fact.type as string} (mode ${fact.mode as string}, owner ${fact.uid as number}:${fact.gid as number}); any app or user on the device that reaches it can change it`,
      });
    }
  },
};
export default rule;
