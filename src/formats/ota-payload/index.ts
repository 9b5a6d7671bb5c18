import { phrases, str, counted, sized, labelled } from '../summary';
/**
 * A/B OTA payload (`payload.bin`, update_engine "CrAU" major version 2;
 * FORMATS.md §6): header, manifest, every operation's blob checked against
 * its SHA-256, the metadata and payload signatures checked against the
 * trusted keys (--key, or the otacert of the OTA package it came in), all
 * during the payload's single hashing pass. Every partition of a full
 * payload is a child rebuilt from its operations (partition.ts), checked
 * against the manifest's SHA-256 of the new partition, and decoded further
 * like any image. Incremental payloads are described, not rebuilt: their
 * operations patch the partitions already on the device.
 */
import { createHash, type Hash } from 'node:crypto';
import { LIMITS } from '../../io/limits';
import { BudgetError, FormatError, TruncatedError } from '../../io/errors';
import { readExact, type RandomSource } from '../../io/source';
import type { RangeTap } from '../../io/digest-set';
import type { ChildSpec, ContainerHandler, ContainerResult, DecodeContext } from '../types';
import { decodeManifest, decodeSignatures, opTypeName, type DeltaArchiveManifest, type Extent, type Signature } from './manifest';
import { PartitionSource, type OpPlan, type Segment } from './partition';
import { OP, appliesSource, deltaCompute, extentBytes, notAppliedReason, type DeltaDesc } from './delta';
import { applyDelta, describeDelta } from './apply';
import { planVerity, VeritySource } from './verity';
import { PayloadSignatureCheck, payloadKeys, type SignatureOutcome } from './signatures';
import type { Fact } from '../../report/model';
import { firstN } from '../../report/lists';
import { isoSeconds } from '../../io/time';
import type { OtaPayloadInfo } from '../../report/info';

export const PAYLOAD_MAGIC = 'CrAU';
const HEADER = 24;
const MAX_PROBLEMS = 50;

/** Operation types that carry a blob. */
const BLOB_OPS = new Set([0, 1, 3, 5, 8, 9, 10, 11, 12, 13, 14]);
/** Operation types that read the old partition. */
const SOURCE_OPS = new Set([2, 3, 4, 5, 9, 10, 11, 12, 13]);
/** How each type a full payload may use is rebuilt. */
const REBUILD: Record<number, OpPlan['kind']> = { 0: 'raw', 1: 'bzip2', 6: 'zero', 7: 'zero', 8: 'xz', 14: 'zstd' };
/** The lowest minor version of an incremental payload that may use a type (FORMATS.md §6.2). */
const MIN_MINOR: Record<number, number> = { 4: 2, 5: 2, 6: 4, 7: 4, 10: 4, 9: 5, 11: 8, 12: 9, 13: 9 };
const KNOWN_MINOR_MAX = 9;

export interface PayloadHeader {
  major: bigint;
  manifestSize: bigint;
  metadataSignatureSize: number;
}

export function parsePayloadHeader(b: Buffer): PayloadHeader {
  return { major: b.readBigUInt64BE(4), manifestSize: b.readBigUInt64BE(12), metadataSignatureSize: b.readUInt32BE(20) };
}

/** A child name for a partition: `<name>.img`, with path separators and control characters replaced. */
export function partitionFileName(name: string, index: number): string {
  const safe = name.replace(/[/\\\x00-\x1f]/g, '_');
  return `${safe === '' || safe === '.' || safe === '..' ? `partition${index}` : safe}.img`;
}

const extentInfo = (e: Extent | undefined) => (e ? { startBlock: e.start, blocks: e.blocks } : undefined);

function blocksOf(bytes: number, bs: number): number {
  return Math.ceil(bytes / bs);
}

interface Problem {
  message: string;
  offset?: number;
}

interface BlobEntry {
  start: number;
  end: number;
  expect: Buffer;
  part: number;
  op: number;
}

/**
 * Every operation's blob hashed during the payload's one pass: one tap over
 * the blob area that opens and closes a SHA-256 per blob.
 */
