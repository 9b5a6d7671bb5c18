/**
 * Typed decoders for the payload messages in update_metadata.proto (this
 * directory), on @bufbuild/protobuf's wire reader. Unknown fields are
 * skipped; a known field with the wrong wire type, a message cut short or
 * more operations than romscope believes throws a FormatError.
 */
import { FormatError } from '../../io/errors';
import { readFields, want, u64, i64, WireType, type BinaryReader } from '../protobuf';

/** Extent.start_block value that marks a sparse hole (old payloads' src extents). */
export const SPARSE_HOLE = 0xffffffffffffffffn;

export const OP_TYPES = [
  'REPLACE',
  'REPLACE_BZ',
  'MOVE',
  'BSDIFF',
  'SOURCE_COPY',
  'SOURCE_BSDIFF',
  'ZERO',
  'DISCARD',
  'REPLACE_XZ',
  'PUFFDIFF',
  'BROTLI_BSDIFF',
  'ZUCCHINI',
  'LZ4DIFF_BSDIFF',
  'LZ4DIFF_PUFFDIFF',
  'REPLACE_ZSTD',
] as const;

export function opTypeName(t: number): string {
  return OP_TYPES[t] ?? `type ${t}`;
}

/** Extents in blocks. `hole` marks the sparse-hole start value; numbers above 2^53 are approximate (they are rejected anyway). */
export interface Extent {
  start: number;
  blocks: number;
  hole?: boolean;
}

export interface PartitionInfo {
  size: number;
  hash: Buffer | null;
}

export interface InstallOperation {
  type: number;
  dataOffset: number | null;
  dataLength: number | null;
  src: Extent[];
  dst: Extent[];
  dataHash: Buffer | null;
  srcHash: Buffer | null;
}

export interface PartitionUpdate {
  name: string;
  runPostinstall: boolean;
  postinstallPath?: string;
  filesystemType?: string;
  oldInfo: PartitionInfo | null;
  newInfo: PartitionInfo | null;
  operations: InstallOperation[];
  hashTreeDataExtent?: Extent;
  hashTreeExtent?: Extent;
  hashTreeAlgorithm?: string;
  hashTreeSalt?: Buffer;
  fecDataExtent?: Extent;
  fecExtent?: Extent;
  fecRoots: number;
  version?: string;
  estimateCowSize?: number;
}

export interface DynamicPartitionGroup {
  name: string;
  size: number;
  partitionNames: string[];
}

export interface DeltaArchiveManifest {
  blockSize: number;
  signaturesOffset: number | null;
  signaturesSize: number | null;
  minorVersion: number;
  partitions: PartitionUpdate[];
  maxTimestamp: number | null;
  dynamicPartitionMetadata: {
    groups: DynamicPartitionGroup[];
    snapshotEnabled?: boolean;
    vabcEnabled?: boolean;
    vabcCompressionParam?: string;
    cowVersion?: number;
  } | null;
  partialUpdate: boolean;
  apexInfo: { packageName: string; version: number; isCompressed: boolean; decompressedSize: number }[];
  securityPatchLevel: string | null;
}

export interface Signature {
  version: number | null;
  data: Buffer;
  unpaddedSize: number | null;
}

export interface DecodeLimits {
  maxOperations: number;
  maxExtents: number;
  /** Charges memory for what is decoded (Budget.chargeMemory); throws to stop decoding. */
  charge?: (bytes: number, what: string) => void;
}

/**
 * Memory charged per operation and per extent: the decoded objects and what
 * the payload decoder builds from them (an operation's plan and blob entry,
 * an extent's write segment). Measured: a manifest of a million one-extent
 * operations raised the peak RSS by about 630 MB before it was charged.
 */
export const OPERATION_MEMORY = 512;
export const EXTENT_MEMORY = 128;

