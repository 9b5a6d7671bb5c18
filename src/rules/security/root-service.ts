import type { Rule } from '../types';
import { SU_NAMES, baseOf } from '../../formats/fs-scan';
import { SU_DOMAIN } from '../../formats/init-rc';

const SHELLS = new Set(['sh', 'bash', 'mksh', 'ash', 'dash', 'zsh', 'ksh']);
const MULTICALL = new Set(['busybox', 'toybox']);

/** What the service does that gives root, as a phrase, or null. */
function danger(exec: string[], user: string | null, seclabel: string | null): string | null {
  const asRoot = user === null || user === 'root' || user === '0';
  const cmd = exec.join(' ');
  const prog = baseOf(exec[0] ?? '');
  const multicall = MULTICALL.has(prog) && SHELLS.has(exec[1] ?? '');
  // An interactive shell: no script file to run and no -c command. A shell running a fixed script as root
  // (`/vendor/bin/sh /vendor/bin/pwm_fan.sh`) is how stock vendor init scripts start helpers; it gives no one a prompt.
  const args = exec.slice(multicall ? 2 : 1);
  const shell = (SHELLS.has(prog) || multicall) && !args.some((a) => a === '-c' || !a.startsWith('-'));
  const rootText = user === null ? 'as root (no user option)' : `as user ${user}`;
  if (seclabel !== null && SU_DOMAIN.test(seclabel)) return `runs ${cmd} in the unconfined SELinux domain ${seclabel}${asRoot ? `, ${rootText}` : ''}`;
  if (!asRoot) return null;
  if (shell) return `runs a shell (${cmd}) ${rootText}`;
  if (SU_NAMES.has(prog)) return `runs a su binary (${cmd}) ${rootText}`;
  return null;
}

/**
 * An init service that gives root: an interactive shell (no script, no -c
 * command) or a su binary started as root, or
 * any service (adbd included) put in the `su` SELinux domain. adbd itself
 * starts as root and drops its privileges unless the build is debuggable
 * (security/debuggable-user-build), so adbd alone is not reported.
 */
const rule: Rule = {
  id: 'security/root-service',
  description: 'An init service that runs an interactive shell or su as root, or any service (adbd...) in the su SELinux domain',
  defaultSeverity: 'warning',
  check(ctx) {
    for (const { artifact, fact } of ctx.facts('init-service')) {
      const exec = (fact.exec as string[] | undefined) ?? [];
      const why = danger(exec, (fact.user as string | null) ?? null, (fact.seclabel as string | null) ?? null);
      if (!why) continue;
      ctx.report({
        path: artifact.path,
        line: fact.line as number | undefined,
        message: `line ${fact.line as number}: service ${fact.service as string} ${why}${fact.disabled ? ' (disabled: started on demand)' : ''}; it gives root to whoever can start it or reach it`,
      });
    }
  },
};
export default rule;
