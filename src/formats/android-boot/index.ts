import { phrases, labelled, cut, sized, counted, num } from '../summary';
/**
 * Android boot images (FORMATS.md §2): boot / recovery / init_boot with header
 * v0–v4 and vendor_boot v3–v4. Every section is a child (named as
 * unpack_bootimg names its files); the v0–v2 SHA-1 id is recomputed in the
 * container's single hashing pass; trailers (AVB footer, Samsung
 * SEANDROIDENFORCE, GKI certificate) are described.
 */
import { createHash } from 'node:crypto';
import { appendedTrees, fdtMagicOffsets } from '../fdt';
import { BufferSource, SliceSource, type RandomSource } from '../../io/source';
import type { RangeTap } from '../../io/digest-set';
import type { ChildSpec, ContainerHandler, ContainerResult } from '../types';
import type { Fact } from '../../report/model';
import { AVB_FOOTER_SIZE, footerChildren, parseFooter } from '../avb-footer/image';
import { buildFact, declaration } from '../../compat/declarations';
import { BOOT_MAGIC, VENDOR_BOOT_MAGIC, BOOT_HEADER_SIZES, VENDOR_HEADER_SIZES, RAMDISK_TYPES, VENDOR_RAMDISK_ENTRY_SIZE, cstr, parseBootHeader, parseVendorBootHeader, type BootHeader, type Section } from './header';
import type { AndroidBootInfo, VendorRamdiskInfo } from '../../report/info';

const MTK_MAGIC = 0x58881688;
const MAX_RAMDISK_ENTRIES = 256;
const SEANDROID = Buffer.from('SEANDROIDENFORCE');

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** Taps that rebuild one variant of the v0–v2 id as the sections stream past (§2.5). */
function idTaps(components: (Section | null)[], done: (hex: string) => void): RangeTap[] {
  const h = createHash('sha1');
  let i = 0;
  const skipAbsent = () => {
    while (i < components.length && components[i] === null) {
      h.update(u32le(0));
      i++;
    }
    if (i === components.length) done(h.digest('hex'));
  };
  skipAbsent();
  return components
    .filter((c): c is Section => c !== null)
    .map((c) => ({
      start: c.offset,
      end: c.offset + c.size,
      update: (b: Buffer) => void h.update(b),
      done: () => {
        h.update(u32le(c.size));
        i++;
        skipAbsent();
      },
    }));
}

function kindOf(hdr: BootHeader, name: string): NonNullable<AndroidBootInfo['kind']> {
  if (hdr.kind === 'vendor_boot') return 'vendor_boot';
  if (/init_boot/i.test(name) || (hdr.headerVersion >= 3 && (hdr.info.kernelSize as number) === 0 && (hdr.info.ramdiskSize as number) > 0)) return 'init_boot';
  if (/recovery/i.test(name)) return 'recovery';
  return 'boot';
}

async function vendorRamdisks(src: RandomSource, hdr: BootHeader, invalid: (m: string) => void): Promise<ChildSpec[] | null> {
  const table = hdr.sections.find((s) => s.name === 'vendor_ramdisk_table');
  const section = hdr.sections.find((s) => s.name === 'vendor_ramdisk');
  const entries = hdr.info.ramdiskTableEntries;
  if (!table || !section || !entries) return null;
  if (entries > MAX_RAMDISK_ENTRIES) {
    invalid(`vendor ramdisk table claims ${entries} entries`);
    return null;
  }
  const buf = await src.read(table.offset, entries * VENDOR_RAMDISK_ENTRY_SIZE);
  if (buf.length < entries * VENDOR_RAMDISK_ENTRY_SIZE) return null; // the section check reports the short file
  const out: ChildSpec[] = [];
  const names = new Set<string>();
  const list: VendorRamdiskInfo[] = [];
  for (let i = 0; i < entries; i++) {
    const e = buf.subarray(i * VENDOR_RAMDISK_ENTRY_SIZE);
    const size = e.readUInt32LE(0);
    const offset = e.readUInt32LE(4);
    const type = e.readUInt32LE(8);
    const name = cstr(e, 12, 32).text;
    const boardId = Array.from({ length: 16 }, (_, k) => e.readUInt32LE(44 + 4 * k));
    const facts: Fact[] = [];
    if (offset + size > section.size) invalid(`vendor ramdisk ${i} ("${name}") runs past the ramdisk section (${offset}+${size} > ${section.size})`);
    if (names.has(name)) invalid(`vendor ramdisk name "${name}" is used twice`);
    names.add(name);
    list.push({ name, type: RAMDISK_TYPES[type] ?? type, size, offset, boardId: boardId.some(Boolean) ? boardId : undefined });
    const childName = `vendor_ramdisk${String(i).padStart(2, '0')}`;
    out.push({ name: childName, source: new SliceSource(src, section.offset + offset, size, childName), facts, info: { ramdiskName: name, ramdiskType: RAMDISK_TYPES[type] ?? type } });
  }
  hdr.info.vendorRamdisks = list;
  return out;
}