/** A uint64 as a number (approximate above 2^53, where every size check fails anyway). */
const num = (v: bigint): number => Number(v);
const buffer = (r: BinaryReader): Buffer => Buffer.from(r.bytes());

function decodeExtent(buf: Uint8Array, what: string): Extent {
  let start = 0n;
  let blocks = 0n;
  readFields(buf, what, (f, wt, r) => {
    if (f === 1) (want(wt, WireType.Varint, what, 'start_block'), (start = u64(r)));
    else if (f === 2) (want(wt, WireType.Varint, what, 'num_blocks'), (blocks = u64(r)));
    else return false;
    return true;
  });
  return { start: num(start), blocks: num(blocks), ...(start === SPARSE_HOLE && { hole: true }) };
}

function decodePartitionInfo(buf: Uint8Array, what: string): PartitionInfo {
  const info: PartitionInfo = { size: 0, hash: null };
  readFields(buf, what, (f, wt, r) => {
    if (f === 1) (want(wt, WireType.Varint, what, 'size'), (info.size = num(u64(r))));
    else if (f === 2) (want(wt, WireType.LengthDelimited, what, 'hash'), (info.hash = buffer(r)));
    else return false;
    return true;
  });
  return info;
}

class Counter {
  ops = 0;
  extents = 0;
  constructor(readonly limits: DecodeLimits) {}
  op(): void {
    if (++this.ops > this.limits.maxOperations) throw new FormatError(`the manifest has more than ${this.limits.maxOperations} operations (romscope's limit)`);
    this.limits.charge?.(OPERATION_MEMORY, `the payload manifest's operations (${this.ops} read)`);
  }
  extent(): void {
    if (++this.extents > this.limits.maxExtents) throw new FormatError(`the manifest has more than ${this.limits.maxExtents} extents (romscope's limit)`);
    this.limits.charge?.(EXTENT_MEMORY, `the payload manifest's extents (${this.extents} read)`);
  }
}

function decodeOperation(buf: Uint8Array, what: string, c: Counter): InstallOperation {
  const op: InstallOperation = { type: -1, dataOffset: null, dataLength: null, src: [], dst: [], dataHash: null, srcHash: null };
  readFields(buf, what, (f, wt, r) => {
    switch (f) {
      case 1:
        want(wt, WireType.Varint, what, 'type');
        op.type = r.int32();
        return true;
      case 2:
        want(wt, WireType.Varint, what, 'data_offset');
        op.dataOffset = num(u64(r));
        return true;
      case 3:
        want(wt, WireType.Varint, what, 'data_length');
        op.dataLength = num(u64(r));
        return true;
      case 4:
      case 6:
        want(wt, WireType.LengthDelimited, what, f === 4 ? 'src_extents' : 'dst_extents');
        c.extent();
        (f === 4 ? op.src : op.dst).push(decodeExtent(r.bytes(), `${what} ${f === 4 ? 'src' : 'dst'} extent`));
        return true;
      case 8:
        want(wt, WireType.LengthDelimited, what, 'data_sha256_hash');
        op.dataHash = buffer(r);
        return true;
      case 9:
        want(wt, WireType.LengthDelimited, what, 'src_sha256_hash');
        op.srcHash = buffer(r);
        return true;
      default:
        return false;
    }
  });
  if (op.type < 0) throw new FormatError(`${what} has no type`);
  return op;
}

