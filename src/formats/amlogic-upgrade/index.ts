/**
 * Amlogic burning package (`aml_upgrade_package.img`, made by
 * aml_image_v2_packer; read by the USB Burning Tool and burn cards). All
 * little-endian. A 64-byte header: u32 CRC-32, u32 version (1 or 2), u32
 * magic 0x27B51956, u64 image size, u32 item alignment, u32 item count, 36
 * reserved bytes. Then the item table, one entry per item: u32 id, u32 file
 * type (0 normal, 0xFE Android sparse, 0x1FE UBI, 0x2FE UBIFS), u64 current
 * offset in the item (0), u64 offset in the image, u64 item size, the main
 * type (`PARTITION`, `USB`, `VERIFY`, `conf`, `dtb`...) and the sub type
 * (`system`, `DDR`, `platform`...) as NUL-padded strings of 32 bytes (v1,
 * 128-byte entries) or 256 bytes (v2, 576-byte entries), u32 verify flag,
 * u16 is-backup, u16 backup item id, 24 reserved bytes. A backup item points
 * at the bytes of an earlier identical item.
 *
 * The CRC-32 covers bytes 4 to the image size: zlib's CRC without the final
 * inversion (ampack, the SaluteDevices format notes). A `PARTITION` item
 * with its verify flag set is followed by a `VERIFY` item of the same sub
 * type holding `sha1sum <40 hex digits>`, the SHA-1 of the partition item's
 * bytes. Both are range digests of the package's single hashing pass.
 */
import type { ChildSpec, ContainerHandler, RangeDigestRequest } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString } from '../image-checksum';

export const AML_UPGRADE_MAGIC = 0x27b51956;
const HEADER = 64;
/** Items listed at most, whatever the header says (real packages have a few dozen); --max-members may lower it. */
export const MAX_AML_UPGRADE_ITEMS = 4096;
const FILE_TYPES: Record<number, string> = { 0: 'normal', 0xfe: 'sparse', 0x1fe: 'ubi', 0x2fe: 'ubifs' };
const SPARSE_MAGIC = 0xed26ff3a;
/** Bytes a VERIFY item holds: `sha1sum ` and 40 hex digits. */
const VERIFY_SIZE = 48;

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function entrySize(version: number): number | null {
  return version === 1 ? 128 : version === 2 ? 576 : null;
}

/** A u64 as a number, or null past 2^53 (no real offset or size is). */
function u64(b: Buffer, at: number): number | null {
  const v = b.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
}