export const androidBootHandler: ContainerHandler = {
  id: 'android-boot',
  summary: (i) =>
    i.kind === 'vendor_boot'
      ? phrases(
          `vendor_boot v${i.headerVersion}`,
          labelled('board', i.board),
          cut(i.cmdline) && `cmdline ${cut(i.cmdline)}`,
          sized('bootconfig', num(i.bootconfigSize) || undefined),
          counted(i.vendorRamdisks, 'vendor ramdisk'),
        )
      : phrases(`boot v${i.headerVersion}`, labelled('OS', i.osVersion), labelled('patch', i.patchLevel), labelled('board', i.board), cut(i.cmdline) && `cmdline ${cut(i.cmdline)}`),
  kind: 'container',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  description: 'Android boot image (boot / recovery / init_boot v0-v4, vendor_boot v3-v4)',
  detect: ({ peek }) => {
    const m = peek.toString('latin1', 0, 8);
    return m === BOOT_MAGIC || m === VENDOR_BOOT_MAGIC;
  },
  async decode(src, ctx): Promise<ContainerResult> {
    const head = await src.read(0, 4096);
    const invalid = (message: string, offset?: number) => ctx.fact({ kind: 'boot-invalid', message, offset });
    // The whole header of its version must be there before any field is trusted.
    const vendor = head.toString('latin1', 0, 8) === VENDOR_BOOT_MAGIC;
    const version = head.length >= 44 ? head.readUInt32LE(vendor ? 8 : 40) : 0;
    const minimum = vendor ? (VENDOR_HEADER_SIZES[version] ?? 2112) : (BOOT_HEADER_SIZES[version] ?? 1632);
    if (head.length < minimum) {
      ctx.fact({ kind: 'truncated', message: `the v${version} ${vendor ? 'vendor_boot' : 'boot'} header needs ${minimum} bytes, the file has ${head.length}` });
      return { info: {}, children: [] };
    }
    const hdr = head.toString('latin1', 0, 8) === VENDOR_BOOT_MAGIC ? parseVendorBootHeader(head) : parseBootHeader(head);
    const info = hdr.info;
    info.kind = kindOf(hdr, src.name);
    for (const p of hdr.problems) invalid(p);
    const children: ChildSpec[] = [];
    const taps: RangeTap[] = [];
    // Sections first: each must lie inside the file.
    for (const s of hdr.sections) {
      if (s.offset + s.size > src.size) {
        invalid(`${s.name} (${s.size} bytes at offset ${s.offset}) runs past the end of the file (${src.size} bytes)`, s.offset);
      }
    }
    info.sections = hdr.sections.map((s) => ({ name: s.name, offset: s.offset, size: s.size }));
    const fragments = hdr.kind === 'vendor_boot' ? await vendorRamdisks(src, hdr, invalid) : null;
    for (const s of hdr.sections) {
      if (s.name === 'vendor_ramdisk_table') continue;
      if (s.name === 'vendor_ramdisk' && fragments) {
        children.push(...fragments);
        continue;
      }
      let offset = s.offset;
      let size = s.size;
      const extra: Record<string, unknown> = {};
      // MediaTek prepends a 512-byte header (magic 88 16 88 58, then a 32-byte name) to kernel and ramdisk.
      const lead = await src.read(s.offset, 48);
      if (lead.length >= 4 && lead.readUInt32LE(0) === MTK_MAGIC && (s.name === 'kernel' || s.name.includes('ramdisk'))) {
        extra.mtkHeader = { name: cstr(lead, 8, 32).text, size: lead.readUInt32LE(4) };
        offset += 512;
        size = Math.max(0, size - 512);
      }
      children.push({ name: s.name, source: new SliceSource(src, offset, size, s.name), info: extra });
      if (s.name === 'kernel') children.push(...(await dtbsAfterCompressedKernel(src, offset, size, extra)));
    }
    // v0–v2 id: both the AOSP and the LineageOS (dt slot) variant are accepted.
    if (hdr.id) {
      const stored = hdr.id.stored;
      if (/^0+$/.test(stored)) info.id = null;
      else {
        info.id = stored;
        const got: string[] = [];
        const settle = (hex: string) => {
          got.push(hex);
          if (got.length < 2) return;
          if (got.includes(stored)) ctx.fact({ kind: 'boot-id-ok', message: 'the header id matches the SHA-1 of the sections' });
          else ctx.fact({ kind: 'boot-id', message: `the header id is ${stored}; the sections hash to ${got[0]} (AOSP mkbootimg) or ${got[1]} (LineageOS mkbootimg)` });
        };
        taps.push(...idTaps(hdr.id.components, settle), ...idTaps(hdr.id.withDt, settle));
      }
    }
    taps.push(...(await describeTrailer(src, hdr, info, children)));
    for (const f of bootHeaderDeclarations(info.board, info.patchLevel)) ctx.fact(f);
    return { info, children, rangeTaps: taps };
  },
};

