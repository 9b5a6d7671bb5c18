/**
 * Huawei / Honor `UPDATE.APP` (issue 18 item 1): the firmware container of
 * Huawei's Android releases, often inside `update_full_base.zip`. Usually 92
 * zero bytes, then records back to back, each starting on a 4-byte boundary.
 * A record, all little-endian (the layout split_updata.pl, HuaweiUpdateLibrary
 * and huawei_UPDATE.APP_unpacktool read): magic `55 AA 5A A5`; u32 header
 * length; u32 (1); 8-byte hardware id (`HW7x27xx`); u32 sequence (a partition
 * type code); u32 data length; 16-byte date and 16-byte time (ASCII); 16-byte
 * partition name (`SYSTEM`, `BOOT`, ...); 16 reserved bytes; u16 header
 * checksum; u16 block size (0x1000); u16 reserved: 98 bytes, then the CRC list
 * (header length − 98 bytes: one u16 per block of data), then the data.
 *
 * Each block's checksum is CRC-16/X-25 (reflected polynomial 0x8408, initial
 * value 0xFFFF, final xor 0xFFFF; src/io/crc16.ts), as the flash tool checks
 * it; romscope computes them in the container's single hashing pass, on a
 * hashing thread for a record of 16 MiB or more. The header checksum's
 * algorithm is not public: it is shown, not checked.
 */
import type { ChildSpec, ContainerHandler, DecodeContext } from '../types';
import type { RangeDigest } from '../../io/digest-set';
import { blockCrcAlgo } from '../../io/crc16';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString } from '../image-checksum';

const MAGIC = 0xa55aaa55; // 55 AA 5A A5 read little-endian
const RECORD_HEADER = 98;
/** The zero bytes before the first record in every UPDATE.APP seen. */
const LEAD = 92;
/** Records listed; a real UPDATE.APP has a few dozen. */
export const MAX_UPDATE_APP_RECORDS = 4096;
/** Bad blocks named in a message; the rest are counted. */
const MAX_NAMED_BLOCKS = 8;

export { crc16x25 } from '../../io/crc16';

function firstRecord(peek: Buffer): number | null {
  if (peek.length >= 8 && peek.readUInt32LE(0) === MAGIC) return 0;
  if (peek.length >= LEAD + 8 && peek.readUInt32LE(LEAD) === MAGIC && peek.subarray(0, LEAD).every((x) => x === 0)) return LEAD;
  return null;
}

/**
 * A range digest of one record's data: the CRC-16 of each block, computed in
 * the container's hashing pass (on a hashing thread when the record is large),
 * compared with the record's list.
 */
function blockCrcCheck(ctx: DecodeContext, part: string, start: number, length: number, blockSize: number, crcs: Buffer, listAt: number): RangeDigest {
  const blocks = Math.ceil(length / blockSize);
  return {
    algo: blockCrcAlgo(blockSize),
    start,
    end: start + length,
    // Only the container's facts wait on it: each record is read once, for its own decoding and digests and this list.
    standalone: true,
    done(hex) {
      const got = Buffer.from(hex, 'hex');
      const bad: number[] = [];
      let badCount = 0;
      for (let i = 0; i < blocks; i++) {
        if (got.readUInt16LE(i * 2) === crcs.readUInt16LE(i * 2)) continue;
        badCount++;
        if (bad.length < MAX_NAMED_BLOCKS) bad.push(i);
      }
      const subject = part;
      if (badCount === 0) ctx.fact({ kind: 'image-checksum-ok', message: `${part}: the CRC-16 of each of its ${blocks} blocks matches the record's list`, offset: listAt, subject });
      else {
        const more = badCount > bad.length ? ` and ${badCount - bad.length} more` : '';
        ctx.fact({
          kind: 'image-checksum',
          message: `${part}: ${badCount} of its ${blocks} blocks of ${blockSize} bytes do not match the record's CRC-16 list (block ${bad.join(', ')}${more})`,
          offset: listAt + bad[0] * 2,
          subject,
        });
      }
    },
  };
}

