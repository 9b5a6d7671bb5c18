/**
 * `summary.signature` for Qualcomm signed images, from the facts of
 * ./signature: a failed signature beats a verified one, which beats an
 * unsigned image, which beats one that could not be verified (each reason
 * names the image and says why).
 */
import { walkArtifacts, type Artifact } from '../../report/model';
import { signatureKinds } from '../../facts';
import { andMore } from '../../report/lists';
import type { SignatureVerdict } from '../../pipeline/ota-summary';

const ORDER = (['failed', 'verified', 'unsigned', 'unverifiable'] as const).map((status) => ({ status, kinds: signatureKinds('qcom', status) }));

export function qcomSignatureSummary(root: Artifact): SignatureVerdict | null {
  for (const { status, kinds } of ORDER) {
    const found: { a: Artifact; message: string }[] = [];
    for (const a of walkArtifacts(root)) for (const f of a.facts) if (kinds.includes(f.kind)) found.push({ a, message: f.message });
    if (found.length === 0) continue;
    const where = (a: Artifact) => a.path || a.name;
    if (status === 'verified') return { status, reason: `verified: the image signature of ${[...new Set(found.map((f) => where(f.a)))].join(', ')}` };
    return { status, reason: `${where(found[0].a)}: ${found[0].message}${andMore(found.length, 1)}` };
  }
  return null;
}
