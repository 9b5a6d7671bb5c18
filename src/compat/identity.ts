/**
 * The build's identity as the property files inside a package say it
 * (docs/report-format.md#summarybuild): which partition each `build.prop` /
 * `prop.default` describes, and the values a user wants to see of it
 * (device, model, brand, fingerprint, build id, incremental, type, tags,
 * security patches, SDK, first API level, build date).
 *
 * A property file's partition comes first from its own keys (Android 10+
 * writes `ro.<partition>.build.*` into each partition's file: `ro.vendor.build.fingerprint`
 * in vendor's, `ro.system.build.fingerprint` beside `ro.build.fingerprint` in
 * system's, `ro.bootimage.build.*` in a boot ramdisk's), then from where it
 * is: the nearest directory named after a partition (`system/build.prop` in a
 * system-as-root image, `system/vendor/build.prop`), else the image it is in
 * (`vendor.img`, a payload's `vendor.img`, a logical partition `vendor_a`,
 * `system.new.dat.br`), else `ramdisk` for a file inside a ramdisk.
 *
 * The values are read per partition: `ro.<partition>.build.<field>` and
 * `ro.product.<partition>.<field>` before the plain keys, except for system,
 * whose plain keys are its own.
 */
import { walkArtifacts, type Artifact, type BuildIdentityValues, type BuildPartition, type BuildSummary } from '../report/model';

/** Partitions whose property files are read, in Android's order for the build's own values. */
export const PARTITIONS = ['system', 'system_ext', 'product', 'vendor', 'odm', 'vendor_dlkm', 'odm_dlkm', 'system_dlkm', 'bootimage'] as const;
const PARTITION_SET = new Set<string>(PARTITIONS);

/** The fields of `summary.build` and of each of its partitions, in display order, with their display names. */
export const IDENTITY_FIELDS = [
  ['device', 'device'],
  ['model', 'model'],
  ['brand', 'brand'],
  ['board', 'board'],
  ['fingerprint', 'fingerprint'],
  ['buildId', 'build id'],
  ['incremental', 'incremental'],
  ['release', 'Android version'],
  ['type', 'type'],
  ['tags', 'tags'],
  ['securityPatch', 'security patch'],
  ['vendorSecurityPatch', 'vendor security patch'],
  ['sdk', 'SDK'],
  ['firstApiLevel', 'first API level'],
  ['buildDate', 'build date'],
] as const;
export type IdentityField = (typeof IDENTITY_FIELDS)[number][0];

/** Property files listed at most in `summary.build.partitions` (a package has a handful). */
const MAX_PARTITIONS = 64;

export interface PropertyFile {
  artifact: Artifact;
  partition: string;
  props: Record<string, string>;
}

function propertiesOf(a: Artifact): Record<string, string> | null {
  const p = a.info.properties;
  if (a.format !== 'build-prop' || !p || typeof p !== 'object') return null;
  return p as Record<string, string>;
}

/** The partition named by an image or member name: `vendor.img`, `vendor_a`, `system.new.dat.br`, `odm.raw`. */
function partitionOfName(name: string): string | null {
  const base = name
    .toLowerCase()
    .replace(/\.(img|raw|ext4|erofs|new\.dat(\.br)?|dat)$/, '')
    .replace(/\.(img|raw)$/, '')
    .replace(/_(a|b)$/, '');
  if (base === 'boot' || base === 'init_boot' || base === 'vendor_boot') return 'bootimage';
  return PARTITION_SET.has(base) ? base : null;
}

/** The partition its own keys name (`ro.vendor.build.fingerprint`...); null when none or several do. */
function partitionOfKeys(props: Record<string, string>): string | null {
  const found = new Set<string>();
  for (const p of PARTITIONS) {
    if (props[`ro.${p}.build.fingerprint`] !== undefined || props[`ro.${p}.build.date.utc`] !== undefined || props[`ro.${p}.build.id`] !== undefined) found.add(p);
  }
  if (found.size === 1) return [...found][0];
  // Old ramdisks hold ro.bootimage.build.* beside copies of the system's keys.
  if (found.has('bootimage') && !found.has('system')) return 'bootimage';
  return null;
}

/**
 * The partition a property file describes, from its keys, its directory or
 * the image it is in; `ramdisk` for a ramdisk's file that says nothing more;
 * `unknown` otherwise.
 */
export function partitionOf(a: Artifact, props: Record<string, string>): string {
  const byKeys = partitionOfKeys(props);
  if (byKeys) return byKeys;
  const parts = a.path.split('/');
  // The nearest directory named after a partition, then the nearest image named after one.
  for (let i = parts.length - 2; i >= 0; i--) {
    const seg = parts[i].toLowerCase();
    if (PARTITION_SET.has(seg)) return seg;
    if (seg === 'ramdisk' || /ramdisk/.test(seg)) return 'ramdisk';
    const named = partitionOfName(seg);
    if (named) return named;
  }
  if (props['ro.build.fingerprint'] !== undefined || props['ro.build.date.utc'] !== undefined) return 'system';
  return 'unknown';
}