export const huaweiUpdateAppHandler: ContainerHandler = {
  id: 'huawei-update-app',
  kind: 'container',
  description: 'Huawei / Honor UPDATE.APP: partition records (55 AA 5A A5) with a CRC-16 per 4 KiB block',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => {
    const at = firstRecord(peek);
    if (at === null) return false;
    const headerLength = peek.readUInt32LE(at + 4);
    return headerLength >= RECORD_HEADER && (headerLength - RECORD_HEADER) % 2 === 0;
  },
  summary: (info) => {
    const out: string[] = [];
    if (typeof info.hardwareId === 'string') out.push(`hardware ${info.hardwareId}`);
    if (Array.isArray(info.records)) out.push(`${info.records.length} partitions`);
    return out;
  },
  async decode(src, ctx) {
    const first = firstRecord(await src.read(0, LEAD + 8));
    if (first === null) throw new FormatError('no UPDATE.APP record at offset 0 or 92');
    const children: ChildSpec[] = [];
    const rangeDigests: RangeDigest[] = [];
    const records: Record<string, unknown>[] = [];
    const taken = new Map<string, number>();
    let at = first;
    while (at + 4 <= src.size) {
      const magic = (await src.read(at, 4)).readUInt32LE(0);
      if (magic !== MAGIC) {
        // Padding to the next 4-byte boundary is zeros; anything else after the last record is not a record.
        const rest = await src.read(at, Math.min(4096, src.size - at));
        if (!rest.every((x) => x === 0))
          ctx.fact({ kind: 'unreadable', message: `no record at byte ${at} (the bytes there are not the record magic 55 AA 5A A5); ${src.size - at} bytes after the last record are not read`, offset: at });
        break;
      }
      if (records.length >= MAX_UPDATE_APP_RECORDS) {
        ctx.fact({ kind: 'budget', message: `more than ${MAX_UPDATE_APP_RECORDS} records; the rest are not listed`, offset: at });
        break;
      }
      if (at + RECORD_HEADER > src.size) {
        ctx.fact({ kind: 'truncated', message: `the record at byte ${at} is cut inside its ${RECORD_HEADER}-byte header`, offset: at });
        break;
      }
      const h = await src.read(at, RECORD_HEADER);
      const headerLength = h.readUInt32LE(4);
      const dataLength = h.readUInt32LE(24);
      const blockSize = h.readUInt16LE(94);
      const rawName = cString(h, 60, 16);
      const name = rawName.replace(/[/\\]/g, '_') || `record${records.length}`;
      const record: Record<string, unknown> = {
        name: rawName,
        offset: at,
        headerLength,
        hardwareId: cString(h, 12, 8),
        sequence: `0x${h.readUInt32LE(20).toString(16).padStart(8, '0')}`,
        dataLength,
        date: cString(h, 28, 16),
        time: cString(h, 44, 16),
        headerChecksum: `0x${h.readUInt16LE(90).toString(16).padStart(4, '0')}`,
        blockSize,
      };
      records.push(record);
      if (headerLength < RECORD_HEADER || (headerLength - RECORD_HEADER) % 2 !== 0) {
        ctx.fact({ kind: 'unreadable', message: `record ${name} at byte ${at}: a header length of ${headerLength} is not 98 bytes plus a list of 16-bit CRCs`, offset: at + 4, subject: name });
        break;
      }
      const dataAt = at + headerLength;
      let child = `${name}.img`;
      const n = (taken.get(child) ?? 0) + 1;
      taken.set(child, n);
      if (n > 1) child = `${name}#${n}.img`;
      const spec: ChildSpec = { name: child, source: new SliceSource(src, Math.min(dataAt, src.size), dataLength, child), info: { record: rawName, hardwareId: record.hardwareId } };
      if (dataAt + dataLength > src.size) {
        spec.facts = [{ kind: 'truncated', message: `${name} (${dataLength} bytes at offset ${dataAt}) runs past the end of the ${src.size}-byte file` }];
        children.push(spec);
        break;
      }
      children.push(spec);
      const listed = (headerLength - RECORD_HEADER) / 2;
      const needed = blockSize > 0 ? Math.ceil(dataLength / blockSize) : -1;
      if (blockSize === 0) ctx.fact({ kind: 'unreadable', message: `record ${name}: a block size of 0; its CRC list cannot be checked`, offset: at + 94, subject: name });
      else if (listed !== needed)
        ctx.fact({ kind: 'unreadable', message: `record ${name}: its CRC list has ${listed} entries, ${needed} blocks of ${blockSize} bytes need ${needed}; not checked`, offset: at + RECORD_HEADER, subject: name });
      else if (dataLength > 0) rangeDigests.push(blockCrcCheck(ctx, name, dataAt, dataLength, blockSize, await src.read(at + RECORD_HEADER, listed * 2), at + RECORD_HEADER));
      at = dataAt + dataLength;
      at += (4 - (at % 4)) % 4;
    }
    const hardware = [...new Set(records.map((r) => r.hardwareId as string))];
    return { info: { leadingZeros: first, hardwareId: hardware.join(', '), records }, children, rangeDigests };
  },
};
