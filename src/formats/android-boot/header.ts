/**
 * Boot image and vendor_boot headers (FORMATS.md §2). All integers
 * little-endian; `header_version` is at offset 40 in every boot header.
 */
import type { AndroidBootInfo } from '../../report/info';
export const BOOT_MAGIC = 'ANDROID!';
export const VENDOR_BOOT_MAGIC = 'VNDRBOOT';
export const BOOT_HEADER_SIZES: Record<number, number> = { 1: 1648, 2: 1660, 3: 1580, 4: 1584 };
export const VENDOR_HEADER_SIZES: Record<number, number> = { 3: 2112, 4: 2128 };
export const VENDOR_RAMDISK_ENTRY_SIZE = 108;
export const RAMDISK_TYPES = ['none', 'platform', 'recovery', 'dlkm'];

export function cstr(b: Buffer, off: number, len: number): { text: string; terminated: boolean } {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return { text: (nul < 0 ? f : f.subarray(0, nul)).toString('latin1'), terminated: nul >= 0 };
}

/** `A.B.C` and `YYYY-MM` from the packed os_version (§2.6); null parts when the field is 0. */
function decodeOsVersion(v: number): { osVersion: string | null; patchLevel: string | null } {
  if (v === 0) return { osVersion: null, patchLevel: null };
  const a = v >>> 25;
  const b = (v >>> 18) & 0x7f;
  const c = (v >>> 11) & 0x7f;
  const y = ((v >>> 4) & 0x7f) + 2000;
  const m = v & 0xf;
  const version = v >>> 11;
  const level = v & 0x7ff;
  return {
    osVersion: version ? `${a}.${b}.${c}` : null,
    patchLevel: level ? `${y}-${String(m).padStart(2, '0')}` : null,
  };
}

export const pages = (n: number, page: number) => Math.ceil(n / page);

export interface Section {
  /** Child name, as unpack_bootimg names its output files. */
  name: string;
  offset: number;
  size: number;
}

export interface BootHeader {
  kind: 'boot' | 'vendor_boot';
  headerVersion: number;
  /** A v0 image whose version field holds the size of a QCOM dt blob (§2.8). */
  qcomDtSize?: number;
  pageSize: number;
  headerSize: number;
  info: AndroidBootInfo;
  sections: Section[];
  /** Where the last section ends, page-aligned (trailers start here). */
  end: number;
  problems: string[];
  /** v0–v2: the stored SHA-1 id (20 bytes as hex) and the components it covers, in order. */
  id?: { stored: string; components: (Section | null)[]; withDt: (Section | null)[] };
}

function u32(b: Buffer, o: number): number {
  return b.length >= o + 4 ? b.readUInt32LE(o) : 0;
}

/** Parses a boot header (v0–v4). `h` holds at least the first 4096 bytes when the file has them. */
export function parseBootHeader(h: Buffer): BootHeader {
  const problems: string[] = [];
  const rawVersion = u32(h, 40);
  let headerVersion = rawVersion;
  let qcomDtSize: number | undefined;
  if (rawVersion > 4) {
    // LineageOS mkbootimg --dt stores max(version, dt_size) here: a legacy v0 image with a dt blob.
    qcomDtSize = rawVersion;
    headerVersion = 0;
  }
  const info: AndroidBootInfo = { kind: 'boot', headerVersion };
  const sections: Section[] = [];
  if (headerVersion >= 3) {
    const page = 4096;
    const kernel = u32(h, 8);
    const ramdisk = u32(h, 12);
    const os = decodeOsVersion(u32(h, 16));
    const headerSize = u32(h, 20);
    // mkbootimg fills the field without a NUL when the command line is exactly 1536 characters: allowed.
    const cmd = cstr(h, 44, 1536);
    if (headerSize !== BOOT_HEADER_SIZES[headerVersion]) problems.push(`header_size is ${headerSize}, a v${headerVersion} header is ${BOOT_HEADER_SIZES[headerVersion]} bytes`);
    const sig = headerVersion === 4 ? u32(h, 1580) : 0;
    let at = page;
    for (const [name, size] of [
      ['kernel', kernel],
      ['ramdisk', ramdisk],
      ['boot_signature', sig],
    ] as const) {
      if (size > 0) sections.push({ name, offset: at, size });
      at += pages(size, page) * page;
    }
    Object.assign(info, { pageSize: page, headerSize, kernelSize: kernel, ramdiskSize: ramdisk, ...os, cmdline: cmd.text, bootSignatureSize: headerVersion === 4 ? sig : undefined });
    return { kind: 'boot', headerVersion, pageSize: page, headerSize, info, sections, end: at, problems };
  }
  const page = u32(h, 36);
  const sizes = { kernel: u32(h, 8), ramdisk: u32(h, 16), second: u32(h, 24) };
  const os = decodeOsVersion(u32(h, 44));
  const name = cstr(h, 48, 16);
  const cmd = cstr(h, 64, 512);
  const extra = cstr(h, 608, 1024);
  // A 16-character board name fills its field without a NUL, as mkbootimg writes it: allowed.
  const id = h.subarray(576, 608);
  const headerSize = headerVersion === 0 ? 1632 : u32(h, 1644);
  Object.assign(info, {
    pageSize: page,
    headerSize,
    kernelSize: sizes.kernel,
    kernelAddr: u32(h, 12),
    ramdiskSize: sizes.ramdisk,
    ramdiskAddr: u32(h, 20),
    secondSize: sizes.second,
    secondAddr: u32(h, 28),
    tagsAddr: u32(h, 32),
    ...os,
    board: name.text,
    // mkbootimg puts the first 511 characters in cmdline and the rest in extra_cmdline.
    cmdline: cmd.text + extra.text,
    qcomDtSize,
  });
  if (page === 0 || (page & (page - 1)) !== 0) {
    problems.push(`page size ${page} is not a power of two`);
    return { kind: 'boot', headerVersion, qcomDtSize, pageSize: page, headerSize, info, sections: [], end: 0, problems };
  }
  if (page < 2048 || page > 16384) problems.push(`page size ${page} is outside mkbootimg's 2048-16384`);
  if (headerVersion >= 1 && headerSize !== BOOT_HEADER_SIZES[headerVersion]) problems.push(`header_size is ${headerSize}, a v${headerVersion} header is ${BOOT_HEADER_SIZES[headerVersion]} bytes`);
  let at = page;
  const place = (n: string, size: number): Section | null => {
    const s = size > 0 ? { name: n, offset: at, size } : null;
    if (s) sections.push(s);
    at += pages(size, page) * page;
    return s;
  };
  const kernel = place('kernel', sizes.kernel);
  const ramdisk = place('ramdisk', sizes.ramdisk);
  const second = place('second', sizes.second);
  const dt = qcomDtSize ? place('dt', qcomDtSize) : null;
  const components: (Section | null)[] = [kernel, ramdisk, second];
  if (headerVersion >= 1) {
    const dtboSize = u32(h, 1632);
    const dtboOffset = Number(h.length >= 1644 ? h.readBigUInt64LE(1636) : 0n);
    info.recoveryDtboSize = dtboSize;
    if (dtboSize > 0 && dtboOffset !== at) problems.push(`recovery_dtbo_offset is ${dtboOffset}, the layout puts it at ${at}`);
    components.push(place('recovery_dtbo', dtboSize));
  }
  if (headerVersion >= 2) {
    const dtbSize = u32(h, 1648);
    info.dtbSize = dtbSize;
    info.dtbAddr = Number(h.length >= 1660 ? h.readBigUInt64LE(1652) : 0n);
    if (dtbSize === 0) problems.push('a v2 boot image needs a DTB (dtb_size is 0)');
    components.push(place('dtb', dtbSize));
  }
  // LineageOS hashes a dt slot right after `second` for every version (§2.5).
  const withDt = [...components.slice(0, 3), dt, ...components.slice(3)];
  return {
    kind: 'boot',
    headerVersion,
    qcomDtSize,
    pageSize: page,
    headerSize,
    info,
    sections,
    end: at,
    problems,
    id: { stored: id.subarray(0, 20).toString('hex'), components, withDt },
  };
}