class BlobHashTap implements RangeTap {
  readonly start: number;
  readonly end: number;
  private pos: number;
  private next = 0;
  private open: { e: BlobEntry; h: Hash }[] = [];
  constructor(
    private readonly entries: BlobEntry[],
    private readonly result: (e: BlobEntry, actual: string) => void,
    private readonly finished: () => void,
  ) {
    this.start = entries[0].start;
    // (A loop: spreading millions of entries into Math.max overflows the stack.)
    let end = this.start;
    for (const e of entries) if (e.end > end) end = e.end;
    this.end = end;
    this.pos = this.start;
  }
  update(b: Buffer): void {
    const bs = this.pos;
    const be = bs + b.length;
    while (this.next < this.entries.length && this.entries[this.next].start < be) this.open.push({ e: this.entries[this.next++], h: createHash('sha256') });
    let closed = false;
    for (const o of this.open) {
      const s = Math.max(o.e.start, bs);
      const e = Math.min(o.e.end, be);
      if (s < e) o.h.update(s === bs && e === be ? b : b.subarray(s - bs, e - bs));
      if (o.e.end <= be) closed = true;
    }
    this.pos = be;
    if (closed) {
      const still = [];
      for (const o of this.open) {
        if (o.e.end <= be) this.result(o.e, o.h.digest('hex'));
        else still.push(o);
      }
      this.open = still;
    }
  }
  done(): void {
    // Zero-length blobs at the very end, and anything left open.
    while (this.next < this.entries.length) this.open.push({ e: this.entries[this.next++], h: createHash('sha256') });
    for (const o of this.open) this.result(o.e, o.h.digest('hex'));
    this.open = [];
    this.finished();
  }
}

/**
 * The signed regions: [0, metadataSize) for the metadata signature, and
 * [0, metadataSize) ‖ [blobBase, blobBase + signatures_offset) for the
 * payload signature, hashed together in one SHA-256 (copied at the boundary).
 */
class SignedRegionTap implements RangeTap {
  readonly start = 0;
  readonly end: number;
  private pos = 0;
  private readonly h = createHash('sha256');
  private metaDigest: Buffer | null = null;
  constructor(
    private readonly metadataSize: number,
    private readonly blobBase: number,
    private readonly payloadEnd: number | null,
    private readonly meta: PayloadSignatureCheck | null,
    private readonly payload: PayloadSignatureCheck | null,
    private readonly finished: (meta: Buffer, payload: Buffer | null) => void,
  ) {
    this.end = payloadEnd === null ? metadataSize : Math.max(metadataSize, payloadEnd);
  }
  private feed(b: Buffer, inMeta: boolean): void {
    this.h.update(b);
    if (inMeta) this.meta?.update(b);
    this.payload?.update(b);
  }
  update(b: Buffer): void {
    const bs = this.pos;
    const be = bs + b.length;
    this.pos = be;
    const M = this.metadataSize;
    if (bs < M) this.feed(be <= M ? b : b.subarray(0, M - bs), true);
    if (this.metaDigest === null && be >= M) this.metaDigest = this.h.copy().digest();
    if (this.payloadEnd !== null) {
      const s = Math.max(bs, this.blobBase);
      const e = Math.min(be, this.payloadEnd);
      if (s < e) this.feed(b.subarray(s - bs, e - bs), false);
    }
  }
  done(): void {
    this.metaDigest ??= this.h.copy().digest();
    this.finished(this.metaDigest, this.payloadEnd === null ? null : this.h.digest());
  }
}

export const otaPayloadHandler: ContainerHandler = {
  id: 'ota-payload',
  summary: (i) => phrases(str(i.payloadType), counted(i.partitions, 'partition'), sized('data', i.dataBytes), labelled('major version', i.majorVersion)),
  kind: 'container',
  traits: { role: 'update', confidence: 'magic' },
  description: 'A/B OTA payload (payload.bin, update_engine "CrAU" major version 2)',
  detect: ({ peek }) => peek.length >= HEADER && peek.toString('latin1', 0, 4) === PAYLOAD_MAGIC && peek.readBigUInt64BE(4) >= 1n && peek.readBigUInt64BE(4) <= 2n,
  decode: decodePayload,
};

