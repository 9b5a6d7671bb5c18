/**
 * The device a package is checked against (`romscope check --device ...`):
 * who it is, and optionally the state it is in now. Every field is
 * optional; rules that need a field the target lacks stay silent.
 */
import { UsageError } from '../io/errors';
import { parseSamsungVersion } from './samsung';

export interface Target {
  /** Codename, as `ro.product.device` and `fastboot getvar product` give it (`raphael`, `blueline`). */
  device?: string;
  /** Model, as `ro.product.model` gives it (`SM-T870`, `Pixel 3`). */
  model?: string;
  /** Board or SoC platform (`ro.product.board`, `ro.board.platform`, an MTK `MT6768`). */
  board?: string;
  /** Fingerprint of the build on the device now (`ro.build.fingerprint`). */
  currentBuild?: string;
  /** Security patch level on the device now, `YYYY-MM-DD` (`ro.build.version.security_patch`). */
  currentPatch?: string;
  /** Build time of the build on the device now, seconds since 1970 (`ro.build.date.utc`). */
  currentTimestamp?: number;
  /** Bootloader version on the device (`ro.bootloader`, `fastboot getvar version-bootloader`). */
  bootloader?: string;
  /** The device's anti-rollback level: Xiaomi `fastboot getvar anti`, Samsung binary revision, or the AVB rollback index. */
  antiRollback?: number;
}

/** Throws a UsageError naming the flag when a value is malformed. */
export function validateTarget(t: Target): Target {
  const flag: Record<string, string> = {
    device: '--device',
    model: '--model',
    board: '--board',
    currentBuild: '--current-build',
    currentPatch: '--current-patch',
    currentTimestamp: '--current-timestamp',
    bootloader: '--bootloader',
    antiRollback: '--anti-rollback',
  };
  for (const k of ['device', 'model', 'board', 'currentBuild', 'bootloader'] as const) {
    const v = t[k];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.trim() === '' || v !== v.trim()) throw new UsageError(`${flag[k]} wants a non-empty value without surrounding spaces, got ${JSON.stringify(v)}`);
  }
  if (t.currentPatch !== undefined && !parsePatch(t.currentPatch)) throw new UsageError(`--current-patch wants a date YYYY-MM-DD (or YYYY-MM), got ${JSON.stringify(t.currentPatch)}`);
  for (const k of ['currentTimestamp', 'antiRollback'] as const) {
    const v = t[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new UsageError(`${flag[k]} wants a whole number of 0 or more, got ${v}`);
  }
  return t;
}

/** `2023-05-05` or `2023-05` → comparable parts; null when it is neither. */
function parsePatch(s: string): { year: number; month: number; day: number | null } | null {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(s.trim());
  if (!m) return null;
  const month = Number(m[2]);
  const day = m[3] === undefined ? null : Number(m[3]);
  if (month < 1 || month > 12 || (day !== null && (day < 1 || day > 31))) return null;
  return { year: Number(m[1]), month, day };
}

/**
 * Negative when patch level `a` is older than `b`. A month-only level (a boot
 * image header's `YYYY-MM`) is compared by month only.
 */
export function comparePatch(a: string, b: string): number | null {
  const x = parsePatch(a);
  const y = parsePatch(b);
  if (!x || !y) return null;
  if (x.year !== y.year) return x.year - y.year;
  if (x.month !== y.month) return x.month - y.month;
  if (x.day === null || y.day === null) return 0;
  return x.day - y.day;
}

export interface Fingerprint {
  brand: string;
  product: string;
  device: string;
  release: string;
  id: string;
  incremental: string;
  type: string;
  tags: string;
}

/** `BRAND/PRODUCT/DEVICE:RELEASE/ID/INCREMENTAL:TYPE/TAGS` (FORMATS.md §11.4); null when it is not one. */
export function parseFingerprint(fp: string): Fingerprint | null {
  const m = /^([^/:\s]+)\/([^/:\s]+)\/([^/:\s]+):([^/:\s]+)\/([^/:\s]+)\/([^/:\s]+):([^/:\s]+)\/([^/:\s]+)$/.exec(fp.trim());
  if (!m) return null;
  return { brand: m[1], product: m[2], device: m[3], release: m[4], id: m[5], incremental: m[6], type: m[7], tags: m[8] };
}

/** The Samsung binary revision a `--bootloader` value gives, when it is a Samsung version string. */
export function samsungBinaryOf(bootloader: string | undefined): number | null {
  if (!bootloader) return null;
  return parseSamsungVersion(bootloader)?.binary ?? null;
}
