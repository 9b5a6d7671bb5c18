import { phrases, labelled } from '../summary';
/**
 * OTA package metadata, the legacy text form (FORMATS.md §7.3):
 * `META-INF/com/android/metadata`, `key=value` lines written by
 * ota_utils.py (and by older releasetools and custom ROM builders). Recovery
 * checks `pre-device`, `pre-build`, `pre-build-incremental`, the
 * `post-timestamp` downgrade rule and `serialno` before installing; A/B
 * packages carry the same keys. `info` mirrors the `OtaMetadata` message of
 * `metadata.pb` (type, wipe, downgrade, precondition, postcondition...) so a
 * decoder of the protobuf form can produce the same shape and the same facts
 * through `otaMetadataFacts`.
 */
import type { DocumentHandler } from '../types';
import type { Fact } from '../../report/model';
import { baseName, decodeText, looksLikeText, peekText, splitLines } from '../text';
import { buildFact, declaration, splitList, type Alternative, type DeclarationSource } from '../../compat/declarations';
import type { OtaMetadataInfo as OtaMetadataReportInfo } from '../../report/info';

const MAX_BYTES = 1 << 20;
const KEY_LINE = /^\s*([A-Za-z0-9._-]+)\s*=(.*)$/;
const KNOWN_KEYS = new Set([
  'ota-type',
  'ota-wipe',
  'ota-downgrade',
  'ota-required-cache',
  'ota-retrofit-dynamic-partitions',
  'ota-property-files',
  'ota-streaming-property-files',
  'post-build',
  'post-build-incremental',
  'post-sdk-level',
  'post-security-patch-level',
  'post-timestamp',
  'pre-device',
  'pre-build',
  'pre-build-incremental',
  'pre-bootloader',
  'spl-downgrade',
  'serialno',
]);

export interface DeviceStateInfo {
  device?: string[];
  build?: string[];
  buildIncremental?: string;
  timestamp?: number;
  sdkLevel?: string;
  securityPatchLevel?: string;
  /** Legacy text only (`pre-bootloader`, older releasetools): required `ro.bootloader` values. */
  bootloader?: string[];
}

export type OtaMetadataInfo = {
  type?: string;
  wipe?: boolean;
  downgrade?: boolean;
  splDowngrade?: boolean;
  retrofitDynamicPartitions?: boolean;
  requiredCache?: number;
  precondition?: DeviceStateInfo;
  postcondition?: DeviceStateInfo;
};

/** Device lists are split on `|`, `:` or `,` (recovery's pre-device check), fingerprint lists on `|` (FORMATS.md §7.3). */
export const DEVICE_SEPARATORS = /[|:,]/;
export const BUILD_SEPARATORS = /[|]/;

/**
 * The `device` and `build` lists of a precondition or postcondition, each
 * value split the way recovery splits the text form's: a protobuf may hold
 * one joined value (`"a|b"`) or one value per entry. Used for both
 * conditions, text and protobuf alike, so the two never differ.
 */
export function splitStateLists<T extends { device?: string[]; build?: string[] }>(st: T): T {
  const split = (vs: string[] | undefined, sep: RegExp) => (vs ? vs.flatMap((v) => splitList(v, sep)) : undefined);
  const out = { ...st };
  if (st.device) out.device = split(st.device, DEVICE_SEPARATORS);
  if (st.build) out.build = split(st.build, BUILD_SEPARATORS);
  return out;
}

/** Reads the `key=value` lines; the last value of a key wins, as in recovery's parser. */
export function parseOtaMetadataText(text: string): { fields: Map<string, { value: string; line: number }>; info: OtaMetadataInfo } {
  const fields = new Map<string, { value: string; line: number }>();
  splitLines(text).forEach((raw, i) => {
    const m = KEY_LINE.exec(raw);
    if (m) fields.set(m[1], { value: m[2].trim(), line: i + 1 });
  });
  const get = (k: string) => fields.get(k)?.value;
  const yes = (k: string) => (fields.has(k) ? get(k) === 'yes' : undefined);
  const num = (k: string) => {
    const v = get(k);
    return v !== undefined && /^\d+$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined;
  };
  const list = (k: string, sep?: RegExp) => (fields.has(k) ? splitList(get(k)!, sep) : undefined);
  const pre: DeviceStateInfo = {
    device: list('pre-device', DEVICE_SEPARATORS),
    build: list('pre-build', BUILD_SEPARATORS),
    buildIncremental: get('pre-build-incremental'),
    bootloader: list('pre-bootloader'),
  };
  const post: DeviceStateInfo = {
    build: list('post-build', BUILD_SEPARATORS),
    buildIncremental: get('post-build-incremental'),
    timestamp: num('post-timestamp'),
    sdkLevel: get('post-sdk-level'),
    securityPatchLevel: get('post-security-patch-level'),
  };
  const clean = <T extends object>(o: T): T | undefined => {
    const e = Object.entries(o).filter(([, v]) => v !== undefined);
    return e.length ? (Object.fromEntries(e) as T) : undefined;
  };
  return {
    fields,
    info:
      clean({
        type: get('ota-type'),
        wipe: yes('ota-wipe'),
        downgrade: yes('ota-downgrade'),
        splDowngrade: yes('spl-downgrade'),
        retrofitDynamicPartitions: yes('ota-retrofit-dynamic-partitions'),
        requiredCache: num('ota-required-cache'),
        precondition: clean(pre),
        postcondition: clean(post),
      }) ?? {},
  };
}