/** Every property file in the tree with the partition it describes. */
export function propertyFilesIn(root: Artifact): PropertyFile[] {
  const out: PropertyFile[] = [];
  for (const artifact of walkArtifacts(root)) {
    const props = propertiesOf(artifact);
    if (props) out.push({ artifact, partition: partitionOf(artifact, props), props });
  }
  return out;
}

export interface Located {
  value: string;
  property: string;
}

/** The first non-empty value of the keys, with the key it was found under. */
function first(props: Record<string, string>, keys: string[]): Located | null {
  for (const k of keys) {
    const v = props[k];
    if (typeof v === 'string' && v.trim() !== '') return { value: v.trim(), property: k };
  }
  return null;
}

/** One field of a partition's property file (see the file comment for the key order). */
export function fieldOf(f: { partition: string; props: Record<string, string> }, field: IdentityField): Located | null {
  const p = f.partition;
  const own = PARTITION_SET.has(p) && p !== 'system';
  const build = (name: string) => (own ? [`ro.${p}.build.${name}`, `ro.build.${name}`] : [`ro.build.${name}`, `ro.system.build.${name}`]);
  const product = (name: string) => (own ? [`ro.product.${p}.${name}`, `ro.product.${name}`] : [`ro.product.${name}`, `ro.product.system.${name}`]);
  const props = f.props;
  switch (field) {
    case 'device':
      return first(props, [...product('device'), 'ro.build.product']);
    case 'model':
      return first(props, product('model'));
    case 'brand':
      return first(props, product('brand'));
    case 'board':
      return first(props, ['ro.product.board']);
    case 'fingerprint':
      return first(props, build('fingerprint'));
    case 'buildId':
      return first(props, build('id'));
    case 'incremental':
      return first(props, build('version.incremental'));
    case 'release':
      return first(props, build('version.release'));
    case 'type':
      return first(props, build('type'));
    case 'tags':
      return first(props, build('tags'));
    case 'securityPatch':
      return first(props, own ? [`ro.${p}.build.security_patch`, 'ro.build.version.security_patch'] : ['ro.build.version.security_patch']);
    case 'vendorSecurityPatch':
      return first(props, ['ro.vendor.build.security_patch']);
    case 'sdk':
      return first(props, build('version.sdk'));
    case 'firstApiLevel':
      return first(props, ['ro.product.first_api_level', 'ro.board.first_api_level']);
    case 'buildDate': {
      const v = first(props, build('date.utc'));
      return v && /^\d{1,12}$/.test(v.value) ? v : null;
    }
  }
}

/** The values of one property file. */
export function identityOf(f: PropertyFile): BuildPartition {
  const out: BuildPartition = { partition: f.partition, path: f.artifact.path };
  for (const [field] of IDENTITY_FIELDS) {
    const v = fieldOf(f, field);
    if (!v) continue;
    if (field === 'buildDate') {
      out.buildDateUtc = Number(v.value);
      out.buildDate = new Date(Number(v.value) * 1000).toISOString();
    } else out[field] = v.value;
  }
  return out;
}

/** Partition order for the build's own values: system first, then the others as Android derives them. */
function rank(p: string): number {
  const i = (PARTITIONS as readonly string[]).indexOf(p);
  return i < 0 ? PARTITIONS.length : i;
}

/**
 * `summary.build`: the build's values (each from the first partition that
 * has it, system first), every property file's own values, and the fields
 * whose values differ between files. Null when the package holds no property file.
 */
export function buildSummary(root: Artifact): BuildSummary | null {
  const files = propertyFilesIn(root);
  if (files.length === 0) return null;
  const partitions = files.map(identityOf);
  const ordered = [...partitions].sort((a, b) => rank(a.partition) - rank(b.partition));
  const values: BuildIdentityValues = {};
  const differ: string[] = [];
  for (const [field] of IDENTITY_FIELDS) {
    const withValue = ordered.filter((p) => p[field] !== undefined);
    if (withValue.length === 0) continue;
    values[field] = withValue[0][field];
    if (field === 'buildDate') values.buildDateUtc = withValue[0].buildDateUtc;
    if (new Set(withValue.map((p) => p[field])).size > 1) differ.push(field);
  }
  return {
    ...values,
    partitions: partitions.slice(0, MAX_PARTITIONS),
    differ,
    ...(partitions.length > MAX_PARTITIONS ? { partitionsNotListed: partitions.length - MAX_PARTITIONS } : {}),
  };
}

/** `system.img/system/build.prop (ro.build.fingerprint "x")`: a property file and the key a value came from. */
export function describeAt(f: PropertyFile, v: Located, rootName: string): string {
  return `${f.artifact.path || rootName} (${v.property} "${v.value}")`;
}

/** Property files of one partition, those inside `prefix` (the same image or package) first when there are any. */
export function filesOfPartition(files: PropertyFile[], partition: string, prefix: string): PropertyFile[] {
  const mine = files.filter((f) => f.partition === partition);
  const near = prefix === '' ? mine : mine.filter((f) => f.artifact.path.startsWith(prefix));
  return near.length ? near : mine;
}

/** Findings a cross-layer rule gives at most (a hostile package may hold many property files). */
export const MAX_IDENTITY_FINDINGS = 50;
