/**
 * OTA package metadata, the protobuf form (`META-INF/com/android/metadata.pb`,
 * `OtaMetadata` in ota_metadata.proto here; FORMATS.md §7.3). Its info has the
 * shape of the text form's (index.ts: type, wipe, downgrade, precondition,
 * postcondition...), plus the property files and partition states only the
 * protobuf carries, and it records the same declaration and build facts
 * through `otaMetadataFacts`.
 */
import type { DocumentHandler } from '../types';
import { FormatError } from '../../io/errors';
import { readFields, want, i64, WireType } from '../protobuf';
import { otaMetadataFacts, splitStateLists, type DeviceStateInfo, type OtaMetadataInfo } from './index';
import type { OtaMetadataInfo as OtaMetadataReportInfo } from '../../report/info';

const OTA_TYPES = ['UNKNOWN', 'AB', 'BLOCK', 'BRICK'];
const MAX_BYTES = 1 << 20;

export interface PartitionStateInfo {
  partition: string;
  device?: string[];
  build?: string[];
  version?: string;
}

export interface OtaMetadataPb extends OtaMetadataInfo {
  /** `ota-property-files` entries: ZIP member name → `name:offset:size,...` tokens, as written. */
  propertyFiles?: Record<string, string>;
  /** Per-partition states of the precondition and postcondition (`partition_state`). */
  partitionStates?: { pre?: PartitionStateInfo[]; post?: PartitionStateInfo[] };
}

function decodePartitionState(buf: Uint8Array, what: string): PartitionStateInfo {
  const s: PartitionStateInfo = { partition: '' };
  readFields(buf, what, (f, wt, r) => {
    if (f === 1) (want(wt, WireType.LengthDelimited, what, 'partition_name'), (s.partition = r.string()));
    else if (f === 2) (want(wt, WireType.LengthDelimited, what, 'device'), (s.device ??= []).push(r.string()));
    else if (f === 3) (want(wt, WireType.LengthDelimited, what, 'build'), (s.build ??= []).push(r.string()));
    else if (f === 4) (want(wt, WireType.LengthDelimited, what, 'version'), (s.version = r.string()));
    else return false;
    return true;
  });
  return s;
}

function decodeDeviceState(buf: Uint8Array, what: string): { state: DeviceStateInfo; partitions: PartitionStateInfo[] } {
  const st: DeviceStateInfo = {};
  const partitions: PartitionStateInfo[] = [];
  readFields(buf, what, (f, wt, r) => {
    const str = (field: string) => (want(wt, WireType.LengthDelimited, what, field), r.string());
    switch (f) {
      case 1:
        (st.device ??= []).push(str('device'));
        return true;
      case 2:
        (st.build ??= []).push(str('build'));
        return true;
      case 3:
        st.buildIncremental = str('build_incremental') || undefined;
        return true;
      case 4: {
        want(wt, WireType.Varint, what, 'timestamp');
        const t = i64(r);
        st.timestamp = t === 0n ? undefined : Number(t);
        return true;
      }
      case 5:
        st.sdkLevel = str('sdk_level') || undefined;
        return true;
      case 6:
        st.securityPatchLevel = str('security_patch_level') || undefined;
        return true;
      case 7:
        want(wt, WireType.LengthDelimited, what, 'partition_state');
        partitions.push(decodePartitionState(r.bytes(), `${what} partition_state ${partitions.length}`));
        return true;
      default:
        return false;
    }
  });
  for (const k of Object.keys(st) as (keyof DeviceStateInfo)[]) if (st[k] === undefined) delete st[k];
  return { state: st, partitions };
}

