import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { FileSource } from '../io/source';
import { Budget, defaultBudget, type BudgetOptions } from '../io/limits';
import { loadXxhash, type HashAlgo } from '../io/hash';
import { UsageError } from '../io/errors';
import { Walker } from './walk';
import { locate } from './locate';
import { openBase, type OpenedBase } from './base';
import { crossCheckAvb } from '../formats/avb-vbmeta/cross-check';
import { avbSignatureSummary } from '../formats/avb-vbmeta/summary';
import { combineSignatureStatus, otaSignatureSummary } from './ota-summary';
import { qcomSignatureSummary } from '../formats/qcom-mbn/summary';
import { sonySignatureSummary } from '../formats/sony-sin/summary';
import { loadKeys } from './keys';
import { NEIGHBOUR_HOOKS } from '../formats/registry';
import type { ExpectedDigest } from '../report/model';
import { runRules, type SeverityOverrides } from '../rules/engine';
import { RULES } from '../rules/registry';
import { compatibilitySummary } from '../compat/evaluate';
import { buildSummary } from '../compat/identity';
import { validateTarget, type Target } from '../compat/target';
import { PASSED_CHECK_KINDS, INTEGRITY_FAILURE_KINDS, type FactKind } from '../facts';
import { walkArtifacts, type Finding, type Report, type Summary, type Artifact, type SignatureStatus } from '../report/model';
import { VERSION } from '../version';
import { notUnderstood, unidentified } from '../formats/unidentified';
import { HASH_OFFLOAD_MIN, hashPool } from '../io/hash-pool';

/** Paths `summary.notUnderstood` lists (it counts them all). */
export const MAX_NOT_UNDERSTOOD_PATHS = 100;

export interface InspectOptions {
  /** Digests computed for every artifact (default sha256). */
  hashes?: HashAlgo[];
  /**
   * `--no-hash`: list the structure (members, headers, directories, declared
   * devices, signature metadata) reading headers and directories only. No
   * digest is computed or compared, so `summary.integrity` is `unchecked`
   * and a signature that needs digests is `unverifiable`, each with a reason.
   */
  noHash?: boolean;
  budget?: Partial<BudgetOptions>;
  severity?: SeverityOverrides;
  /** Look for checksum files next to the input (default true). */
  sidecars?: boolean;
  tempDir?: string;
  onProgress?: (bytesRead: number, path: string) => void;
  /** Called as the input file is read: where in it the last read ended, and its size (progress as a share of the input). */
  onInput?: (position: number, size: number) => void;
  /** The device to check the package against (`--device`, `--current-patch`...): rules read it, `summary.compatibility` judges it. */
  target?: Target;
  /** Keys or certificates to check signatures against (`--key`): file paths, or the bytes of such files. */
  keys?: (string | Buffer)[];
  /**
   * `--base`: the build an incremental A/B payload patches (a full OTA, a
   * factory package, a super image, or a directory of partition images): its
   * partitions are found by name, checked against the payload's old hashes,
   * and the payload's operations applied to them.
   */
  base?: string;
}

