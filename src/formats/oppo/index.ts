/**
 * Oppo, Realme and OnePlus packages whose contents are encrypted with vendor
 * keys (issue 18 item 7). romscope reads what is readable without a key and
 * says the rest is encrypted (`unsupported`); it never decrypts.
 *
 * - `.ozip` (OTA and fastboot packages): `OPPOENCRYPT!` at offset 0, the
 *   plain size as decimal ASCII at offset 16 (16 bytes), the payload from
 *   offset 0x1050, AES-128-ECB with a per-model key (bkerler's
 *   oppo_ozip_decrypt). The same header also starts single encrypted members
 *   inside an ordinary zip. A plain zip renamed `.ozip` is a zip.
 * - `.ofp` (MSM / flash tool packages), two variants (bkerler's
 *   oppo_decrypt): Qualcomm, whose last page (0x200 or 0x1000 bytes) holds
 *   u32 0x7CEF at +0x10, the XML file list's offset in pages at +0x14 and its
 *   length at +0x18, the XML and most items AES-128-CFB encrypted; MediaTek,
 *   whose last 0x6C bytes are a header obfuscated with a fixed nibble-swap
 *   and xor ("geyixue"): project name, cpu, flash type, entry count, project
 *   info, then a table of 0x60-byte entries before it (name, offset, length,
 *   encrypted length, file name, crc). An entry's first `encrypted length`
 *   bytes are AES encrypted; an entry with none is plain and is a child.
 * - `.ops` (OnePlus MSM packages, bkerler's opscrypto): the last 0x200
 *   bytes hold u32 0x7CEF at +0x10, the settings XML's offset in 0x200-byte
 *   sectors at +0x14 and its length at +0x18, the project id (16 bytes) at
 *   +0x1C and the firmware name at +0x2C. The XML and the SAHARA items are
 *   encrypted with OnePlus's own cipher.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { cString } from '../image-checksum';

export const OZIP_MAGIC = 'OPPOENCRYPT!';
export const OZIP_PAYLOAD = 0x1050;
export const FOOTER_MAGIC = 0x7cef;
export const MTK_OFP_HEADER = 0x6c;
export const MTK_OFP_ENTRY = 0x60;
/** Entries of a MediaTek .ofp table read at most; --max-members may lower it. */
export const MAX_OFP_ENTRIES = 1024;
const OFP_OBFUSCATION = Buffer.from('geyixue', 'latin1');

/** Undoes the MediaTek .ofp header obfuscation: each byte's nibbles swapped, then xored with the key (restarting at the buffer's start). */
export function mtkOfpClear(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length);
  for (let i = 0; i < b.length; i++) out[i] = (((b[i] & 0x0f) << 4) | (b[i] >> 4)) ^ OFP_OBFUSCATION[i % OFP_OBFUSCATION.length];
  return out;
}

const printable = (s: string) => /^[\x20-\x7e]*$/.test(s);
const raw = (b: Buffer, at: number, len: number) => {
  const s = b.subarray(at, at + len);
  const end = s.indexOf(0);
  return s.toString('latin1', 0, end < 0 ? s.length : end);
};

/** The last-page footer of a Qualcomm .ofp or a .ops: page size and fields, or null. */
function qcFooter(tail: Buffer, size: number, pages: number[]): { pageSize: number; f: Buffer } | null {
  for (const page of pages) {
    if (size < page || tail.length < page) continue;
    const f = tail.subarray(tail.length - page);
    if (f.readUInt32LE(0x10) === FOOTER_MAGIC) return { pageSize: page, f };
  }
  return null;
}