/**
 * What the header says about the device and build (src/compat/declarations.ts):
 * the board name (v0-v2 boot, vendor_boot), which describes the build and is
 * not checked by the bootloader, and the OS patch level.
 */
export function bootHeaderDeclarations(board: unknown, patchLevel: unknown): Fact[] {
  const out: Fact[] = [];
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  const b = text(board);
  if (b) out.push(declaration('boot-header', [{ key: 'board', property: 'board name', value: b }], { enforced: false }));
  const p = text(patchLevel);
  if (p) out.push(buildFact('boot-header', 'security-patch', 'os_patch_level', p));
  return out;
}

/**
 * What follows the last section: an AVB footer (children `avb_footer` and
 * `vbmeta`, and taps checking the image against its own vbmeta in the hashing
 * pass), Samsung's SEANDROIDENFORCE, a GKI certificate.
 */
/** The most of a compressed kernel's end searched for appended device trees. */
const APPENDED_DTB_TAIL = 8 << 20;

/**
 * Device trees appended to a compressed kernel (`Image.gz-dtb`, `Image.lz4-dtb`):
 * the decompressor stops at the end of its stream, so the trees after it are
 * listed here, as `kernel-dtb/<n>.dtb` (an uncompressed `Image-dtb` or
 * `zImage-dtb` lists them itself, src/formats/linux-kernel). Only the end of
 * the section is read; the trees must run from a valid FDT header to its end.
 */
async function dtbsAfterCompressedKernel(src: RandomSource, offset: number, size: number, extra: Record<string, unknown>): Promise<ChildSpec[]> {
  const lead = await src.read(offset, 4);
  const compressed = lead.length === 4 && ((lead[0] === 0x1f && lead[1] === 0x8b) || lead.readUInt32LE(0) === 0x184d2204 || lead.readUInt32LE(0) === 0x184c2102);
  if (!compressed) return [];
  const tailLen = Math.min(size, APPENDED_DTB_TAIL);
  const tailAt = offset + size - tailLen;
  const tail = await src.read(tailAt, tailLen);
  const found = await appendedTrees(new BufferSource(tail, 'kernel'), fdtMagicOffsets(tail, 0));
  if (!found) return [];
  extra.appendedDtbs = found.trees.length;
  extra.compressedKernelSize = tailAt + found.start - offset;
  return found.trees.map((t, i) => {
    const name = `kernel-dtb/${i}.dtb`;
    return { name, source: new SliceSource(src, tailAt + t.offset, t.size, name), info: { offset: tailAt + t.offset - offset, size: t.size } };
  });
}

async function describeTrailer(src: RandomSource, hdr: BootHeader, info: AndroidBootInfo, children: ChildSpec[]): Promise<RangeTap[]> {
  if (hdr.end <= 0 || hdr.end >= src.size) return [];
  info.trailingBytes = src.size - hdr.end;
  const after = await src.read(hdr.end, 64);
  if (after.subarray(0, SEANDROID.length).equals(SEANDROID)) info.samsungSeAndroidEnforce = true;
  let end = src.size;
  const avb = await footerChildren(src);
  if (avb) {
    info.avbFooter = true;
    children.push(...avb.children);
    // The partition image the footer describes ends at its original_image_size.
    const original = Number(parseFooter(await src.read(src.size - AVB_FOOTER_SIZE, AVB_FOOTER_SIZE)).originalImageSize);
    if (original >= hdr.end && original <= src.size) end = original;
  }
  if (end >= 16384 && end - 16384 >= hdr.end) {
    const cert = await src.read(end - 16384, 4);
    if (cert.toString('latin1') === 'AVB0') info.gkiCertificate = true;
  }
  return avb?.taps ?? [];
}
