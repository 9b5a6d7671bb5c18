/**
 * Sony `.ftf` firmware (Flashtool's bundle, issue 18 item 3): a zip of
 * `.sin` partition images (each decoded by sony-sin) and a
 * `META-INF/MANIFEST.MF` whose `Key: value` lines name the device, version
 * and branding (Flashtool writes `device`, `version`, `branding`, `cda`,
 * `revision`, `noerase` ... ; the key list is not confirmed from a real file,
 * so every key is shown as it is written). Everything the zip handler checks
 * (member CRCs, names) applies.
 */
import type { ContainerHandler } from '../types';
import { zipHandler } from '../zip';
import { readWhole } from '../../io/source';
import { phrases, str, counted } from '../summary';
import { declaration } from '../../compat/declarations';

/** Largest MANIFEST.MF read. */
export const MAX_FTF_MANIFEST_BYTES = 64 * 1024;
/** Manifest lines kept. */
const MAX_FIELDS = 256;

/** `Key: value` lines of a JAR-style manifest, continuation lines (starting with a space) joined. */
export function parseManifest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith(' ') && last !== null) {
      out[last] += line.slice(1);
      continue;
    }
    const m = /^([^:\s][^:]*):\s?(.*)$/.exec(line);
    if (!m || Object.keys(out).length >= MAX_FIELDS) {
      last = null;
      continue;
    }
    last = m[1].trim();
    out[last] = m[2].trim();
  }
  return out;
}

const field = (m: Record<string, string>, key: string) => Object.entries(m).find(([k]) => k.toLowerCase() === key)?.[1];

export const sonyFtfHandler: ContainerHandler = {
  id: 'sony-ftf',
  kind: 'container',
  description: 'Sony Flashtool firmware (.ftf): a zip of .sin images with a MANIFEST.MF naming device, version and branding',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek, name }) => /\.ftf$/i.test(name) && peek.length >= 4 && peek.readUInt32LE(0) === 0x04034b50,
  summary: (i) => {
    const m = (i.manifest ?? {}) as Record<string, string>;
    return phrases(str(field(m, 'device')) && `device ${field(m, 'device')}`, str(field(m, 'version')) && `version ${field(m, 'version')}`, str(field(m, 'branding')), counted(i.sinFiles, '.sin file'));
  },
  async decode(src, ctx) {
    const zip = await zipHandler.decode(src, ctx);
    const info: Record<string, unknown> = { ...zip.info, sinFiles: zip.children.filter((c) => /\.sin$/i.test(c.name)).length };
    const mf = zip.children.find((c) => c.name.toLowerCase() === 'meta-inf/manifest.mf');
    if (!mf || mf.readable === false) ctx.fact({ kind: 'unreadable', message: 'the .ftf has no readable META-INF/MANIFEST.MF: its device, version and branding are not known' });
    else {
      const bytes = await readWhole(mf.source, MAX_FTF_MANIFEST_BYTES).catch(() => null);
      if (bytes) {
        const manifest = parseManifest(bytes.toString('utf8'));
        info.manifest = manifest;
        for (const k of ['device', 'version', 'branding']) {
          const v = field(manifest, k);
          if (v !== undefined) info[k] = v;
        }
        // The model the bundle is for; Flashtool shows it, the phone does not check it.
        if (typeof info.device === 'string' && info.device !== '') ctx.fact(declaration('ftf-manifest', [{ key: 'model', property: 'device', value: info.device }], { enforced: false }));
      } else ctx.fact({ kind: 'unsupported', message: `META-INF/MANIFEST.MF is over ${MAX_FTF_MANIFEST_BYTES} bytes or unreadable; its fields are not shown` });
    }
    return { ...zip, format: 'sony-ftf', info };
  },
};