export const oppoOzipHandler: ContainerHandler = {
  id: 'oppo-ozip',
  kind: 'container',
  description: 'Oppo / Realme .ozip (OPPOENCRYPT!): a package encrypted with a per-model AES key',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 12 && peek.toString('latin1', 0, 12) === OZIP_MAGIC,
  async decode(src, ctx) {
    const h = await src.read(0, Math.min(src.size, 32));
    const declared = h.length >= 32 ? raw(h, 16, 16).trim() : '';
    const info: Record<string, unknown> = { payloadOffset: OZIP_PAYLOAD };
    if (/^\d+$/.test(declared)) info.plainSize = Number(declared);
    else if (declared) info.plainSizeField = cString(h, 16, 16);
    if (src.size < OZIP_PAYLOAD) {
      ctx.fact({ kind: 'truncated', message: `${src.size} bytes: the .ozip header is ${OZIP_PAYLOAD} bytes, so no payload follows it`, offset: 0 });
      return { info, children: [] };
    }
    info.payloadSize = src.size - OZIP_PAYLOAD;
    ctx.fact({
      kind: 'unsupported',
      message: `an Oppo .ozip: its ${src.size - OZIP_PAYLOAD} bytes from offset ${OZIP_PAYLOAD} are AES-128-ECB encrypted with a per-model Oppo key, which romscope does not have; the package inside is not read`,
      offset: OZIP_PAYLOAD,
    });
    return { info, children: [] };
  },
};

export const oppoOfpHandler: ContainerHandler = {
  id: 'oppo-ofp',
  kind: 'container',
  description: 'Oppo / Realme .ofp flash package (Qualcomm or MediaTek): encrypted file list and items',
  traits: { role: 'archive', confidence: 'name' },
  detect: ({ name, size, peek }) => /\.ofp$/i.test(name) && size !== null && size >= MTK_OFP_HEADER && !(peek[0] === 0x50 && peek[1] === 0x4b),
  summary: (info) => (typeof info.variant === 'string' ? [info.variant] : []),
  async decode(src, ctx) {
    const tail = await src.read(Math.max(0, src.size - 0x1000), Math.min(src.size, 0x1000));
    const qc = qcFooter(tail, src.size, [0x200, 0x1000]);
    if (qc) {
      const { pageSize, f } = qc;
      const footerAt = src.size - pageSize;
      const xmlOffset = f.readUInt32LE(0x14) * pageSize;
      const xmlLength = f.readUInt32LE(0x18);
      const info: Record<string, unknown> = { variant: 'qualcomm', pageSize, footerOffset: footerAt, xmlOffset, xmlLength, footerWords: [0, 4, 8, 12].map((o) => f.readUInt32LE(o)) };
      if (xmlOffset + xmlLength > footerAt)
        ctx.fact({ kind: 'unreadable', message: `the footer places the file list (${xmlLength} bytes at offset ${xmlOffset}) past the footer at ${footerAt}`, offset: footerAt + 0x14 });
      ctx.fact({
        kind: 'unsupported',
        message: `an Oppo Qualcomm .ofp: its file list (XML at offset ${xmlOffset}) and its items are AES-128-CFB encrypted with a per-model Oppo key, which romscope does not have; the items are not listed`,
        offset: xmlOffset,
      });
      return { info, children: [] };
    }
    if (src.size < MTK_OFP_HEADER) throw new FormatError(`${src.size} bytes: too short for an .ofp footer`);
    const hdrAt = src.size - MTK_OFP_HEADER;
    const hdr = mtkOfpClear(tail.subarray(tail.length - MTK_OFP_HEADER));
    const project = raw(hdr, 0, 46);
    const cpu = raw(hdr, 60, 7);
    const flash = raw(hdr, 67, 5);
    const count = hdr.readUInt16LE(72);
    if (!printable(project) || !printable(cpu) || !printable(flash) || count === 0)
      throw new FormatError('neither a Qualcomm .ofp footer (0x7CEF at +0x10 of the last 0x200- or 0x1000-byte page) nor a MediaTek .ofp header in the last 0x6C bytes');
    const info: Record<string, unknown> = { variant: 'mediatek', project, cpu, flashType: flash, projectInfo: raw(hdr, 74, 32), headerCrc: `0x${hdr.readUInt16LE(106).toString(16).padStart(4, '0')}`, entryCount: count };
    let n = Math.min(count, MAX_OFP_ENTRIES, ctx.budget.opts.maxMembers);
    if (n < count) ctx.fact({ kind: 'budget', message: `${count} entries, more than ${n}; the rest are not listed`, offset: hdrAt + 72 });
    if (n * MTK_OFP_ENTRY > hdrAt) {
      ctx.fact({ kind: 'truncated', message: `a table of ${n} entries of ${MTK_OFP_ENTRY} bytes does not fit before the header at ${hdrAt}`, offset: hdrAt + 72 });
      n = Math.floor(hdrAt / MTK_OFP_ENTRY);
    }
    const tableAt = hdrAt - n * MTK_OFP_ENTRY;
    const table = mtkOfpClear(await src.read(tableAt, n * MTK_OFP_ENTRY));
    const entries: Record<string, unknown>[] = [];
    const children: ChildSpec[] = [];
    const taken = new Set<string>();
    let encrypted = 0;
    for (let i = 0; i < n; i++) {
      const e = table.subarray(i * MTK_OFP_ENTRY, (i + 1) * MTK_OFP_ENTRY);
      const big = [32, 40, 48].map((o) => e.readBigUInt64LE(o));
      const [offset, length, encLength] = big.map((v) => (v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v)));
      const entry = { name: cString(e, 0, 32), fileName: cString(e, 56, 32), offset: big[0].toString(), length: big[1].toString(), encryptedLength: big[2].toString(), crc: `0x${e.readBigUInt64LE(88).toString(16)}` };
      entries.push(entry);
      const label = (entry.fileName || entry.name || `entry${i}`).replace(/[/\\]/g, '_');
      if (offset < 0 || length < 0 || encLength < 0 || offset + length > tableAt) {
        ctx.fact({ kind: 'truncated', message: `entry ${i} (${label}, ${entry.length} bytes at offset ${entry.offset}) runs past the entry table at ${tableAt}`, offset: tableAt + i * MTK_OFP_ENTRY, subject: label });
        continue;
      }
      if (encLength > 0) {
        encrypted++;
        continue;
      }
      let name = label;
      for (let k = 2; taken.has(name); k++) name = `${label}#${k}`;
      taken.add(name);
      children.push({ name, source: new SliceSource(src, offset, length, name), info: { name: entry.name, offset, size: length } });
    }
    info.entries = entries;
    if (encrypted > 0)
      ctx.fact({
        kind: 'unsupported',
        message: `an Oppo MediaTek .ofp: ${encrypted} of its ${n} entries begin with AES-128-CFB encrypted bytes (a per-model Oppo key, which romscope does not have); they are listed, not read`,
        offset: tableAt,
      });
    return { info, children };
  },
};