/** Fails with a UsageError (exit 2) when the input is not a readable regular file. */
export async function openInput(path: string): Promise<FileSource> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code})`);
  }
  if (st.isDirectory()) throw new UsageError(`${path}: is a directory, not a firmware file`);
  if (!st.isFile()) throw new UsageError(`${path}: not a regular file`);
  try {
    return await FileSource.open(path, basename(path));
  } catch (e) {
    throw new UsageError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

export async function inspect(path: string, opts: InspectOptions = {}): Promise<Report> {
  const target = opts.target ? validateTarget(opts.target) : undefined;
  const src = await openInput(path);
  if (opts.onInput) src.observe = (_start, end) => opts.onInput!(end, src.size);
  let base: OpenedBase | null = null;
  try {
    await loadXxhash();
    const budget = new Budget({ ...defaultBudget(src.size), ...opts.budget });
    const keys = await loadKeys(opts.keys ?? []);
    const noHash = !!opts.noHash;
    // An input this large is hashed on the hashing threads: start them while the headers are read.
    if (!noHash && src.size >= HASH_OFFLOAD_MIN) hashPool()?.warm();
    base = opts.base === undefined ? null : await openBase(opts.base, { tempDir: opts.tempDir });
    const walker = new Walker({ hashes: noHash ? [] : (opts.hashes ?? ['sha256']), budget, tempDir: opts.tempDir, onProgress: opts.onProgress, keys, ...(noHash ? { noHash } : {}), ...(base ? { base } : {}) });
    const expect: ExpectedDigest[] = [];
    let info: Record<string, unknown> | undefined;
    if (opts.sidecars !== false) {
      for (const hook of NEIGHBOUR_HOOKS) {
        const found = await hook.run(path);
        expect.push(...found.expect);
        if (found.info) info = { ...info, ...found.info };
      }
    }
    const root = await walker.walk({ source: src, name: src.name, path: '', depth: 0, expect, info });
    // What vbmeta images say about the other images needs the whole tree (FORMATS.md §5).
    await crossCheckAvb(root, { budget, reread: (p) => locate(src, p, opts.tempDir), walk: (node) => walker.walk(node), ...(noHash ? { noDigests: true } : {}) });
    const findings = runRules(root, opts.severity, RULES, target);
    return { schemaVersion: 1, tool: { name: 'romscope', version: VERSION }, input: { path, size: src.size }, root, findings, summary: summarize(root, findings, target, noHash) };
  } finally {
    await base?.release();
    await src.close();
  }
}

/** `summary.integrity.reason` with --no-hash. */
export const NO_HASH_INTEGRITY = 'not checked (--no-hash): no digest was computed, so no member, image or checksum was compared';

/**
 * With --no-hash a signature verdict that would rest on digests is not
 * given: only a failure or a missing signature, which headers show, stands.
 */
function noHashSignature(v: { status: SignatureStatus; reason: string } | null, formats: string[]): { status: SignatureStatus; reason: string } {
  if (v && (v.status === 'failed' || v.status === 'unsigned')) return v;
  const why = 'not verified (--no-hash): verifying a signature needs digests of what it signs (the whole OTA package, payload.bin, the images vbmeta descriptors cover), and none were computed';
  if (v?.status === 'verified') return { status: 'unverifiable', reason: `${why}; read without them: ${v.reason}` };
  if (v) return { status: 'unverifiable', reason: `${why}; ${v.reason}` };
  return { status: 'unverifiable', reason: `${why} (found: ${formats.join(', ') || 'plain data'})` };
}

function summarize(root: Artifact, findings: Finding[], target?: Target, noHash = false): Summary {
  const all = [...walkArtifacts(root)];
  const count = (kinds: readonly FactKind[]) => all.reduce((n, a) => n + a.facts.filter((f) => kinds.includes(f.kind)).length, 0);
  const passed = count(PASSED_CHECK_KINDS);
  const failed = count(INTEGRITY_FAILURE_KINDS);
  const formats = [...new Set(all.map((a) => a.format))].filter((f) => f !== 'data');
  const signature = combineSignatureStatus(combineSignatureStatus(combineSignatureStatus(avbSignatureSummary(root), otaSignatureSummary(root)), qcomSignatureSummary(root)), sonySignatureSummary(root));
  const build = buildSummary(root);
  const unknown = unidentified(root)
    .filter(notUnderstood)
    .map((u) => u.artifact.path);
  return {
    compatibility: compatibilitySummary(root, target),
    ...(build ? { build } : {}),
    artifacts: all.length,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    infos: findings.filter((f) => f.severity === 'info').length,
    integrity: noHash
      ? { status: failed > 0 ? 'failed' : 'unchecked', checks: passed + failed, failed, reason: NO_HASH_INTEGRITY }
      : { status: failed > 0 ? 'failed' : passed > 0 ? 'verified' : 'unchecked', checks: passed + failed, failed },
    signature: noHash ? noHashSignature(signature, formats) : (signature ?? { status: 'unverifiable', reason: `no signed format found that this version verifies (found: ${formats.join(', ') || 'plain data'})` }),
    notUnderstood: { members: unknown.length, paths: unknown.slice(0, MAX_NOT_UNDERSTOOD_PATHS) },
  };
}
