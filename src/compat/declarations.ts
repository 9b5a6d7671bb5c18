/**
 * What a package says about the device it is for and the build it installs,
 * as facts (docs/facts.md). Two kinds:
 *
 * - `declaration`: a condition on the device the package is flashed to, as
 *   one or more alternatives joined by "or" (`getprop("ro.product.device") ==
 *   "a" || getprop("ro.build.product") == "a"`; `pre-device=a|b`; `require
 *   board=a|b`). `enforced` says whether the flashing tool itself checks it
 *   (recovery, update_engine, fastboot, the ROM's flash script) or whether it
 *   only describes the build (build.prop, a boot image's board name, an Odin
 *   file name, a scatter file's project).
 * - `build`: one value about the build the package installs (post-build
 *   fingerprint, timestamp, security patch, build tags and type, downgrade
 *   flags, anti-rollback levels).
 *
 * Decoders record them as they decode: text formats with the line they come
 * from; the boot image header (board, patch level), the scatter file
 * (platform, project), the PIT header, Odin archive names. A vbmeta's
 * rollback index is recorded by the AVB cross-check, once it knows the
 * vbmeta is no GKI boot signature.
 */
import type { Fact } from '../report/model';
import { LIMITS } from '../io/limits';

/** Keys that name the device itself; the compatibility verdict is about these. */
export const IDENTITY_KEYS = ['device', 'model', 'board', 'name', 'project'] as const;
export type IdentityKey = (typeof IDENTITY_KEYS)[number];
/** Everything a declaration can require of the device. */
export type RequirementKey = IdentityKey | 'bootloader' | 'baseband' | 'fingerprint' | 'thumbprint' | 'incremental' | 'other';

export type DeclarationSource =
  | 'ota-metadata'
  | 'updater-script'
  | 'android-info'
  | 'flash-script'
  | 'xiaomi-rom-info'
  | 'odin-file-name'
  | 'samsung-pit'
  | 'mtk-scatter'
  | 'boot-header'
  | 'build-prop'
  | 'avb-vbmeta'
  | 'device-tree'
  | 'rockchip-parameter'
  | 'moto-flashfile'
  | 'lg-dz'
  | 'ftf-manifest';

/** How each source is named in messages. */
export const SOURCE_LABEL: Record<DeclarationSource, string> = {
  'ota-metadata': 'OTA metadata',
  'updater-script': 'updater-script',
  'android-info': 'android-info.txt',
  'flash-script': 'flash script',
  'xiaomi-rom-info': 'Xiaomi ROM info',
  'odin-file-name': 'Odin file name',
  'samsung-pit': 'PIT',
  'mtk-scatter': 'scatter file',
  'boot-header': 'boot image header',
  'build-prop': 'build properties',
  'avb-vbmeta': 'vbmeta',
  'moto-flashfile': 'Motorola flashfile',
  'lg-dz': 'LG DZ header',
  'device-tree': 'device tree',
  'rockchip-parameter': 'Rockchip parameter file',
  'ftf-manifest': 'FTF manifest',
};

export interface Alternative {
  key: RequirementKey;
  /** The name the source uses: `ro.product.device`, `pre-device`, `product`, `CURRENT_ANTI_VER`... */
  property: string;
  value: string;
  /** fastboot's `abc*`: any value starting with `abc` matches (`*` alone matches anything). */
  wildcard?: boolean;
}

export interface DeclarationFact extends Fact {
  kind: 'declaration';
  source: DeclarationSource;
  enforced: boolean;
  /** Joined by "or": the declaration holds when one of them does. */
  alternatives: Alternative[];
  /** Disjuncts of an updater-script assert that are not simple property comparisons. */
  opaqueAlternatives?: number;
  /** android-info.txt `reject`: the device must match none of the alternatives. */
  negated?: boolean;
  /** android-info.txt `require-for-product:<p>`: applies only to a device whose product is `p`. */
  onlyForProduct?: string;
  /** 1-based line in the artifact's text, when it has lines. */
  line?: number;
}

export type BuildKey = 'fingerprint' | 'incremental' | 'timestamp' | 'security-patch' | 'sdk' | 'tags' | 'type' | 'downgrade' | 'spl-downgrade' | 'anti-rollback';
export type AntiRollbackScheme = 'xiaomi-anti' | 'samsung-binary' | 'avb';

