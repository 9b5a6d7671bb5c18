/**
 * Samsung firmware version strings and Odin file names (FORMATS.md §9.3,
 * a convention, not a spec). A version such as `T870XXU2BUC6` reads
 *
 *   T870   model (the device is an SM-T870)
 *   XX     region
 *   U      update type (U upgrade, S security, E, Z)
 *   2      bootloader binary revision: 1-9, then A = 10, B = 11...
 *   B      OS version letter
 *   U      year letter
 *   C      month (A = January ... L = December)
 *   6      build
 *
 * The last eight characters have fixed places, so the model is what comes
 * before them. CSC versions (`T870OXM2BUC6`) have a three-letter CSC code
 * and no update type. The bootloader refuses firmware whose binary revision
 * is lower than its own ("SW REV CHECK FAIL"): that is Samsung's
 * anti-rollback.
 */
import { baseName } from '../formats/text';

export interface SamsungVersion {
  version: string;
  model: string;
  region: string;
  /** The binary revision as a number (`A` = 10). */
  binary: number;
}

const MODEL = /^[A-Z][A-Z0-9]*\d[A-Z0-9]*$/;

function binaryRevision(c: string): number {
  return /^[1-9]$/.test(c) ? Number(c) : c.charCodeAt(0) - 0x41 + 10;
}

/** An AP/BL/CP version (`T870XXU2BUC6`), or null. */
export function parseSamsungVersion(v: string): SamsungVersion | null {
  if (v.length <= 8) return null;
  const model = v.slice(0, -8);
  const region = v.slice(-8, -6);
  if (!MODEL.test(model) || !/^[A-Z]{2}$/.test(region) || !/^[USEZ][1-9A-Z][A-Z][A-Z][A-L][0-9A-Z]$/.test(v.slice(-6))) return null;
  return { version: v, model, region, binary: binaryRevision(v[v.length - 5]) };
}

/** A CSC version (`T870OXM2BUC6`), or null. */
export function parseCscVersion(v: string): SamsungVersion | null {
  if (v.length <= 8) return null;
  const model = v.slice(0, v.length - 8);
  const region = v.slice(v.length - 8, v.length - 5);
  if (!MODEL.test(model) || !/^[A-Z]{3}$/.test(region) || !/^[1-9A-Z][A-Z][A-Z][A-L][0-9A-Z]$/.test(v.slice(-5))) return null;
  return { version: v, model, region, binary: binaryRevision(v[v.length - 5]) };
}

export type OdinComponent = 'AP' | 'BL' | 'CP' | 'CSC' | 'HOME_CSC';

export interface OdinName {
  component: OdinComponent;
  version: SamsungVersion;
  /** CSC packages: the sales-code group before the version (`OMC_OXM`). */
  salesGroup?: string;
}

/** `AP_T870XXU2BUC6_CL21033099_..._meta_OS11.tar.md5` → AP, T870XXU2BUC6. Null when the name does not follow the convention. */
export function parseOdinName(fileName: string): OdinName | null {
  const base = baseName(fileName).replace(/\.tar(\.md5)?$/i, '');
  const m = /^(AP|BL|CP|HOME_CSC|CSC)_(.+)$/.exec(base);
  if (!m) return null;
  const component = m[1] as OdinComponent;
  const parts = m[2].split('_');
  const csc = component === 'CSC' || component === 'HOME_CSC';
  for (let i = 0; i < Math.min(parts.length, 4); i++) {
    const v = csc ? (parseCscVersion(parts[i]) ?? parseSamsungVersion(parts[i])) : parseSamsungVersion(parts[i]);
    if (v) return { component, version: v, ...(csc && i > 0 ? { salesGroup: parts.slice(0, i).join('_') } : {}) };
    if (!csc) break;
  }
  return null;
}
