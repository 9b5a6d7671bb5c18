import type { Rule } from '../types';

/**
 * The setuid and setgid files AOSP's own file system configuration
 * (system/core/libcutils/fs_config.cpp, `android_files`) gives those bits,
 * with the mode it gives them. Modern Android ships none in user builds; the
 * debug tools are built for userdebug and eng only, and the Android 4.x/5.x
 * entries were replaced by file capabilities. `system/xbin/su` is left to
 * security/su-binary.
 */
export const KNOWN_SETUID: Readonly<Record<string, number>> = {
  'system/xbin/su': 0o4750,
  'system/xbin/procmem': 0o6755,
  'system/xbin/procrank': 0o6755,
  'system/xbin/librank': 0o6755,
  'system/bin/run-as': 0o6750,
  'system/bin/ping': 0o2755,
  'system/bin/netcfg': 0o2750,
  'system/bin/pppd-ril': 0o4770,
};

/** The file's path as fs_config names it: a system image without system-as-root is mounted at /system. */
function knownMode(path: string): number | undefined {
  return KNOWN_SETUID[path] ?? KNOWN_SETUID[`system/${path}`];
}

const rule: Rule = {
  id: 'security/setuid-file',
  description: "A setuid or setgid file in a file system image or ramdisk that is not in AOSP's fs_config list",
  defaultSeverity: 'warning',
  check(ctx) {
    for (const { artifact, fact } of ctx.facts('fs-entry')) {
      const reasons = ((fact.reasons as string[] | undefined) ?? []).filter((r) => r === 'setuid' || r === 'setgid');
      const more = fact.more as Record<string, number> | undefined;
      if (more && (more.setuid || more.setgid)) ctx.report({ path: artifact.path, message: `and ${(more.setuid ?? 0) + (more.setgid ?? 0)} more setuid or setgid files past the ones listed` });
      if (reasons.length === 0) continue;
      const path = fact.path as string;
      const mode = parseInt(fact.mode as string, 8);
      const known = knownMode(path);
      if (known !== undefined && (mode & ~known & 0o7777) === 0) continue;
      const owner = `${fact.uid as number}:${fact.gid as number}`;
      ctx.report({
        path: artifact.path,
        message: `${path}: ${reasons.join(' and ')} (mode ${fact.mode as string}, owner ${owner})${known !== undefined ? `, more than AOSP's 0${known.toString(8)}` : ", not in AOSP's list of setuid/setgid files"}; it runs with its owner's${reasons.includes('setgid') ? ' or group' : ''} privileges whoever starts it`,
      });
    }
  },
};
export default rule;
