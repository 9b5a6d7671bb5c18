/**
 * Finding fingerprints (docs/baselines.md): what makes a finding the same
 * finding in the next run, or the next build, so a baseline can suppress it.
 * A fingerprint is the SHA-256 of the rule id, the artifact path and the
 * subject (what the finding is about inside the artifact: a fact's kind and
 * the subject its decoder named), never the message (it carries sizes,
 * digests, offsets that change from build to build), the order of findings,
 * the time or the input's path on this machine. Findings that share all three
 * (one rule reporting the same kind of problem twice on one artifact) are
 * told apart by their order among themselves: `#2`, `#3`...
 */
import { createHash } from 'node:crypto';
import type { Finding } from './model';

/** The fingerprint of a rule id, artifact path and subject, with the occurrence number among equals (1 for the first). */
export function fingerprint(ruleId: string, path: string, subject: string, occurrence = 1): string {
  const key = `${ruleId}\0${path}\0${subject}${occurrence > 1 ? `\0#${occurrence}` : ''}`;
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** Sets `fingerprint` on each finding; `subjects[i]` is finding i's subject (none: ''). */
export function setFingerprints(findings: Finding[], subjects: readonly (string | undefined)[]): void {
  const seen = new Map<string, number>();
  findings.forEach((f, i) => {
    const subject = subjects[i] ?? '';
    const key = `${f.ruleId}\0${f.path}\0${subject}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    f.fingerprint = fingerprint(f.ruleId, f.path, subject, n);
  });
}