function decodePartition(buf: Uint8Array, what: string, c: Counter): PartitionUpdate {
  const p: PartitionUpdate = { name: '', runPostinstall: false, oldInfo: null, newInfo: null, operations: [], fecRoots: 2 };
  let named = false;
  readFields(buf, what, (f, wt, r) => {
    const str = (field: string) => (want(wt, WireType.LengthDelimited, what, field), r.string());
    const ext = (field: string) => (want(wt, WireType.LengthDelimited, what, field), decodeExtent(r.bytes(), `${what} ${field}`));
    switch (f) {
      case 1:
        p.name = str('partition_name');
        named = true;
        return true;
      case 2:
        want(wt, WireType.Varint, what, 'run_postinstall');
        p.runPostinstall = r.bool();
        return true;
      case 3:
        p.postinstallPath = str('postinstall_path');
        return true;
      case 4:
        p.filesystemType = str('filesystem_type');
        return true;
      case 6:
      case 7: {
        want(wt, WireType.LengthDelimited, what, f === 6 ? 'old_partition_info' : 'new_partition_info');
        const info = decodePartitionInfo(r.bytes(), `${what} ${f === 6 ? 'old' : 'new'}_partition_info`);
        if (f === 6) p.oldInfo = info;
        else p.newInfo = info;
        return true;
      }
      case 8:
        want(wt, WireType.LengthDelimited, what, 'operations');
        c.op();
        p.operations.push(decodeOperation(r.bytes(), `${what} operation ${p.operations.length}`, c));
        return true;
      case 10:
        p.hashTreeDataExtent = ext('hash_tree_data_extent');
        return true;
      case 11:
        p.hashTreeExtent = ext('hash_tree_extent');
        return true;
      case 12:
        p.hashTreeAlgorithm = str('hash_tree_algorithm');
        return true;
      case 13:
        want(wt, WireType.LengthDelimited, what, 'hash_tree_salt');
        p.hashTreeSalt = buffer(r);
        return true;
      case 14:
        p.fecDataExtent = ext('fec_data_extent');
        return true;
      case 15:
        p.fecExtent = ext('fec_extent');
        return true;
      case 16:
        want(wt, WireType.Varint, what, 'fec_roots');
        p.fecRoots = r.uint32();
        return true;
      case 17:
        p.version = str('version');
        return true;
      case 19:
        want(wt, WireType.Varint, what, 'estimate_cow_size');
        p.estimateCowSize = num(u64(r));
        return true;
      default:
        return false;
    }
  });
  if (!named) throw new FormatError(`${what} has no partition_name`);
  return p;
}

function decodeGroup(buf: Uint8Array, what: string): DynamicPartitionGroup {
  const g: DynamicPartitionGroup = { name: '', size: 0, partitionNames: [] };
  readFields(buf, what, (f, wt, r) => {
    if (f === 1) (want(wt, WireType.LengthDelimited, what, 'name'), (g.name = r.string()));
    else if (f === 2) (want(wt, WireType.Varint, what, 'size'), (g.size = num(u64(r))));
    else if (f === 3) (want(wt, WireType.LengthDelimited, what, 'partition_names'), g.partitionNames.push(r.string()));
    else return false;
    return true;
  });
  return g;
}

function decodeDynamic(buf: Uint8Array, what: string): NonNullable<DeltaArchiveManifest['dynamicPartitionMetadata']> {
  const d: NonNullable<DeltaArchiveManifest['dynamicPartitionMetadata']> = { groups: [] };
  readFields(buf, what, (f, wt, r) => {
    if (f === 1) (want(wt, WireType.LengthDelimited, what, 'groups'), d.groups.push(decodeGroup(r.bytes(), `${what} group ${d.groups.length}`)));
    else if (f === 2) (want(wt, WireType.Varint, what, 'snapshot_enabled'), (d.snapshotEnabled = r.bool()));
    else if (f === 3) (want(wt, WireType.Varint, what, 'vabc_enabled'), (d.vabcEnabled = r.bool()));
    else if (f === 4) (want(wt, WireType.LengthDelimited, what, 'vabc_compression_param'), (d.vabcCompressionParam = r.string()));
    else if (f === 5) (want(wt, WireType.Varint, what, 'cow_version'), (d.cowVersion = r.uint32()));
    else return false;
    return true;
  });
  return d;
}

