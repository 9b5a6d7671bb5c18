/**
 * Android property files (FORMATS.md §11.4): `build.prop` of a partition
 * (`system/build.prop` in file-based OTAs, `vendor/build.prop`...), and the
 * ramdisk's `prop.default` / `default.prop` / `system/etc/ramdisk/build.prop`
 * (found as members of a decoded cpio ramdisk). `key=value` lines; `#`
 * comments and `import` lines are skipped; `key?=value` only sets a key that
 * is not set yet, as in generated files.
 *
 * The properties that identify the build become facts with their line: the
 * device, model, product name and board it was built for (descriptive
 * declarations: nothing checks them when flashing) and its fingerprint,
 * incremental, build date, security patch, build type and tags. Android
 * derives `ro.product.device` and friends from the per-partition copies
 * (`ro.product.vendor.device`...) in the order product, odm, vendor,
 * system_ext, system; the same order is used here when the plain key is
 * absent, then the boot image's copies (`ro.product.bootimage.device`).
 */
import type { DocumentHandler } from '../types';
import { baseName, decodeText, looksLikeText, splitLines } from '../text';
import { buildFact, declaration, type BuildKey, type IdentityKey } from '../../compat/declarations';
import type { Fact } from '../../report/model';

const MAX_BYTES = 4 * 1024 * 1024;
const MAX_PROPERTIES = 5000;
const NAMES = new Set(['build.prop', 'default.prop', 'prop.default']);
const PARTITION_ORDER = ['product', 'odm', 'vendor', 'system_ext', 'system', 'bootimage', 'vendor_dlkm', 'odm_dlkm', 'system_dlkm'];

export interface PropertyValue {
  value: string;
  line: number;
}

export function parseProperties(text: string): Map<string, PropertyValue> {
  const props = new Map<string, PropertyValue>();
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || /^import\s/.test(line)) return;
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    let key = line.slice(0, eq).trim();
    const ifUnset = key.endsWith('?');
    if (ifUnset) key = key.slice(0, -1).trim();
    if (key === '' || /\s/.test(key)) return;
    if (ifUnset && props.has(key)) return;
    if (!props.has(key) && props.size >= MAX_PROPERTIES) return;
    props.set(key, { value: line.slice(eq + 1).trim(), line: i + 1 });
  });
  return props;
}

/** `ro.product.<field>`, else the first per-partition copy in Android's order. */
function productProp(props: Map<string, PropertyValue>, field: string): [string, PropertyValue] | null {
  const direct = props.get(`ro.product.${field}`);
  if (direct && direct.value !== '') return [`ro.product.${field}`, direct];
  for (const p of PARTITION_ORDER) {
    const k = `ro.product.${p}.${field}`;
    const v = props.get(k);
    if (v && v.value !== '') return [k, v];
  }
  return null;
}

/** `ro.build.<field>`, else `ro.<partition>.build.<field>` in the same order. */
function buildProp(props: Map<string, PropertyValue>, field: string): [string, PropertyValue] | null {
  const direct = props.get(`ro.build.${field}`);
  if (direct && direct.value !== '') return [`ro.build.${field}`, direct];
  for (const p of PARTITION_ORDER) {
    const k = `ro.${p}.build.${field}`;
    const v = props.get(k);
    if (v && v.value !== '') return [k, v];
  }
  return null;
}

/** A generic system or boot image (GSI, GKI) names a generic device, not the one it is flashed to. */
const GENERIC_DEVICE = /^generic(_|$)/;

function propertyFacts(props: Map<string, PropertyValue>): Fact[] {
  const out: Fact[] = [];
  const identity: [IdentityKey, [string, PropertyValue] | null][] = [
    ['device', productProp(props, 'device')],
    ['model', productProp(props, 'model')],
    ['name', productProp(props, 'name')],
    ['board', props.get('ro.product.board') ? ['ro.product.board', props.get('ro.product.board')!] : props.get('ro.board.platform') ? ['ro.board.platform', props.get('ro.board.platform')!] : null],
  ];
  for (const [key, found] of identity) {
    if (key === 'device') {
      // ro.build.product (TARGET_DEVICE, what old updater-scripts assert) names the device too.
      const alts: [string, PropertyValue][] = [];
      if (found && found[1].value !== '' && !GENERIC_DEVICE.test(found[1].value)) alts.push(found);
      const product = props.get('ro.build.product');
      if (product && product.value !== '' && !GENERIC_DEVICE.test(product.value) && !alts.some(([, v]) => v.value === product.value)) alts.push(['ro.build.product', product]);
      if (alts.length)
        out.push(
          declaration(
            'build-prop',
            alts.map(([property, v]) => ({ key, property, value: v.value })),
            { enforced: false, line: alts[0][1].line },
          ),
        );
      continue;
    }
    if (!found || found[1].value === '') continue;
    out.push(declaration('build-prop', [{ key, property: found[0], value: found[1].value }], { enforced: false, line: found[1].line }));
  }
  const builds: [BuildKey, [string, PropertyValue] | null][] = [
    ['fingerprint', buildProp(props, 'fingerprint')],
    ['incremental', props.get('ro.build.version.incremental') ? ['ro.build.version.incremental', props.get('ro.build.version.incremental')!] : null],
    ['timestamp', buildProp(props, 'date.utc')],
    [
      'security-patch',
      props.get('ro.build.version.security_patch')
        ? ['ro.build.version.security_patch', props.get('ro.build.version.security_patch')!]
        : props.get('ro.vendor.build.security_patch')
          ? ['ro.vendor.build.security_patch', props.get('ro.vendor.build.security_patch')!]
          : null,
    ],
    ['type', buildProp(props, 'type')],
    ['tags', buildProp(props, 'tags')],
  ];
  for (const [key, found] of builds) {
    if (!found || found[1].value === '') continue;
    if (key === 'timestamp' && !/^\d+$/.test(found[1].value)) continue;
    out.push(buildFact('build-prop', key, found[0], found[1].value, { line: found[1].line }));
  }
  return out;
}

export const buildPropHandler: DocumentHandler = {
  id: 'build-prop',
  kind: 'document',
  traits: { role: 'document', confidence: 'name' },
  description: 'Android property file (build.prop, prop.default, default.prop)',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => NAMES.has(baseName(name).toLowerCase()) && (peek.length === 0 || looksLikeText(peek)),
  decode(bytes, ctx) {
    const { text, encoding } = decodeText(bytes);
    const props = parseProperties(text);
    for (const f of propertyFacts(props)) ctx.fact(f);
    return {
      properties: Object.fromEntries([...props].map(([k, v]) => [k, v.value])),
      ...(encoding === 'utf-8' ? {} : { encoding }),
    };
  },
};
