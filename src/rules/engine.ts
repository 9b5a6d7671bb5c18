import { walkArtifacts, type Artifact, type Finding, type Severity } from '../report/model';
import { RULES } from './registry';
import type { Rule, RuleContext } from './types';

export type SeverityOverrides = Record<string, Severity | 'off'>;

/** Runs every rule over the tree; findings come out in rule order, then tree order. */
export function runRules(root: Artifact, overrides: SeverityOverrides = {}, rules: readonly Rule[] = RULES): Finding[] {
  const findings: Finding[] = [];
  const all = [...walkArtifacts(root)];
  for (const rule of rules) {
    const sev = overrides[rule.id] ?? rule.defaultSeverity;
    if (sev === 'off') continue;
    const ctx: RuleContext = {
      root,
      artifacts: () => all,
      *facts(...kinds) {
        for (const artifact of all) for (const fact of artifact.facts) if (kinds.includes(fact.kind)) yield { artifact, fact };
      },
      report: (r) => findings.push({ ruleId: rule.id, severity: sev, path: r.path, message: r.message, ...(r.offset === undefined ? {} : { offset: r.offset }) }),
    };
    rule.check(ctx);
  }
  return findings;
}