function decodeApex(buf: Uint8Array, what: string): DeltaArchiveManifest['apexInfo'][number] {
  const a = { packageName: '', version: 0, isCompressed: false, decompressedSize: 0 };
  readFields(buf, what, (f, wt, r) => {
    if (f === 1) (want(wt, WireType.LengthDelimited, what, 'package_name'), (a.packageName = r.string()));
    else if (f === 2) (want(wt, WireType.Varint, what, 'version'), (a.version = num(i64(r))));
    else if (f === 3) (want(wt, WireType.Varint, what, 'is_compressed'), (a.isCompressed = r.bool()));
    else if (f === 4) (want(wt, WireType.Varint, what, 'decompressed_size'), (a.decompressedSize = num(i64(r))));
    else return false;
    return true;
  });
  return a;
}

export function decodeManifest(buf: Uint8Array, limits: DecodeLimits): DeltaArchiveManifest {
  const what = 'manifest';
  const c = new Counter(limits);
  const m: DeltaArchiveManifest = {
    blockSize: 4096,
    signaturesOffset: null,
    signaturesSize: null,
    minorVersion: 0,
    partitions: [],
    maxTimestamp: null,
    dynamicPartitionMetadata: null,
    partialUpdate: false,
    apexInfo: [],
    securityPatchLevel: null,
  };
  readFields(buf, what, (f, wt, r) => {
    switch (f) {
      case 3:
        want(wt, WireType.Varint, what, 'block_size');
        m.blockSize = r.uint32();
        return true;
      case 4:
        want(wt, WireType.Varint, what, 'signatures_offset');
        m.signaturesOffset = num(u64(r));
        return true;
      case 5:
        want(wt, WireType.Varint, what, 'signatures_size');
        m.signaturesSize = num(u64(r));
        return true;
      case 12:
        want(wt, WireType.Varint, what, 'minor_version');
        m.minorVersion = r.uint32();
        return true;
      case 13:
        want(wt, WireType.LengthDelimited, what, 'partitions');
        m.partitions.push(decodePartition(r.bytes(), `partition ${m.partitions.length}`, c));
        return true;
      case 14:
        want(wt, WireType.Varint, what, 'max_timestamp');
        m.maxTimestamp = num(i64(r));
        return true;
      case 15:
        want(wt, WireType.LengthDelimited, what, 'dynamic_partition_metadata');
        m.dynamicPartitionMetadata = decodeDynamic(r.bytes(), 'dynamic_partition_metadata');
        return true;
      case 16:
        want(wt, WireType.Varint, what, 'partial_update');
        m.partialUpdate = r.bool();
        return true;
      case 17:
        want(wt, WireType.LengthDelimited, what, 'apex_info');
        m.apexInfo.push(decodeApex(r.bytes(), `apex_info ${m.apexInfo.length}`));
        return true;
      case 18:
        want(wt, WireType.LengthDelimited, what, 'security_patch_level');
        m.securityPatchLevel = r.string();
        return true;
      default:
        return false;
    }
  });
  return m;
}

/** A `Signatures` message (the metadata signature, the payload signature). */
export function decodeSignatures(buf: Uint8Array, what: string): Signature[] {
  const out: Signature[] = [];
  readFields(buf, what, (f, wt, r) => {
    if (f !== 1) return false;
    want(wt, WireType.LengthDelimited, what, 'signatures');
    const s: Signature = { version: null, data: Buffer.alloc(0), unpaddedSize: null };
    readFields(r.bytes(), `${what} signature ${out.length}`, (g, wt2, r2) => {
      if (g === 1) (want(wt2, WireType.Varint, what, 'version'), (s.version = r2.uint32()));
      else if (g === 2) (want(wt2, WireType.LengthDelimited, what, 'data'), (s.data = buffer(r2)));
      else if (g === 3) (want(wt2, WireType.Bit32, what, 'unpadded_signature_size'), (s.unpaddedSize = r2.fixed32()));
      else return false;
      return true;
    });
    out.push(s);
    return true;
  });
  return out;
}