export const oneplusOpsHandler: ContainerHandler = {
  id: 'oneplus-ops',
  kind: 'container',
  description: 'OnePlus .ops MSM package: a footer (0x7CEF) and an encrypted settings XML',
  traits: { role: 'archive', confidence: 'name' },
  detect: ({ name, size }) => /\.ops$/i.test(name) && size !== null && size >= 0x200,
  async decode(src, ctx) {
    if (src.size < 0x200) throw new FormatError(`${src.size} bytes: too short for the 0x200-byte .ops footer`);
    const footerAt = src.size - 0x200;
    const f = await src.read(footerAt, 0x200);
    if (f.readUInt32LE(0x10) !== FOOTER_MAGIC) throw new FormatError(`no .ops footer: the magic 0x7CEF is not at offset ${footerAt + 0x10}`);
    const xmlOffset = f.readUInt32LE(0x14) * 0x200;
    const xmlLength = f.readUInt32LE(0x18);
    const info: Record<string, unknown> = {
      footerOffset: footerAt,
      footerWords: [0, 4, 8, 12].map((o) => f.readUInt32LE(o)),
      xmlOffset,
      xmlLength,
      projectId: cString(f, 0x1c, 16),
      firmwareName: cString(f, 0x2c, 0x200 - 0x2c),
    };
    if (xmlOffset + xmlLength > footerAt)
      ctx.fact({ kind: 'unreadable', message: `the footer places the settings XML (${xmlLength} bytes at offset ${xmlOffset}) past the footer at ${footerAt}`, offset: footerAt + 0x14 });
    ctx.fact({
      kind: 'unsupported',
      message: `a OnePlus .ops: its settings XML (at offset ${xmlOffset}) and its SAHARA items are encrypted with OnePlus's own cipher, which romscope does not decrypt; the items are not listed`,
      offset: xmlOffset,
    });
    return { info, children: [] };
  },
};