export interface BuildFact extends Fact {
  kind: 'build';
  source: DeclarationSource;
  key: BuildKey;
  value: string;
  /** Where the value is, in the source's own words (`post-timestamp`, `ro.build.tags`, `CURRENT_ANTI_VER`). */
  property: string;
  /** The flashing tool refuses an older device state itself (an updater-script AssertOlderBuild). */
  enforced?: boolean;
  scheme?: AntiRollbackScheme;
  /** AVB: the rollback index location the index is stored at. */
  location?: number;
  line?: number;
}

export function isDeclaration(f: Fact): f is DeclarationFact {
  return f.kind === 'declaration' && Array.isArray((f as DeclarationFact).alternatives);
}

export function isBuildFact(f: Fact): f is BuildFact {
  return f.kind === 'build' && typeof (f as BuildFact).key === 'string' && typeof (f as BuildFact).value === 'string';
}

const where = (line?: number) => (line === undefined ? '' : `line ${line}: `);

/** `"a" or "b"`, each value once, at most LIMITS.maxValuesInMessage of them. */
export function quoteList(values: Iterable<string>): string {
  const distinct = [...new Set(values)];
  const shown = distinct.slice(0, LIMITS.maxValuesInMessage).map((v) => `"${v}"`);
  const more = distinct.length - shown.length;
  return shown.join(' or ') + (more > 0 ? ` (and ${more} more)` : '');
}

/** A declaration fact with its message. */
export function declaration(source: DeclarationSource, alternatives: Alternative[], o: { enforced: boolean; line?: number; negated?: boolean; onlyForProduct?: string; opaqueAlternatives?: number }): DeclarationFact {
  const byProp = new Map<string, string[]>();
  for (const a of alternatives) {
    const list = byProp.get(a.property);
    if (list) list.push(a.value);
    else byProp.set(a.property, [a.value]);
  }
  const parts = [...byProp].map(([p, v]) => `${p} ${quoteList(v)}`);
  const verb = o.negated ? 'rejects' : o.enforced ? 'requires' : 'declares';
  const cond = o.onlyForProduct ? ` (for product "${o.onlyForProduct}" only)` : '';
  return {
    kind: 'declaration',
    message: `${where(o.line)}${SOURCE_LABEL[source]} ${verb} ${parts.join(', or ')}${cond}`,
    source,
    enforced: o.enforced,
    alternatives,
    ...(o.opaqueAlternatives ? { opaqueAlternatives: o.opaqueAlternatives } : {}),
    ...(o.negated ? { negated: true } : {}),
    ...(o.onlyForProduct ? { onlyForProduct: o.onlyForProduct } : {}),
    ...(o.line === undefined ? {} : { line: o.line }),
  };
}

/** A build fact with its message. */
export function buildFact(source: DeclarationSource, key: BuildKey, property: string, value: string, o: { line?: number; enforced?: boolean; scheme?: AntiRollbackScheme; location?: number } = {}): BuildFact {
  return {
    kind: 'build',
    message: `${where(o.line)}${SOURCE_LABEL[source]} gives ${property} "${value}"`,
    source,
    key,
    property,
    value,
    ...(o.enforced ? { enforced: true } : {}),
    ...(o.scheme ? { scheme: o.scheme } : {}),
    ...(o.location === undefined ? {} : { location: o.location }),
    ...(o.line === undefined ? {} : { line: o.line }),
  };
}

/**
 * The key a device property belongs to (FORMATS.md §11.4). `ro.product.<partition>.device`
 * and friends are the per-partition copies Android derives `ro.product.device` from.
 */
export function propertyKey(prop: string): RequirementKey {
  if (prop === 'ro.product.device' || prop === 'ro.build.product' || /^ro\.product\.[a-z_]+\.device$/.test(prop)) return 'device';
  if (prop === 'ro.product.model' || /^ro\.product\.[a-z_]+\.model$/.test(prop)) return 'model';
  if (prop === 'ro.product.name' || /^ro\.product\.[a-z_]+\.name$/.test(prop)) return 'name';
  if (prop === 'ro.product.board' || prop === 'ro.board.platform') return 'board';
  if (prop === 'ro.bootloader' || prop === 'ro.boot.bootloader') return 'bootloader';
  if (prop === 'ro.baseband' || prop === 'ro.boot.baseband') return 'baseband';
  if (prop === 'ro.build.fingerprint') return 'fingerprint';
  if (prop === 'ro.build.thumbprint') return 'thumbprint';
  if (prop === 'ro.build.version.incremental') return 'incremental';
  return 'other';
}

/** `a|b`, `a,b`, `a:b` → [a, b] (recovery splits pre-device on any of them, FORMATS.md §7.3). */
export function splitList(v: string, separators: RegExp = /[|]/): string[] {
  return v
    .split(separators)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}
