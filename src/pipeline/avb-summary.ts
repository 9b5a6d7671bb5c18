/**
 * `summary.signature` from the AVB facts (report-format.md#summarysignature):
 *
 * - failed: any vbmeta signature or hash fails, a chained image is signed by
 *   another key than its chain descriptor names, or a shipped image differs
 *   from its hash or hashtree descriptor;
 * - verified: otherwise, when every top-level vbmeta verifies;
 * - unsigned: otherwise, when a top-level vbmeta is not signed;
 * - unverifiable: a top-level vbmeta that could not be checked (malformed).
 *
 * Null when the package holds no vbmeta: the caller keeps its own reason.
 */
import { walkArtifacts, type Artifact, type SignatureStatus } from '../report/model';

export const SIGNATURE_FAILURE_KINDS = ['avb-signature', 'avb-chain-key', 'avb-hash', 'avb-hashtree'];

function name(a: Artifact): string {
  return a.path === '' ? a.name : a.path;
}

export function avbSignatureSummary(root: Artifact): { status: SignatureStatus; reason: string } | null {
  const vbmetas = [...walkArtifacts(root)].filter((a) => a.format === 'avb-vbmeta');
  if (vbmetas.length === 0) return null;
  const failures = vbmetas.flatMap((a) => a.facts.filter((f) => SIGNATURE_FAILURE_KINDS.includes(f.kind)).map((f) => ({ a, f })));
  if (failures.length) {
    const first = failures[0];
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more failed check${failures.length > 2 ? 's' : ''})` : '';
    return { status: 'failed', reason: `${name(first.a)}: ${first.f.message}${more}` };
  }
  let top = vbmetas.filter((a) => a.info.role === 'top-level');
  // A boot image whose only vbmeta is its GKI boot signature: that signature is what there is to verify.
  if (top.length === 0) top = vbmetas.filter((a) => a.info.role === 'gki-boot-signature');
  if (top.length === 0) top = vbmetas;
  const by = (s: string) => top.filter((a) => a.info.signature === s);
  const list = (as: Artifact[]) => as.map(name).join(', ');
  const unverifiable = by('unverifiable');
  if (unverifiable.length) {
    const why = unverifiable[0].facts.find((f) => f.kind === 'avb-invalid' || f.kind === 'truncated')?.message ?? 'malformed';
    return { status: 'unverifiable', reason: `${list(unverifiable)} could not be checked: ${why}` };
  }
  const unsigned = by('unsigned');
  if (unsigned.length)
    return { status: 'unsigned', reason: `${list(unsigned)} ${unsigned.length > 1 ? 'are' : 'is'} not signed (AVB algorithm NONE) and nothing in the package verifies ${unsigned.length > 1 ? 'them' : 'it'}` };
  const chained = vbmetas.filter((a) => a.info.role === 'chained').length;
  const digests = vbmetas.reduce((n, a) => n + a.facts.filter((f) => f.kind === 'avb-hash-ok' || f.kind === 'avb-hashtree-ok').length, 0);
  const keys = top.map((a) => {
    const k = a.info.publicKey as { sha1?: string; name?: string; testKey?: boolean } | undefined;
    const flags = Array.isArray(a.info.flagNames) ? `, flags ${a.info.flagNames.join(', ')}` : '';
    return `${name(a)} (${a.info.algorithm}, key ${k?.name ? `${k.name}${k.testKey ? ', a public test key' : ''}` : `sha1 ${k?.sha1}`}${flags})`;
  });
  const extra = [chained ? `${chained} chained vbmeta${chained > 1 ? 's' : ''} signed with the expected keys` : '', digests ? `${digests} image digest${digests > 1 ? 's' : ''} match` : ''].filter(Boolean);
  return { status: 'verified', reason: `AVB signature verified: ${keys.join('; ')}${extra.length ? `; ${extra.join(', ')}` : ''}` };
}
