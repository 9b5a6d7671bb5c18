/**
 * Flashing scripts shipped with fastboot ROMs (FORMATS.md §11.3):
 * `flash_all.sh`, `flash_all_lock.sh`, `flash_all_except_storage.bat`... of
 * Xiaomi fastboot ROMs, and `flash-all.sh` / `flash-base.sh` of Google
 * factory images. Not a language romscope interprets: each line of the shell
 * or batch script is read for the two checks Xiaomi's scripts make before
 * flashing anything:
 *
 * - the product guard: `fastboot getvar product 2>&1 | grep "^product: *<codename>"`
 *   (`findstr /r /c:"^product: *<codename>"` in .bat files; several names as
 *   `grep -E "^product: *a$|^product: *b$"`), which stops the script on
 *   another device;
 * - the anti-rollback level: `CURRENT_ANTI_VER=<n>` (`set CURRENT_ANTI_VER=<n>`),
 *   compared with `fastboot getvar anti`.
 *
 * Commented-out lines (`#`, `::`, `rem`) are skipped. The script's own check
 * is a grep prefix match (`^product: *raphael` also accepts `raphaelin`);
 * romscope records the codename and compares it exactly.
 */
import type { DocumentHandler } from '../types';
import { baseName, decodeText, looksLikeText, splitLines } from '../text';
import { buildFact, declaration } from '../../compat/declarations';

const MAX_BYTES = 1 << 20;
const NAME = /^(flash[-_]all[^/\\]*|flash[-_]base)\.(sh|bat|cmd)$/i;
const PRODUCT = /\^product:[ ]?\*?[ ]*([A-Za-z0-9_][A-Za-z0-9_.-]*)/g;
const ANTI = /^\s*(?:set\s+)?"?CURRENT_ANTI_VER\s*=\s*(\d{1,9})"?\s*$/i;

function isComment(line: string, batch: boolean): boolean {
  const t = line.trim();
  if (batch) return t.startsWith('::') || /^@?rem(\s|$)/i.test(t);
  return t.startsWith('#');
}

export const fastbootScriptHandler: DocumentHandler = {
  id: 'fastboot-script',
  kind: 'document',
  description: 'fastboot flashing script (flash_all*.sh/.bat of Xiaomi fastboot ROMs, flash-all.sh of factory images)',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => NAME.test(baseName(name)) && (peek.length === 0 || looksLikeText(peek)),
  decode(bytes, ctx, name) {
    const { text, encoding } = decodeText(bytes);
    const batch = /\.(bat|cmd)$/i.test(name);
    const products: string[] = [];
    const seen = new Set<string>();
    let antiVersion: number | undefined;
    splitLines(text).forEach((line, i) => {
      if (line.length > 64 * 1024 || isComment(line, batch)) return;
      const anti = ANTI.exec(line);
      if (anti) {
        antiVersion = Number(anti[1]);
        ctx.fact(buildFact('flash-script', 'anti-rollback', 'CURRENT_ANTI_VER', anti[1], { line: i + 1, scheme: 'xiaomi-anti' }));
        return;
      }
      if (!/getvar\s+product\b/i.test(line)) return;
      const names = [...line.matchAll(PRODUCT)].map((m) => m[1]);
      if (names.length === 0) return;
      for (const n of names) if (!products.includes(n)) products.push(n);
      // The .bat scripts repeat the same check (once to print, once to exit): one declaration.
      const key = names.join('|');
      if (seen.has(key)) return;
      seen.add(key);
      ctx.fact(
        declaration(
          'flash-script',
          names.map((value) => ({ key: 'device', property: 'getvar product', value })),
          { enforced: true, line: i + 1 },
        ),
      );
    });
    return {
      script: batch ? 'batch' : 'shell',
      ...(products.length ? { products } : {}),
      ...(antiVersion === undefined ? {} : { antiVersion }),
      ...(encoding === 'utf-8' ? {} : { encoding }),
    };
  },
};