async function decodePayload(src: RandomSource, ctx: DecodeContext): Promise<ContainerResult> {
  const problems: Problem[] = [];
  const invalid = (message: string, offset?: number) => void problems.push({ message, offset });
  const flush = () => {
    const facts = problems.map((p): Fact => ({ kind: 'payload-invalid', message: p.message, ...(p.offset !== undefined && { offset: p.offset }) }));
    for (const f of firstN<Fact>(facts, MAX_PROBLEMS, (n) => ({ kind: 'payload-invalid', message: `${n} more problems like these are not listed` }))) ctx.fact(f);
  };
  const head = await readExact(src, 0, HEADER, 'payload header');
  const h = parsePayloadHeader(head);
  // Key order is display order: what kind of payload first.
  const info: OtaPayloadInfo = { payloadType: undefined, majorVersion: Number(h.major), minorVersion: undefined, blockSize: undefined };
  if (h.major !== 2n) {
    ctx.fact({ kind: 'payload-invalid', message: `major version ${h.major}: romscope reads version 2 (Android A/B payloads); version 1 is Chrome OS's old format`, offset: 4 });
    return { info, children: [] };
  }
  const cap = LIMITS.maxPayloadManifestBytes;
  if (h.manifestSize > BigInt(cap)) {
    ctx.fact({ kind: 'payload-invalid', message: `manifest_size ${h.manifestSize} is more than the ${cap} bytes romscope reads (real manifests are a few MiB)`, offset: 12 });
    return { info: { ...info, manifestSize: Number(h.manifestSize) }, children: [] };
  }
  const manifestSize = Number(h.manifestSize);
  const M = HEADER + manifestSize;
  const B = M + h.metadataSignatureSize;
  Object.assign(info, { manifestSize, metadataSignatureSize: h.metadataSignatureSize, metadataSize: M });
  if (M > src.size) throw new TruncatedError(`the manifest (${manifestSize} bytes at offset 24) runs past the end of the payload (${src.size} bytes)`, src.size);
  if (B > src.size) throw new TruncatedError(`the metadata signature (${h.metadataSignatureSize} bytes at offset ${M}) runs past the end of the payload (${src.size} bytes)`, src.size);
  let m: DeltaArchiveManifest;
  try {
    // The manifest's bytes stay referenced by what is decoded from it (hashes, names).
    ctx.budget.chargeMemory(manifestSize, 'the payload manifest');
    const charge = (n: number, what: string) => ctx.budget.chargeMemory(n, what);
    m = decodeManifest(await readExact(src, HEADER, manifestSize, 'payload manifest'), { maxOperations: LIMITS.maxPayloadOperations, maxExtents: LIMITS.maxPayloadExtents, charge });
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    ctx.fact({ kind: 'payload-invalid', message: `the manifest does not decode: ${e.message}`, offset: HEADER });
    return { info, children: [] };
  }

  const bs = m.blockSize;
  const incremental = m.partitions.some((p) => p.oldInfo !== null);
  Object.assign(info, {
    payloadType: incremental ? 'incremental' : 'full',
    blockSize: bs,
    minorVersion: m.minorVersion,
    partialUpdate: m.partialUpdate || undefined,
    maxTimestamp: m.maxTimestamp ?? undefined,
    maxTimestampDate: m.maxTimestamp ? isoSeconds(m.maxTimestamp)?.replace('.000Z', 'Z') : undefined,
    securityPatchLevel: m.securityPatchLevel || undefined,
  });
  const dpm = m.dynamicPartitionMetadata;
  if (dpm) {
    Object.assign(info, {
      dynamicPartitionGroups: dpm.groups.map((g) => ({ name: g.name, size: g.size, partitions: g.partitionNames })),
      snapshotEnabled: dpm.snapshotEnabled,
      vabcEnabled: dpm.vabcEnabled,
      vabcCompression: dpm.vabcCompressionParam || undefined,
      cowVersion: dpm.cowVersion,
    });
  }
  if (m.apexInfo.length) info.apexPackages = m.apexInfo.map((a) => ({ name: a.packageName, version: a.version, compressed: a.isCompressed }));

  if (bs < 512 || bs > 1 << 20 || (bs & (bs - 1)) !== 0) {
    invalid(`block_size ${bs} is not a power of two from 512 to 1 MiB (update_engine uses 4096)`);
    flush();
    return { info, children: [] };
  }
  if (!incremental && m.minorVersion !== 0) invalid(`a full payload has minor version ${m.minorVersion}; update_engine requires 0 for full payloads`);
  if (incremental && m.minorVersion < 2) invalid(`an incremental payload has minor version ${m.minorVersion}; update_engine applies minor versions 2-${KNOWN_MINOR_MAX}`);
  if (incremental && m.minorVersion > KNOWN_MINOR_MAX) info.minorVersionKnown = false;

  // Blob area and signature placement.
  const sigOff = m.signaturesOffset;
  const sigSize = m.signaturesSize;
  const signedPayload = sigOff !== null && sigSize !== null && sigSize > 0;
  if ((sigOff === null) !== (sigSize === null)) invalid(`the manifest has signatures_${sigOff === null ? 'size' : 'offset'} without signatures_${sigOff === null ? 'offset' : 'size'}`);
  if (signedPayload && B + sigOff + sigSize !== src.size) {
    const end = B + sigOff + sigSize;
    if (end > src.size) invalid(`the payload signature (${sigSize} bytes at offset ${B + sigOff}) runs past the end of the payload (${src.size} bytes)`, B + sigOff);
    else invalid(`${src.size - end} bytes follow the payload signature, which must end the file`, end);
  }

  // An incremental payload is applied when --base gives the build it patches (not with --no-hash: applying reads every source block).
  const applying = incremental && !!ctx.base && !ctx.headersOnly;
  /** Operations romscope cannot apply, per partition: the first of each type, and how many. */
  const notApplied = new Map<number, Map<string, { op: number; count: number }>>();
  /** Partitions not rebuilt for a reason a finding on the payload already gives (the base, an operation not applied). */
  const quiet = new Set<number>();
  const names = new Set<string>();
  let cursor = 0;
  let dataBytes = 0;
  const entries: BlobEntry[] = [];
  const partInfo: Record<string, unknown>[] = [];
  const blockers = new Map<number, string>();
  const plans: { ops: OpPlan[]; segments: Segment[]; unwritten: number; verityUnwritten: number; verity: ReturnType<typeof planVerity> | null }[] = [];
  const block = (pi: number, why: string) => void (blockers.has(pi) || blockers.set(pi, why));

  m.partitions.forEach((p, pi) => {
    const where = `partition ${p.name || `#${pi}`}`;
    if (p.name === '') invalid(`partition #${pi} has an empty name`);
    else if (names.has(p.name)) invalid(`partition ${p.name} is listed twice`);
    names.add(p.name);
    const newSize = p.newInfo?.size ?? 0;
    if (!p.newInfo) invalid(`${where} has no new_partition_info (size and SHA-256 of the new image)`);
    else if (p.newInfo.hash?.length !== 32) invalid(`${where}: new_partition_info has a ${p.newInfo.hash?.length ?? 0}-byte hash, not a 32-byte SHA-256`);
    if (p.oldInfo && p.oldInfo.hash !== null && p.oldInfo.hash.length !== 32) invalid(`${where}: old_partition_info has a ${p.oldInfo.hash.length}-byte hash, not a 32-byte SHA-256`);
    const newBlocks = blocksOf(newSize, bs);
    const oldBlocks = p.oldInfo ? blocksOf(p.oldInfo.size, bs) : 0;
    const counts: Record<string, number> = {};
    const ops: OpPlan[] = [];
    const segments: Segment[] = [];
    let srcHashes = 0;
    let partData = 0;
    p.operations.forEach((op, oi) => {
      const t = opTypeName(op.type);
      const what = `${where} operation ${oi} (${t})`;
      counts[t] = (counts[t] ?? 0) + 1;
      if (op.srcHash) srcHashes++;
      if (op.type < 0 || op.type > 14) {
        invalid(`${what}: unknown operation type`);
        block(pi, `operation ${oi} has an unknown type`);
        return;
      }
      if ((op.type === 2 || op.type === 3) && (incremental || m.minorVersion >= 1)) invalid(`${what}: ${t} is only used by minor version 1 payloads, which update_engine no longer applies`);
      if (incremental && MIN_MINOR[op.type] !== undefined && m.minorVersion < MIN_MINOR[op.type]) invalid(`${what}: ${t} needs minor version ${MIN_MINOR[op.type]}, the manifest says ${m.minorVersion}`);
      if (!incremental && SOURCE_OPS.has(op.type)) {
        invalid(`${what}: a full payload has no source partition to read`);
        block(pi, `operation ${oi} is ${t}, which needs the old partition`);
      } else if (!incremental && REBUILD[op.type] === undefined) block(pi, `operation ${oi} is ${t}`);
      // The blob.
      const legacySignatureOp = sigOff !== null && op.dataOffset === sigOff && op.type === 0 && pi === m.partitions.length - 1;
      let blobOk = false;
      if (BLOB_OPS.has(op.type)) {
        if (op.dataOffset === null || op.dataLength === null) invalid(`${what} has no data_offset/data_length`);
        else {
          const start = B + op.dataOffset;
          const end = start + op.dataLength;
          if (!legacySignatureOp && op.dataOffset !== cursor) invalid(`${what}: data_offset ${op.dataOffset}, where the previous blob ends at ${cursor} (update_engine reads blobs in order, back to back)`, start);
          cursor = op.dataOffset + op.dataLength;
          if (end > src.size || !Number.isSafeInteger(end)) {
            invalid(`${what}: its blob (bytes ${start}-${end}) runs past the end of the payload (${src.size} bytes)`, start);
            block(pi, `operation ${oi}'s data is past the end of the payload`);
          } else blobOk = true;
          partData += op.dataLength;
          if (legacySignatureOp) {
            // The old "fake" signature operation: its blob is the signature, not checked as data.
          } else if (!op.dataHash) invalid(`${what} has no data_sha256_hash, so its blob cannot be checked`, start);
          else if (op.dataHash.length !== 32) invalid(`${what}: data_sha256_hash is ${op.dataHash.length} bytes, not 32`, start);
          else if (blobOk) entries.push({ start, end, expect: op.dataHash, part: pi, op: oi });
        }
      } else if (op.dataLength) invalid(`${what} carries ${op.dataLength} bytes of data, which a ${t} operation does not use`);
      // Extents.
      const dstBytes = op.dst.reduce((n, e) => n + e.blocks * bs, 0);
      if (op.type !== 2 && op.dst.length === 0 && !legacySignatureOp) invalid(`${what} has no destination extents`);
      for (const e of op.dst) {
        if (e.hole) {
          invalid(`${what}: a destination extent is a sparse hole`);
          block(pi, `operation ${oi} writes to a sparse hole`);
        } else if (e.start + e.blocks > newBlocks || e.blocks === 0) {
          invalid(e.blocks === 0 ? `${what}: a destination extent has 0 blocks` : `${what} writes blocks ${e.start}-${e.start + e.blocks - 1}, past the end of ${p.name} (${newBlocks} blocks of ${bs} bytes)`);
          block(pi, `operation ${oi} writes past the end of the partition`);
        }
      }
      if (p.oldInfo) {
        for (const e of op.src) {
          if (!e.hole && e.start + e.blocks > oldBlocks) invalid(`${what} reads blocks ${e.start}-${e.start + e.blocks - 1}, past the end of the old ${p.name} (${oldBlocks} blocks)`);
        }
      }
      if (op.type === 0 && op.dataLength !== null && op.dataLength > dstBytes && !legacySignatureOp) {
        invalid(`${what}: ${op.dataLength} bytes of data for ${dstBytes} bytes of extents`);
        block(pi, `operation ${oi} has more data than its extents hold`);
      }
      let kind: OpPlan['kind'] | undefined = REBUILD[op.type];
      let delta: DeltaDesc | undefined;
      const whyNot = applying ? notAppliedReason(op.type) : undefined;
      if (whyNot !== undefined) {
        const byType = notApplied.get(pi) ?? new Map<string, { op: number; count: number }>();
        notApplied.set(pi, byType);
        const seen = byType.get(t);
        if (seen) seen.count++;
        else byType.set(t, { op: oi, count: 1 });
        if (!blockers.has(pi)) quiet.add(pi);
        block(pi, `operation ${oi} is ${t}, which romscope cannot apply: ${whyNot}`);
      } else if (applying && appliesSource(op.type)) {
        const srcBytes = extentBytes(op.src, bs);
        if (op.src.some((e) => e.hole || e.blocks === 0 || e.start + e.blocks > oldBlocks)) block(pi, `operation ${oi} reads blocks outside the old partition`);
        else if ((op.type === OP.SOURCE_COPY || op.type === OP.MOVE) && srcBytes !== dstBytes) {
          invalid(`${what} copies ${srcBytes} bytes of source extents to ${dstBytes} bytes of destination extents`);
          block(pi, `operation ${oi} copies a different number of blocks than it writes`);
        } else if (op.type === OP.MOVE || op.type === OP.BSDIFF) {
          // Minor version 1 applies these in place: reading from the base is the same only when no earlier operation wrote the blocks read.
          if (op.src.some((e) => segments.some((sg) => sg.start < (e.start + e.blocks) * bs && e.start * bs < sg.end))) {
            block(pi, `operation ${oi} (${t}) reads blocks an earlier operation wrote (an in-place update), which romscope does not apply`);
          }
        }
        kind = 'computed';
        delta = { type: op.type, src: op.src, bs };
      }
      if ((!incremental || applying) && kind !== undefined && !legacySignatureOp) {
        const plan: OpPlan = { index: oi, typeName: t, kind, dataStart: B + (op.dataOffset ?? 0), dataLength: op.dataLength ?? 0, outBytes: dstBytes, ...(delta && { delta }) };
        const idx = ops.push(plan) - 1;
        let outOffset = 0;
        for (const e of op.dst) {
          if (!e.hole) segments.push({ start: e.start * bs, end: (e.start + e.blocks) * bs, op: idx, outOffset });
          outOffset += e.blocks * bs;
        }
      }
    });
    dataBytes += partData;
    // Overlapping writes, and what no operation writes.
    segments.sort((a, b) => a.start - b.start || a.end - b.end);
    let covered = 0;
    let last = 0;
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      if (i > 0 && s.start < segments[i - 1].end) {
        const a = ops[segments[i - 1].op].index;
        const b = ops[s.op].index;
        invalid(`partition ${p.name}: operations ${a} and ${b} both write block ${s.start / bs}`);
        block(pi, 'two operations write the same blocks');
        break;
      }
      covered += Math.min(s.end, newSize) - Math.min(s.start, newSize);
      last = Math.max(last, s.end);
    }
    for (const s of segments) s.end = Math.min(s.end, newSize);
    const unwritten = Math.max(0, newSize - covered);
    let verityUnwritten = 0;
    for (const e of [p.hashTreeExtent, p.fecExtent]) {
      if (!e || e.hole) continue;
      const es = e.start * bs;
      const ee = Math.min(newSize, (e.start + e.blocks) * bs);
      let inside = 0;
      for (const s of segments) inside += Math.max(0, Math.min(s.end, ee) - Math.max(s.start, es));
      verityUnwritten += Math.max(0, ee - es - inside);
    }
    // Left to the device: computed here as update_engine computes it, when it can be.
    let verity: ReturnType<typeof planVerity> | null = null;
    if (verityUnwritten > 0 && (!incremental || applying)) {
      verity = planVerity(p, bs, newSize, segments);
      if (verity.invalid) invalid(verity.invalid);
    }
    plans.push({ ops, segments: segments.filter((s) => s.end > s.start), unwritten, verityUnwritten, verity });
    partInfo.push({
      name: p.name,
      newSize,
      newSha256: p.newInfo?.hash?.toString('hex'),
      oldSize: p.oldInfo?.size,
      oldSha256: p.oldInfo?.hash?.toString('hex'),
      operationCount: p.operations.length,
      operations: counts,
      dataBytes: partData,
      sourceHashes: incremental ? srcHashes : undefined,
      filesystemType: p.filesystemType || undefined,
      version: p.version || undefined,
      postinstall: p.runPostinstall ? p.postinstallPath || true : undefined,
      hashTree: p.hashTreeExtent ? { dataExtent: extentInfo(p.hashTreeDataExtent), extent: extentInfo(p.hashTreeExtent), algorithm: p.hashTreeAlgorithm || undefined, salt: p.hashTreeSalt?.toString('hex') } : undefined,
      fec: p.fecExtent ? { dataExtent: extentInfo(p.fecDataExtent), extent: extentInfo(p.fecExtent), roots: p.fecRoots } : undefined,
    });
  });
  if (signedPayload && sigOff !== cursor && !m.partitions.some((p) => p.operations.some((o) => o.dataOffset === sigOff))) {
    invalid(`signatures_offset is ${sigOff}, where the last blob ends at ${cursor} (the signature follows the blobs)`, B + sigOff);
  }
  if (!signedPayload && B + cursor < src.size) info.trailingBytes = src.size - (B + cursor);
  if (dpm) {
    const sizes = new Map(m.partitions.map((p) => [p.name, p.newInfo?.size ?? 0]));
    for (const g of dpm.groups) {
      const used = g.partitionNames.reduce((n, name) => n + (sizes.get(name) ?? 0), 0);
      if (g.size && used > g.size) invalid(`dynamic partition group ${g.name} holds ${used} bytes of partitions, more than its size ${g.size}`);
    }
  }
  Object.assign(info, { partitions: partInfo, dataBytes });

  // Operation blobs: checked in the hashing pass.
  const taps: RangeTap[] = [];
  if (entries.length) {
    entries.sort((a, b) => a.start - b.start || a.end - b.end);
    const bad: string[] = [];
    const perPart = m.partitions.map(() => ({ ok: 0, bad: 0 }));
    taps.push(
      new BlobHashTap(
        entries,
        (e, actual) => {
          if (actual === e.expect.toString('hex')) perPart[e.part].ok++;
          else {
            perPart[e.part].bad++;
            const p = m.partitions[e.part];
            const op = p.operations[e.op];
            if (bad.length < 20) {
              ctx.fact({
                kind: 'payload-operation-hash',
                message: `partition ${p.name} operation ${e.op} (${opTypeName(op.type)}): the SHA-256 of its blob (bytes ${e.start}-${e.end}) is ${actual}, the manifest says ${e.expect.toString('hex')}`,
                offset: e.start,
                algo: 'sha256',
                expected: e.expect.toString('hex'),
                actual,
              });
            }
            bad.push(p.name);
          }
        },
        () => {
          if (bad.length > 20) ctx.fact({ kind: 'payload-operation-hash', message: `${bad.length - 20} more operation blobs do not match their SHA-256 (not listed)` });
          perPart.forEach((c, pi) => {
            if (c.ok > 0 && c.bad === 0) ctx.fact({ kind: 'payload-operation-hash-ok', message: `the SHA-256 of all ${c.ok} operation blobs of ${m.partitions[pi].name} match the manifest` });
          });
          info.operationHashes = { checked: entries.length, failed: bad.length };
        },
      ),
    );
  }

  // Signatures.
  await checkSignatures(src, ctx, m, { M, B, signedPayload, metaSize: h.metadataSignatureSize }, info, taps);

  flush();
  // Partitions of a full payload.
  const children: ChildSpec[] = [];
  if (incremental && !applying) {
    info.rebuilt = false;
    info.rebuildNote = ctx.headersOnly
      ? 'incremental payload: not applied (--no-hash), since applying it reads every source block of the base build'
      : 'incremental payload: its operations patch the partitions of the build on the device (source hashes are listed); pass that build with --base to rebuild and check them';
    if (!ctx.headersOnly) ctx.fact({ kind: 'unsupported', message: describeDelta(m, ctx.baseBuild) });
    return { info, children, rangeTaps: taps };
  }
  info.rebuilt = true;
  const bases = applying ? await applyDelta(m, ctx, { blockers, quiet, notApplied }) : null;
  if (bases) info.base = bases.info;
  const used = new Set<string>();
  // Next suffix to try per name, so that thousands of partitions of one name cost one lookup each.
  const nextSuffix = new Map<string, number>();
  m.partitions.forEach((p, pi) => {
    const size = p.newInfo?.size ?? 0;
    const first = partitionFileName(p.name, pi);
    let name = first;
    let k = nextSuffix.get(first) ?? 2;
    while (used.has(name)) name = `${first.replace(/\.img$/, '')}#${k++}.img`;
    if (name !== first) nextSuffix.set(first, k);
    used.add(name);
    const plan = plans[pi];
    const childInfo: Record<string, unknown> = { partition: p.name, rebuiltFrom: `${p.operations.length} operations of the payload` };
    // Bytes read as zeros: not those computed as the device computes them.
    const zeroBytes = plan.unwritten - (plan.verity?.plan ? plan.verityUnwritten : 0);
    if (zeroBytes > 0) childInfo.unwrittenBytes = zeroBytes;
    const why = blockers.get(pi);
    if (why && quiet.has(pi)) {
      childInfo.partitionHash = `not checked: ${p.name} is not rebuilt: ${why}`;
      children.push({ name, source: src, readable: false, info: childInfo });
      return;
    }
    if (why || !p.newInfo) {
      children.push({ name, source: src, readable: false, info: childInfo, facts: [{ kind: 'payload-invalid', message: `partition ${p.name} is not rebuilt: ${why ?? 'it has no new_partition_info'}` }] });
      return;
    }
    try {
      // Zero blocks cost nothing to store but everything to hash: charge the size first.
      ctx.budget.chargeExpanded(size);
    } catch (e) {
      if (!(e instanceof BudgetError)) throw e;
      children.push({ name, source: src, readable: false, info: childInfo, facts: [{ kind: 'budget', message: `partition ${p.name} (${size} bytes) is not rebuilt: ${e.message}` }] });
      return;
    }
    const old = bases?.images.get(pi);
    if (old) childInfo.base = old.path;
    const spec: ChildSpec = { name, source: new PartitionSource(name, size, src, plan.ops, plan.segments, undefined, old ? deltaCompute(old.source, src, p.name) : null, !!ctx.readsAll), info: childInfo };
    const vplan = plan.verity?.plan;
    if (vplan) {
      // update_engine computes the hash tree and FEC on the device; the manifest's hash covers them.
      const v = new VeritySource(spec.source as PartitionSource, vplan);
      spec.source = v;
      childInfo.verity = v.describe();
    }
    if (plan.verityUnwritten > 0 && !vplan) {
      childInfo.partitionHash = `not checked: ${plan.verityUnwritten} bytes of hash tree and FEC are computed on the device, not carried in the payload, and ${plan.verity?.invalid ? 'the manifest describes them wrongly' : `romscope cannot compute them here: ${plan.verity?.problem ?? 'unknown'}`}`;
    } else if (p.newInfo.hash?.length === 32) {
      spec.expect = [{ algo: 'sha256', hex: p.newInfo.hash.toString('hex'), kind: 'payload-partition-hash', from: 'the payload manifest (new_partition_info)' }];
    }
    children.push(spec);
  });
  // Partitions decode on worker threads while the main thread hashes payload.bin.
  return { info, children, rangeTaps: taps, childrenDuringHashPass: true };
}

