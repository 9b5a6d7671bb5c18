import type { Artifact, Fact, Severity } from '../report/model';
import type { Target } from '../compat/target';
import type { FactKind } from '../facts';

export interface RuleReport {
  path: string;
  message: string;
  offset?: number;
  /** 1-based line of a text artifact the finding is about. */
  line?: number;
  /** This finding's severity when the user sets none for the rule (a rule whose findings differ in weight); the rule's default otherwise. */
  severity?: Severity;
  /**
   * What the finding is about inside its artifact, in words that stay the same from one build to the next (a
   * partition name, a property, a listed file), never the message: with the rule id and the path it makes the
   * finding's fingerprint (src/report/fingerprint.ts).
   */
  subject?: string;
}

/** What a rule sees: the whole artifact tree, the facts in it, and a way to report. */
export interface RuleContext {
  root: Artifact;
  artifacts(): Iterable<Artifact>;
  /** Every fact of the given kinds, with the artifact it is on. */
  facts(...kinds: FactKind[]): Iterable<{ artifact: Artifact; fact: Fact }>;
  report(r: RuleReport): void;
  /** The device the package is checked against (`check --device ...`); absent when none was given. */
  target?: Target;
}

/**
 * A rule: a stable id (`area/name`, never renamed once released), a one-line
 * description, a default severity the user may override, and a check over the
 * artifact tree. Its doc page is docs/rules/<area>/<name>.md.
 */
export interface Rule {
  id: string;
  description: string;
  defaultSeverity: Severity;
  check(ctx: RuleContext): void;
}

/** A fact's subject for fingerprints: the one its decoder gave (`subject`), else its kind. */
export function factSubject(fact: Fact): string {
  return typeof fact.subject === 'string' ? `${fact.kind}:${fact.subject}` : fact.kind;
}

/** The common shape: one finding for every fact of the given kinds. */
export function factRule(id: string, description: string, defaultSeverity: Severity, kinds: FactKind[]): Rule {
  return {
    id,
    description,
    defaultSeverity,
    check(ctx) {
      for (const { artifact, fact } of ctx.facts(...kinds)) {
        ctx.report({ path: artifact.path, message: fact.message, offset: fact.offset, subject: factSubject(fact) });
      }
    },
  };
}
