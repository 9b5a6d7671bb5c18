/**
 * Small text files of Xiaomi fastboot ROMs (FORMATS.md §11.3, observed in
 * public ROM mirrors, no upstream spec):
 *
 * - `misc.txt` at the top of the ROM: `device=<codename>`,
 *   `build_number=<MIUI version>`, `userdata_version=...`; it describes the
 *   build (the flash script makes the check), so its device is a
 *   descriptive declaration;
 * - `images/anti_version.txt`: the anti-rollback level newer flash scripts
 *   read instead of a `CURRENT_ANTI_VER=` line.
 */
import type { DocumentHandler } from '../types';
import { baseName, decodeText, looksLikeText, peekText, splitLines } from '../text';
import { buildFact, declaration } from '../../compat/declarations';

const MAX_BYTES = 64 * 1024;

function kindOf(name: string, text: string): 'misc' | 'anti' | null {
  const base = baseName(name).toLowerCase();
  if (base === 'misc.txt' && /^\s*device\s*=\s*\S/m.test(text)) return 'misc';
  if (base === 'anti_version.txt' && /^\s*\d{1,9}\s*$/.test(text)) return 'anti';
  return null;
}

export const xiaomiRomInfoHandler: DocumentHandler = {
  id: 'xiaomi-rom-info',
  kind: 'document',
  traits: { role: 'document', confidence: 'name' },
  description: 'Xiaomi fastboot ROM info file (misc.txt, images/anti_version.txt)',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => looksLikeText(peek) && kindOf(name, peekText(peek)) !== null,
  decode(bytes, ctx, name) {
    const { text } = decodeText(bytes);
    if (kindOf(name, text) === 'anti') {
      const v = text.trim();
      ctx.fact(buildFact('xiaomi-rom-info', 'anti-rollback', 'anti_version.txt', String(Number(v)), { line: 1, scheme: 'xiaomi-anti' }));
      return { antiVersion: Number(v) };
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    splitLines(text).forEach((raw, i) => {
      const m = /^\s*([A-Za-z0-9_.-]+)\s*=(.*)$/.exec(raw);
      if (!m || m[1] in fields) return;
      fields[m[1]] = m[2].trim();
      if (m[1] === 'device' && fields.device !== '') {
        ctx.fact(declaration('xiaomi-rom-info', [{ key: 'device', property: 'device', value: fields.device }], { enforced: false, line: i + 1 }));
      }
    });
    return {
      device: fields.device || undefined,
      buildNumber: fields.build_number || undefined,
      userdataVersion: fields.userdata_version || undefined,
    };
  },
};
