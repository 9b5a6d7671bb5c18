/**
 * `summary.signature` for Sony `.sin` images: their signatures are never
 * verified (Sony's keys and scheme are not public), so the verdict is
 * `unverifiable`, naming the images and the reason. It ranks below every
 * other scheme's verdict (src/pipeline/ota-summary.ts).
 */
import { walkArtifacts, type Artifact } from '../../report/model';
import { signatureKinds } from '../../facts';
import { andMore } from '../../report/lists';
import type { SignatureVerdict } from '../../pipeline/ota-summary';
import { SIN_SIGNATURE_REASON } from '.';

const UNCHECKED = signatureKinds('sony', 'unverifiable');

export function sonySignatureSummary(root: Artifact): SignatureVerdict | null {
  const where: string[] = [];
  for (const a of walkArtifacts(root)) if (a.facts.some((f) => UNCHECKED.includes(f.kind))) where.push(a.path || a.name);
  if (where.length === 0) return null;
  return { status: 'unverifiable', reason: `the Sony SIN signature of ${where.slice(0, 3).join(', ')}${andMore(where.length, 3)} is not verified: ${SIN_SIGNATURE_REASON}` };
}
