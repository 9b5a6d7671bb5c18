import { counted, phrases } from '../summary';
/**
 * fastboot's `android-info.txt` (FORMATS.md §11.1), in factory images and
 * `fastboot update` zips, and `board-info.txt`, the build file it is copied
 * from. One requirement per line, read the way fastboot's
 * ParseRequirementLine reads it:
 *
 *   [require ]NAME=V1|V2...              the device variable must be one of them
 *   reject NAME=V1|V2...                 must be none of them
 *   require-for-product:P NAME=V1|V2...  only when the device's product is P
 *
 * `board` is fastboot's alias for `product`; a value ending in `*` matches
 * any value starting with what comes before it. fastboot stops `update` and
 * `flashall` when a requirement is not met, so every line is an enforced
 * declaration.
 */
import type { DocumentHandler } from '../types';
import { baseName, decodeText, looksLikeText, splitLines } from '../text';
import { declaration, type Alternative, type RequirementKey } from '../../compat/declarations';

const MAX_BYTES = 1 << 20;
const MAX_REQUIREMENTS = 1000;
const NAME = /^(android|board)-info\.txt$/i;

export interface Requirement {
  line: number;
  /** The variable fastboot asks the device for (`product` for `board`). */
  name: string;
  values: string[];
  forProduct?: string;
  reject?: boolean;
}

/** One line; `written` is the variable name as the line spells it (`board`). */
function parseRequirementLine(raw: string): (Omit<Requirement, 'line'> & { written: string }) | null {
  let s = raw.trim();
  let forProduct: string | undefined;
  let reject = false;
  const rfp = /^require-for-product:(\S+)\s+/.exec(s);
  if (rfp) {
    forProduct = rfp[1];
    s = s.slice(rfp[0].length);
  } else if (/^require\s/.test(s)) s = s.slice(7).trim();
  else if (/^reject\s/.test(s)) {
    reject = true;
    s = s.slice(6).trim();
  }
  const eq = s.indexOf('=');
  if (eq <= 0) return null;
  const written = s.slice(0, eq).trim();
  if (written === '' || /\s/.test(written)) return null;
  const name = written === 'board' ? 'product' : written;
  const values = s
    .slice(eq + 1)
    .split('|')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length === 0) return null;
  return { name, written, values, ...(forProduct ? { forProduct } : {}), ...(reject ? { reject } : {}) };
}

/** Every non-blank line a requirement fastboot reads, at least one written with `require`, `reject` or `require-for-product:`. */
function looksLikeRequirements(text: string): boolean {
  let explicit = 0;
  for (const raw of splitLines(text)) {
    const t = raw.trim();
    if (t === '') continue;
    if (!parseRequirementLine(t)) return false;
    if (/^(require|reject)\s|^require-for-product:/.test(t)) explicit++;
  }
  return explicit > 0;
}

function keyOf(name: string): RequirementKey {
  if (name === 'product') return 'device';
  if (name === 'version-bootloader') return 'bootloader';
  if (name === 'version-baseband') return 'baseband';
  return 'other';
}

export const androidInfoHandler: DocumentHandler = {
  id: 'android-info',
  summary: (i) => phrases(counted(i.requirements, 'requirement')),
  kind: 'document',
  traits: { role: 'document', confidence: 'name' },
  description: 'fastboot requirements file (android-info.txt, board-info.txt)',
  maxBytes: MAX_BYTES,
  // By name; under another name (`blueline_android-info.txt`) by content: nothing but requirement lines, one of them `require`/`reject`.
  detect: ({ peek, name, size }) => (NAME.test(baseName(name)) ? peek.length === 0 || looksLikeText(peek) : size !== null && size <= peek.length && looksLikeText(peek) && looksLikeRequirements(decodeText(peek).text)),
  decode(bytes, ctx) {
    const { text, encoding } = decodeText(bytes);
    const requirements: (Requirement & { written: string })[] = [];
    let unparsed = 0;
    splitLines(text).forEach((raw, i) => {
      if (raw.trim() === '') return;
      const r = parseRequirementLine(raw);
      if (!r) {
        unparsed++;
        return;
      }
      if (requirements.length >= MAX_REQUIREMENTS) return;
      requirements.push({ line: i + 1, ...r });
    });
    for (const r of requirements) {
      if (r.name === 'partition-exists') continue; // about the device's partitions, not which device it is
      const key = keyOf(r.name);
      const alternatives: Alternative[] = r.values.map((value) => ({ key, property: r.written, value, ...(value.endsWith('*') ? { wildcard: true } : {}) }));
      ctx.fact(declaration('android-info', alternatives, { enforced: true, line: r.line, negated: r.reject, onlyForProduct: r.forProduct }));
    }
    return {
      requirements: requirements.map(({ written: _w, ...r }) => r),
      ...(unparsed ? { unparsedLines: unparsed } : {}),
      ...(encoding === 'utf-8' ? {} : { encoding }),
    };
  },
};