/** Decodes an `OtaMetadata` message. Throws FormatError when the bytes are not one. */
export function decodeOtaMetadataPb(buf: Uint8Array): OtaMetadataPb {
  const what = 'metadata.pb';
  const m: OtaMetadataPb = {};
  let fields = 0;
  readFields(buf, what, (f, wt, r) => {
    const flag = (field: string) => (want(wt, WireType.Varint, what, field), r.bool() || undefined);
    fields++;
    switch (f) {
      case 1: {
        want(wt, WireType.Varint, what, 'type');
        const t = r.int32();
        m.type = OTA_TYPES[t] ?? `type ${t}`;
        return true;
      }
      case 2:
        m.wipe = flag('wipe');
        return true;
      case 3:
        m.downgrade = flag('downgrade');
        return true;
      case 4: {
        want(wt, WireType.LengthDelimited, what, 'property_files');
        let key = '';
        let value = '';
        readFields(r.bytes(), `${what} property_files entry`, (g, wt2, r2) => {
          if (g === 1) (want(wt2, WireType.LengthDelimited, what, 'key'), (key = r2.string()));
          else if (g === 2) (want(wt2, WireType.LengthDelimited, what, 'value'), (value = r2.string()));
          else return false;
          return true;
        });
        (m.propertyFiles ??= {})[key] = value;
        return true;
      }
      case 5:
      case 6: {
        want(wt, WireType.LengthDelimited, what, f === 5 ? 'precondition' : 'postcondition');
        const { state, partitions } = decodeDeviceState(r.bytes(), f === 5 ? 'precondition' : 'postcondition');
        if (Object.keys(state).length) m[f === 5 ? 'precondition' : 'postcondition'] = state;
        if (partitions.length) (m.partitionStates ??= {})[f === 5 ? 'pre' : 'post'] = partitions;
        return true;
      }
      case 7:
        m.retrofitDynamicPartitions = flag('retrofit_dynamic_partitions');
        return true;
      case 8: {
        want(wt, WireType.Varint, what, 'required_cache');
        m.requiredCache = Number(i64(r));
        return true;
      }
      case 9:
        m.splDowngrade = flag('spl_downgrade');
        return true;
      default:
        fields--;
        return false;
    }
  });
  if (fields === 0) throw new FormatError('metadata.pb holds none of the OtaMetadata fields');
  // proto3 leaves zeros out; the text form writes ota-required-cache=0.
  m.requiredCache ??= 0;
  // Lists may be joined in one value, as in the text form: split both conditions alike.
  if (m.precondition) m.precondition = splitStateLists(m.precondition);
  if (m.postcondition) m.postcondition = splitStateLists(m.postcondition);
  if (m.partitionStates?.pre) m.partitionStates.pre = m.partitionStates.pre.map(splitStateLists);
  if (m.partitionStates?.post) m.partitionStates.post = m.partitionStates.post.map(splitStateLists);
  for (const k of Object.keys(m) as (keyof OtaMetadataPb)[]) if (m[k] === undefined) delete m[k];
  return m;
}

/**
 * An OtaMetadata message by its content alone: only fields 1-9 at the top,
 * each with the wire type its declaration has, a real OTA type (AB, BLOCK or
 * BRICK), and a postcondition naming the build or its property files (what
 * ota_utils.py always writes).
 */
function looksLikeOtaMetadata(b: Buffer): boolean {
  const wire: Record<number, WireType> = {
    1: WireType.Varint,
    2: WireType.Varint,
    3: WireType.Varint,
    4: WireType.LengthDelimited,
    5: WireType.LengthDelimited,
    6: WireType.LengthDelimited,
    7: WireType.Varint,
    8: WireType.Varint,
    9: WireType.Varint,
  };
  // Cheap test first (detection runs on every small member): the first byte is the tag of one of those fields.
  if (b.length === 0 || b[0] > 0x7f || wire[b[0] >> 3] !== (b[0] & 7)) return false;
  let ok = true;
  readFields(b, 'metadata.pb', (f, wt) => {
    if (wire[f] !== wt) ok = false;
    return false;
  });
  if (!ok) return false;
  const m = decodeOtaMetadataPb(b);
  const post = m.postcondition;
  return m.type !== undefined && m.type !== 'UNKNOWN' && OTA_TYPES.includes(m.type) && ((post?.build?.length ?? 0) > 0 || post?.timestamp !== undefined || Object.keys(m.propertyFiles ?? {}).length > 0);
}

export const otaMetadataPbHandler: DocumentHandler = {
  id: 'ota-metadata',
  kind: 'document',
  traits: { role: 'update', confidence: 'name' },
  description: 'OTA package metadata, protobuf form (META-INF/com/android/metadata.pb)',
  maxBytes: MAX_BYTES,
  // No magic: bytes that decode as OtaMetadata with a known OTA type, under the name metadata.pb;
  // under another name (a copy saved as `rom_metadata.pb`) only an unmistakable one (looksLikeOtaMetadata).
  detect: ({ peek, name, size }) => {
    if (size === null || size > peek.length || size === 0) return false;
    if (!/(^|\/)metadata\.pb$/.test(name)) return looksLikeOtaMetadata(peek);
    const m = decodeOtaMetadataPb(peek);
    return m.type !== undefined && OTA_TYPES.includes(m.type);
  },
  decode(bytes, ctx): OtaMetadataReportInfo {
    let m: OtaMetadataPb;
    try {
      m = decodeOtaMetadataPb(bytes);
    } catch (e) {
      ctx.fact({ kind: 'unreadable', message: (e as Error).message });
      return {};
    }
    for (const f of otaMetadataFacts(m)) ctx.fact(f);
    return { ...m };
  },
};