export const amlogicUpgradeHandler: ContainerHandler = {
  id: 'amlogic-upgrade',
  kind: 'container',
  description: 'Amlogic burning package (aml_upgrade_package.img, magic 0x27B51956): items with a CRC-32 and a SHA-1 per partition',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= HEADER && peek.readUInt32LE(8) === AML_UPGRADE_MAGIC && peek.readUInt32LE(4) >= 1 && peek.readUInt32LE(4) <= 16,
  summary: (info) => {
    const out: string[] = [];
    if (typeof info.version === 'number') out.push(`v${info.version}`);
    if (Array.isArray(info.items)) out.push(`${info.items.length} items`);
    return out;
  },
  async decode(src, ctx) {
    if (src.size < HEADER) throw new FormatError(`${src.size} bytes: shorter than the ${HEADER}-byte header`);
    const h = await src.read(0, HEADER);
    const crc = h.readUInt32LE(0);
    const version = h.readUInt32LE(4);
    const imageSize = u64(h, 12);
    const count = h.readUInt32LE(24);
    const info: Record<string, unknown> = { version, crc: hex32(crc), imageSize: imageSize ?? h.readBigUInt64LE(12).toString(), itemAlignSize: h.readUInt32LE(20), itemCount: count };
    const rangeDigests: RangeDigestRequest[] = [];
    if (imageSize === null || imageSize > src.size) ctx.fact({ kind: 'truncated', message: `the header gives an image size of ${info.imageSize} bytes, the file has ${src.size}; the CRC-32 is not checked`, offset: 12 });
    else if (imageSize < HEADER) ctx.fact({ kind: 'unreadable', message: `the header gives an image size of ${imageSize} bytes, less than the header itself; the CRC-32 is not checked`, offset: 12 });
    else {
      // zlib's CRC-32 as a range digest (native, on the main thread); the stored value lacks its final inversion.
      rangeDigests.push({
        algo: 'crc32',
        start: 4,
        end: imageSize,
        // Only the package's facts wait on it: its items are read once, for their digests and this CRC.
        standalone: true,
        done(zlibHex: string) {
          const got = (parseInt(zlibHex, 16) ^ 0xffffffff) >>> 0;
          if (got === crc) ctx.fact({ kind: 'image-checksum-ok', message: `the package's CRC-32 (CRC-32 ${hex32(crc)}) matches bytes 4-${imageSize - 1}`, offset: 0 });
          else ctx.fact({ kind: 'image-checksum', message: `the package's CRC-32 is ${hex32(crc)}, but bytes 4-${imageSize - 1} give ${hex32(got)} (CRC-32)`, offset: 0 });
        },
      });
      if (src.size > imageSize) info.trailingBytes = src.size - imageSize;
    }
    const size = entrySize(version);
    if (size === null) {
      ctx.fact({ kind: 'unsupported', message: `package version ${version}: only versions 1 and 2 are known; its items are not read`, offset: 4 });
      return { info, children: [], rangeDigests };
    }
    const cap = Math.min(MAX_AML_UPGRADE_ITEMS, ctx.budget.opts.maxMembers);
    let n = count;
    if (n > cap) {
      ctx.fact({ kind: 'budget', message: `${count} items, more than ${cap}; the rest are not listed`, offset: 24 });
      n = cap;
    }
    const fit = Math.floor((src.size - HEADER) / size);
    if (n > fit) {
      ctx.fact({ kind: 'truncated', message: `a table of ${n} items of ${size} bytes runs past the end of the ${src.size}-byte file; ${fit} are read`, offset: HEADER });
      n = fit;
    }
    const table = await src.read(HEADER, n * size);
    const typeLen = version === 1 ? 32 : 256;
    const items: Record<string, unknown>[] = [];
    const children: ChildSpec[] = [];
    const taken = new Set<string>();
    /** The latest non-VERIFY item of each sub type, waiting for its VERIFY item. */
    const pending = new Map<string, { name: string; offset: number; size: number; index: number }>();
    /** The latest non-VERIFY item of each sub type whose verify flag is clear (a VERIFY item for one is still checked). */
    const unflagged = new Map<string, { name: string; offset: number; size: number; index: number }>();
    for (let i = 0; i < n; i++) {
      const e = table.subarray(i * size, (i + 1) * size);
      const at = HEADER + i * size;
      const fileType = e.readUInt32LE(4);
      const offset = u64(e, 16);
      const length = u64(e, 24);
      const mainType = cString(e, 32, typeLen);
      const subType = cString(e, 32 + typeLen, typeLen);
      const verify = e.readUInt32LE(32 + 2 * typeLen);
      const item: Record<string, unknown> = {
        id: e.readUInt32LE(0),
        fileType: FILE_TYPES[fileType] ?? hex32(fileType),
        currentOffsetInItem: e.readBigUInt64LE(8).toString(),
        offsetInImage: offset ?? e.readBigUInt64LE(16).toString(),
        itemSize: length ?? e.readBigUInt64LE(24).toString(),
        mainType,
        subType,
        verify,
        isBackupItem: e.readUInt16LE(36 + 2 * typeLen),
        backupItemId: e.readUInt16LE(38 + 2 * typeLen),
      };
      items.push(item);
      const label = `${subType || `item${i}`}.${mainType || 'item'}`.replace(/[/\\]/g, '_');
      if (offset === null || length === null) {
        ctx.fact({ kind: 'unreadable', message: `item ${i} (${label}): an offset or size past 2^53 bytes; not read`, offset: at + 16, subject: label });
        continue;
      }
      if (offset + length > src.size) {
        ctx.fact({ kind: 'truncated', message: `item ${i} (${label}, ${length} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file`, offset: at + 16, subject: label });
        if (mainType !== 'VERIFY') {
          pending.delete(subType);
          unflagged.delete(subType);
        }
        continue;
      }
      if (mainType === 'VERIFY') {
        const target = pending.get(subType) ?? unflagged.get(subType);
        pending.delete(subType);
        unflagged.delete(subType);
        if (!target) {
          ctx.fact({ kind: 'unreadable', message: `item ${i} is a VERIFY item for "${subType}", which no earlier item has`, offset: at, subject: label });
          continue;
        }
        const text = length === VERIFY_SIZE ? (await src.read(offset, VERIFY_SIZE)).toString('latin1') : '';
        const m = /^sha1sum ([0-9a-fA-F]{40})$/.exec(text);
        if (!m) {
          ctx.fact({ kind: 'unreadable', message: `${target.name}: its VERIFY item (${length} bytes at offset ${offset}) is not "sha1sum" and 40 hex digits; the item is not checked`, offset, subject: target.name });
          continue;
        }
        const expected = m[1].toLowerCase();
        item.sha1 = expected;
        items[target.index].sha1 = expected;
        const { name, offset: start, size: bytes } = target;
        rangeDigests.push({
          algo: 'sha1',
          start,
          end: start + bytes,
          standalone: true,
          done(got: string) {
            if (got === expected) ctx.fact({ kind: 'image-checksum-ok', message: `${name}: the SHA-1 in its VERIFY item (${expected}) matches its ${bytes} bytes`, offset, subject: name });
            else ctx.fact({ kind: 'image-checksum', message: `${name}: its VERIFY item gives SHA-1 ${expected}, its ${bytes} bytes at offset ${start} give ${got}`, offset, subject: name });
          },
        });
        continue;
      }
      let name = label;
      for (let k = 2; taken.has(name); k++) name = `${label}#${k}`;
      taken.add(name);
      const before = pending.get(subType);
      if (before) ctx.fact({ kind: 'unreadable', message: `${before.name}: its verify flag is set, but no VERIFY item follows it; its bytes are not checked`, offset: HEADER + before.index * size, subject: before.name });
      pending.delete(subType);
      unflagged.delete(subType);
      if (verify !== 0) pending.set(subType, { name, offset, size: length, index: i });
      else unflagged.set(subType, { name, offset, size: length, index: i });
      const spec: ChildSpec = { name, source: new SliceSource(src, offset, length, name), info: { mainType, subType, fileType: item.fileType } };
      if (fileType === 0xfe && length >= 4 && (await src.read(offset, 4)).readUInt32LE(0) !== SPARSE_MAGIC)
        ctx.fact({ kind: 'unreadable', message: `${name}: its file type says Android sparse, but its bytes do not start with the sparse magic`, offset: at + 4, subject: name });
      children.push(spec);
    }
    for (const p of pending.values())
      ctx.fact({ kind: 'unreadable', message: `${p.name}: its verify flag is set, but no VERIFY item follows it; its bytes are not checked`, offset: HEADER + p.index * size, subject: p.name });
    info.items = items;
    return { info, children, rangeDigests };
  },
};
