/**
 * `summary.signature` for OTA packages and A/B payloads, from the facts of
 * the whole-file, JAR and payload signature checks, and how it combines with
 * another verdict (AVB's): failed beats verified beats unsigned beats
 * unverifiable.
 */
import { walkArtifacts, type Artifact, type SignatureStatus } from '../report/model';
import { factSpec, signatureKinds, type FactKind } from '../facts';
import { andMore } from '../report/lists';

export interface SignatureVerdict {
  status: SignatureStatus;
  reason: string;
}

const FAILED = signatureKinds('ota', 'failed');
const VERIFIED = signatureKinds('ota', 'verified');
const UNSIGNED = signatureKinds('ota', 'unsigned');
const UNVERIFIABLE = signatureKinds('ota', 'unverifiable');
/** What a verified kind verified, as the reason names it. */
const what = (kind: FactKind): string => factSpec(kind).signature?.what ?? kind;

export function otaSignatureSummary(root: Artifact): SignatureVerdict | null {
  const found = (kinds: readonly FactKind[]) => {
    const out: { a: Artifact; message: string; kind: FactKind; signer?: string }[] = [];
    for (const a of walkArtifacts(root)) {
      for (const f of a.facts) if (kinds.includes(f.kind)) out.push({ a, message: f.message, kind: f.kind, signer: typeof f.signer === 'string' ? f.signer : undefined });
    }
    return out;
  };
  const where = (a: Artifact) => a.path || a.name;
  const failed = found(FAILED);
  if (failed.length) return { status: 'failed', reason: `${where(failed[0].a)}: ${failed[0].message}${andMore(failed.length, 1)}` };
  const ok = found(VERIFIED);
  if (ok.length) {
    const parts = [...new Set(ok.map((o) => `${what(o.kind)} of ${where(o.a)}${o.signer ? ` (signer ${o.signer})` : ''}`))];
    return { status: 'verified', reason: `verified: ${parts.join('; ')}` };
  }
  const unsigned = found(UNSIGNED);
  if (unsigned.length) return { status: 'unsigned', reason: `${where(unsigned[0].a)}: ${unsigned[0].message}` };
  const unchecked = found(UNVERIFIABLE);
  if (unchecked.length) return { status: 'unverifiable', reason: `${where(unchecked[0].a)} is signed, but there is no key to check it against (pass --key, or inspect the OTA package whose otacert signs it)` };
  return null;
}

const RANK: Record<SignatureStatus, number> = { failed: 3, verified: 2, unsigned: 1, unverifiable: 0 };

/** The stronger of two verdicts (failed > verified > unsigned > unverifiable); either may be absent. */
export function combineSignatureStatus(a: SignatureVerdict | null, b: SignatureVerdict | null): SignatureVerdict | null {
  if (!a) return b;
  if (!b) return a;
  if (RANK[a.status] !== RANK[b.status]) return RANK[a.status] > RANK[b.status] ? a : b;
  return a.status === 'verified' ? { status: 'verified', reason: `${a.reason}; ${b.reason}` } : a;
}