/**
 * The declaration and build facts of OTA metadata, text or protobuf. `lines`
 * gives the line of each legacy key (`pre-device`...) when the source has lines.
 */
export function otaMetadataFacts(m: OtaMetadataInfo, lines: (key: string) => number | undefined = () => undefined, source: DeclarationSource = 'ota-metadata'): Fact[] {
  const out: Fact[] = [];
  const pre = m.precondition ?? {};
  const post = m.postcondition ?? {};
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);
  const alts = (key: Alternative['key'], property: string, values: string[], wildcard = false): Alternative[] =>
    values.map((value) => ({ key, property, value, ...(wildcard && value.endsWith('*') ? { wildcard: true } : {}) }));
  const devices = strings(pre.device);
  if (devices.length) out.push(declaration(source, alts('device', 'pre-device', devices), { enforced: true, line: lines('pre-device') }));
  const preBuilds = strings(pre.build);
  if (preBuilds.length) out.push(declaration(source, alts('fingerprint', 'pre-build', preBuilds), { enforced: true, line: lines('pre-build') }));
  if (typeof pre.buildIncremental === 'string' && pre.buildIncremental !== '') {
    out.push(declaration(source, alts('incremental', 'pre-build-incremental', [pre.buildIncremental]), { enforced: true, line: lines('pre-build-incremental') }));
  }
  const bootloaders = strings(pre.bootloader);
  if (bootloaders.length) out.push(declaration(source, alts('bootloader', 'pre-bootloader', bootloaders, true), { enforced: true, line: lines('pre-bootloader') }));
  for (const fp of strings(post.build)) out.push(buildFact(source, 'fingerprint', 'post-build', fp, { line: lines('post-build') }));
  if (typeof post.buildIncremental === 'string' && post.buildIncremental !== '') out.push(buildFact(source, 'incremental', 'post-build-incremental', post.buildIncremental, { line: lines('post-build-incremental') }));
  if (typeof post.timestamp === 'number' && Number.isSafeInteger(post.timestamp)) out.push(buildFact(source, 'timestamp', 'post-timestamp', String(post.timestamp), { line: lines('post-timestamp') }));
  if (typeof post.securityPatchLevel === 'string' && post.securityPatchLevel !== '') {
    out.push(buildFact(source, 'security-patch', 'post-security-patch-level', post.securityPatchLevel, { line: lines('post-security-patch-level') }));
  }
  if (typeof post.sdkLevel === 'string' && post.sdkLevel !== '') out.push(buildFact(source, 'sdk', 'post-sdk-level', post.sdkLevel, { line: lines('post-sdk-level') }));
  if (m.downgrade === true) out.push(buildFact(source, 'downgrade', 'ota-downgrade', 'yes', { line: lines('ota-downgrade') }));
  if (m.splDowngrade === true) out.push(buildFact(source, 'spl-downgrade', 'spl-downgrade', 'yes', { line: lines('spl-downgrade') }));
  return out;
}

/** At least `need` lines with a key recovery or ota_utils.py writes, and nothing but `key=value` lines. */
function looksLikeMetadata(text: string, need: number): boolean {
  let known = 0;
  for (const raw of splitLines(text).slice(0, 200)) {
    if (raw.trim() === '') continue;
    const m = KEY_LINE.exec(raw);
    if (!m) return false;
    if (KNOWN_KEYS.has(m[1])) known++;
  }
  return known >= need;
}

export const otaMetadataHandler: DocumentHandler = {
  id: 'ota-metadata',
  summary: (i) => phrases(labelled('type', i.type), labelled('ota-type', i['ota-type'])),
  kind: 'document',
  traits: { role: 'update', confidence: 'name' },
  description: 'OTA package metadata, text form (META-INF/com/android/metadata)',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => looksLikeText(peek) && looksLikeMetadata(peekText(peek), baseName(name) === 'metadata' ? 1 : 2),
  decode(bytes, ctx): OtaMetadataReportInfo {
    const { text, encoding } = decodeText(bytes);
    const { fields, info } = parseOtaMetadataText(text);
    for (const f of otaMetadataFacts(info, (k) => fields.get(k)?.line)) ctx.fact(f);
    return { ...info, ...(encoding === 'utf-8' ? {} : { encoding }) };
  },
};