function describeOutcome(o: SignatureOutcome, count: number): Record<string, unknown> {
  return {
    signatures: count,
    status: o.status,
    key: o.key?.label,
    knownAs: o.key?.knownAs,
    reason: o.status === 'verified' ? undefined : o.reason,
  };
}

async function readSignatures(src: RandomSource, at: number, size: number, what: string): Promise<{ sigs: Signature[] | null; error?: string }> {
  if (size > LIMITS.maxPayloadSignatureBytes) return { sigs: null, error: `the ${what} is ${size} bytes, more than the ${LIMITS.maxPayloadSignatureBytes} romscope reads` };
  const b = await src.read(at, size);
  if (b.length < size) return { sigs: null, error: `the ${what} runs past the end of the payload` };
  try {
    return { sigs: decodeSignatures(b, what) };
  } catch (e) {
    return { sigs: null, error: `the ${what} does not decode: ${(e as Error).message}` };
  }
}

async function checkSignatures(
  src: RandomSource,
  ctx: DecodeContext,
  m: DeltaArchiveManifest,
  at: { M: number; B: number; signedPayload: boolean; metaSize: number },
  info: Record<string, unknown>,
  taps: RangeTap[],
): Promise<void> {
  const { M, B } = at;
  const hasMeta = at.metaSize > 0;
  if (!hasMeta && !at.signedPayload) {
    info.signatures = { metadata: { status: 'absent' }, payload: { status: 'absent' } };
    ctx.fact({ kind: 'ota-unsigned', message: 'payload.bin is not signed: it has neither a metadata signature nor a payload signature (update_engine refuses it on a device with verification on)' });
    return;
  }
  const fail = (message: string, offset?: number) => ctx.fact({ kind: 'payload-signature', message, ...(offset !== undefined && { offset }) });
  if (!hasMeta) fail('the payload is signed but its metadata is not (metadata_signature_size is 0): update_engine refuses unsigned metadata', 20);
  if (!at.signedPayload) fail('the metadata is signed but the payload is not (no signatures_offset/signatures_size)');
  const meta = hasMeta ? await readSignatures(src, M, at.metaSize, 'metadata signature') : { sigs: null };
  const pay = at.signedPayload ? await readSignatures(src, B + m.signaturesOffset!, m.signaturesSize!, 'payload signature') : { sigs: null };
  if (meta.error) fail(meta.error, M);
  if (pay.error) fail(pay.error, B + m.signaturesOffset!);
  const keys = payloadKeys(ctx.keys);
  const metaCheck = meta.sigs ? new PayloadSignatureCheck(keys, meta.sigs) : null;
  const payCheck = pay.sigs ? new PayloadSignatureCheck(keys, pay.sigs) : null;
  const sigInfo: Record<string, unknown> = {
    metadata: hasMeta ? { signatures: meta.sigs?.length, status: meta.error ? 'failed' : 'pending', reason: meta.error } : { status: 'absent' },
    payload: at.signedPayload ? { signatures: pay.sigs?.length, status: pay.error ? 'failed' : 'pending', reason: pay.error } : { status: 'absent' },
    keys: keys.map((k) => k.label),
  };
  info.signatures = sigInfo;
  if (!metaCheck && !payCheck) return;
  if (ctx.headersOnly) {
    // Both sign digests of the payload's bytes, which --no-hash does not compute.
    for (const [which, check] of [
      ['metadata', metaCheck],
      ['payload', payCheck],
    ] as const) {
      if (check) Object.assign(sigInfo[which] as Record<string, unknown>, { status: 'unchecked', reason: 'not verified (--no-hash): it signs a digest of the payload, which was not computed' });
    }
    return;
  }
  const payloadEnd = payCheck ? B + m.signaturesOffset! : null;
  taps.push(
    new SignedRegionTap(M, B, payloadEnd, metaCheck, payCheck, (metaDigest, payDigest) => {
      const outcomes: [string, SignatureOutcome, number][] = [];
      if (metaCheck) outcomes.push(['metadata', metaCheck.finish(metaDigest), meta.sigs!.length]);
      if (payCheck && payDigest) outcomes.push(['payload', payCheck.finish(payDigest), pay.sigs!.length]);
      const tested = new Set<string>();
      for (const [which, o, n] of outcomes) {
        sigInfo[which] = describeOutcome(o, n);
        const region = which === 'metadata' ? `bytes 0-${M} (header and manifest)` : `the header, manifest and blobs (everything but the signatures)`;
        if (o.status === 'verified') {
          ctx.fact({ kind: 'payload-signature-ok', message: `the ${which} signature over ${region} verifies with ${o.key!.label}` });
          if (o.key!.knownAs && !tested.has(o.key!.spkiSha256)) {
            tested.add(o.key!.spkiSha256);
            ctx.fact({ kind: 'ota-test-key', message: `payload.bin is signed with the ${o.key!.knownAs}, a public test key anyone can sign with` });
          }
        } else if (o.status === 'failed') fail(`the ${which} signature over ${region}: ${o.reason}`);
        else ctx.fact({ kind: 'payload-signature-unchecked', message: `the ${which} signature is not checked: no key to check it against (pass --key, or inspect the OTA package whose otacert signs it)` });
      }
    }),
  );
}
