import { walkArtifacts, type Artifact, type Finding, type Severity } from '../report/model';
import { RULES } from './registry';
import type { Rule, RuleContext } from './types';
import type { Target } from '../compat/target';
import { setFingerprints } from '../report/fingerprint';

export type SeverityOverrides = Record<string, Severity | 'off'>;

/** Runs every rule over the tree; findings come out in rule order, then tree order. `target` reaches rules as `ctx.target`. */
export function runRules(root: Artifact, overrides: SeverityOverrides = {}, rules: readonly Rule[] = RULES, target?: Target): Finding[] {
  const findings: Finding[] = [];
  const subjects: (string | undefined)[] = [];
  const all = [...walkArtifacts(root)];
  for (const rule of rules) {
    const override = overrides[rule.id];
    if (override === 'off') continue;
    const ctx: RuleContext = {
      root,
      artifacts: () => all,
      *facts(...kinds) {
        for (const artifact of all) for (const fact of artifact.facts) if (kinds.includes(fact.kind)) yield { artifact, fact };
      },
      report: (r) => {
        subjects.push(r.subject);
        findings.push({
          ruleId: rule.id,
          severity: override ?? r.severity ?? rule.defaultSeverity,
          path: r.path,
          message: r.message,
          ...(r.offset === undefined ? {} : { offset: r.offset }),
          ...(r.line === undefined ? {} : { line: r.line }),
          fingerprint: '',
        });
      },
      ...(target ? { target } : {}),
    };
    rule.check(ctx);
  }
  setFingerprints(findings, subjects);
  return findings;
}