/** Parses a vendor_boot header (v3, v4) and, for v4, its ramdisk table (read separately). */
export function parseVendorBootHeader(h: Buffer): BootHeader {
  const problems: string[] = [];
  const headerVersion = u32(h, 8);
  const page = u32(h, 12);
  const ramdisk = u32(h, 24);
  const cmd = cstr(h, 28, 2048);
  const name = cstr(h, 2080, 16);
  const headerSize = u32(h, 2096);
  const dtb = u32(h, 2100);
  const info: AndroidBootInfo = {
    kind: 'vendor_boot',
    headerVersion,
    pageSize: page,
    headerSize,
    kernelAddr: u32(h, 16),
    ramdiskAddr: u32(h, 20),
    vendorRamdiskSize: ramdisk,
    cmdline: cmd.text,
    tagsAddr: u32(h, 2076),
    board: name.text,
    dtbSize: dtb,
    dtbAddr: Number(h.length >= 2112 ? h.readBigUInt64LE(2104) : 0n),
  };
  if (headerVersion !== 3 && headerVersion !== 4) problems.push(`vendor_boot header version ${headerVersion} (only 3 and 4 exist)`);
  if (page === 0 || (page & (page - 1)) !== 0) {
    problems.push(`page size ${page} is not a power of two`);
    return { kind: 'vendor_boot', headerVersion, pageSize: page, headerSize, info, sections: [], end: 0, problems };
  }
  if (VENDOR_HEADER_SIZES[headerVersion] && headerSize !== VENDOR_HEADER_SIZES[headerVersion]) {
    problems.push(`header_size is ${headerSize}, a v${headerVersion} vendor_boot header is ${VENDOR_HEADER_SIZES[headerVersion]} bytes`);
  }
  if (dtb === 0) problems.push('vendor_boot needs a DTB (dtb_size is 0)');
  if (!cmd.terminated) problems.push('the vendor command line is not NUL-terminated within its 2048 bytes');
  const sections: Section[] = [];
  let at = pages(headerSize || VENDOR_HEADER_SIZES[3], page) * page;
  const place = (n: string, size: number) => {
    if (size > 0) sections.push({ name: n, offset: at, size });
    at += pages(size, page) * page;
  };
  place('vendor_ramdisk', ramdisk);
  place('dtb', dtb);
  if (headerVersion >= 4) {
    const tableSize = u32(h, 2112);
    const entries = u32(h, 2116);
    const entrySize = u32(h, 2120);
    const bootconfig = u32(h, 2124);
    Object.assign(info, { ramdiskTableSize: tableSize, ramdiskTableEntries: entries, ramdiskTableEntrySize: entrySize, bootconfigSize: bootconfig });
    if (entrySize !== VENDOR_RAMDISK_ENTRY_SIZE) problems.push(`vendor ramdisk table entries are ${entrySize} bytes, not ${VENDOR_RAMDISK_ENTRY_SIZE}`);
    if (tableSize !== entries * entrySize) problems.push(`vendor ramdisk table is ${tableSize} bytes for ${entries} entries of ${entrySize}`);
    place('vendor_ramdisk_table', tableSize);
    place('bootconfig', bootconfig);
  }
  return { kind: 'vendor_boot', headerVersion, pageSize: page, headerSize, info, sections, end: at, problems };
}
