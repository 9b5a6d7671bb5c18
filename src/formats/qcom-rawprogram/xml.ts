/**
 * A small, strict reader for the flat XML files firmware packages ship
 * (Qualcomm `rawprogram*.xml` / `patch*.xml`, Xiaomi `md5sum.xml`). It is not
 * a general XML parser and does not try to be one:
 *
 * - a `<!DOCTYPE`, `<!ENTITY` or any other `<!` declaration is refused, so no
 *   entity is ever defined, let alone expanded (no "billion laughs");
 * - only the five predefined entities and numeric character references are
 *   decoded; any other `&name;` is an error;
 * - CDATA sections and namespaces are not supported; text between elements
 *   is kept only for leaf elements (`<digest ...>hex</digest>`);
 * - the number of elements, attributes per element and nesting depth are capped.
 *
 * It stops at the first problem and returns what it read up to there.
 */

/** A name from the input as a message quotes it: a megabyte attribute name is not repeated whole. */
const short = (s: string): string => (s.length > 64 ? `${s.slice(0, 64)}… (${s.length} characters)` : s);

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  /** 0 for the root element. */
  depth: number;
  /** Character offset of the `<` of its start tag. */
  offset: number;
  /** Decoded text content, for elements with no child elements. */
  text?: string;
}

export interface XmlProblem {
  message: string;
  offset: number;
}

export interface XmlResult {
  root: string | null;
  elements: XmlElement[];
  problem: XmlProblem | null;
}

export interface XmlLimits {
  maxElements: number;
  maxAttributes: number;
  maxDepth: number;
}

const DEFAULT_LIMITS: XmlLimits = { maxElements: 100_000, maxAttributes: 64, maxDepth: 16 };
const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** A declaration that would define or pull in entities: refused before any parsing. */
function findDeclaration(text: string): number {
  const m = /<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i.exec(text);
  return m ? m.index : -1;
}

/** Decodes the predefined entities and character references; null (with the bad reference) otherwise. */
function decodeEntities(s: string): { value: string } | { bad: string } {
  if (!s.includes('&')) return { value: s };
  let bad: string | null = null;
  const value = s.replace(/&([^;&\s]{0,32});?/g, (all, ref: string) => {
    if (!all.endsWith(';')) bad ??= all;
    else if (ref in PREDEFINED) return PREDEFINED[ref];
    else {
      const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
      const cp = m ? parseInt(m[1] ?? m[2], m[1] ? 16 : 10) : NaN;
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
      bad ??= all;
    }
    return all;
  });
  return bad === null ? { value } : { bad };
}

/** Reads `text` as a flat XML document; never throws. */
export function parseSimpleXml(text: string, limits: Partial<XmlLimits> = {}): XmlResult {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const out: XmlResult = { root: null, elements: [], problem: null };
  const fail = (message: string, offset: number): XmlResult => {
    out.problem = { message, offset };
    return out;
  };
  const decl = findDeclaration(text);
  if (decl >= 0) return fail('has a DTD or entity declaration (<!DOCTYPE / <!ENTITY), which romscope refuses to read', decl);

  const stack: { el: XmlElement; children: number; textStart: number }[] = [];
  let rootClosed = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? n : lt);
    if (chunk.trim() !== '' && stack.length === 0) return fail(`text outside the root element: ${JSON.stringify(chunk.trim().slice(0, 40))}`, i);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return fail('unterminated processing instruction', i);
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return fail('unterminated comment', i);
      i = end + 3;
      continue;
    }
    if (text.startsWith('<!', i)) return fail(`unsupported markup ${JSON.stringify(text.slice(i, i + 12))}`, i);
    if (text.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      const close = m ? text.indexOf('>', NAME.lastIndex) : -1;
      if (!m || close < 0 || text.slice(NAME.lastIndex, close).trim() !== '') return fail('malformed end tag', i);
      const top = stack.pop();
      if (!top || top.el.name !== m[0]) return fail(`end tag </${m[0]}> does not close ${top ? `<${top.el.name}>` : 'anything'}`, i);
      if (top.children === 0) {
        const t = decodeEntities(text.slice(top.textStart, i));
        if ('bad' in t) return fail(`undefined entity reference ${t.bad} (only &lt; &gt; &amp; &quot; &apos; and &#N; are read)`, top.textStart);
        top.el.text = t.value;
      }
      if (stack.length === 0) rootClosed = true;
      i = close + 1;
      continue;
    }
    // A start tag.
    if (rootClosed) return fail('a second root element', i);
    if (out.elements.length >= lim.maxElements) return fail(`more than ${lim.maxElements} elements`, i);
    if (stack.length >= lim.maxDepth) return fail(`elements nested deeper than ${lim.maxDepth}`, i);
    NAME.lastIndex = i + 1;
    const m = NAME.exec(text);
    if (!m) return fail('malformed start tag', i);
    const el: XmlElement = { name: m[0], attrs: {}, depth: stack.length, offset: i };
    let j = NAME.lastIndex;
    let selfClosing = false;
    for (;;) {
      const ws = /\s*/y;
      ws.lastIndex = j;
      ws.exec(text);
      const hadSpace = ws.lastIndex > j;
      j = ws.lastIndex;
      if (text.startsWith('/>', j)) {
        selfClosing = true;
        j += 2;
        break;
      }
      if (text[j] === '>') {
        j += 1;
        break;
      }
      if (j >= n) return fail(`unterminated <${short(el.name)}> tag`, i);
      if (!hadSpace) return fail(`<${short(el.name)}>: expected a space before an attribute`, j);
      NAME.lastIndex = j;
      const a = NAME.exec(text);
      if (!a) return fail(`<${short(el.name)}>: malformed attribute`, j);
      const eq = /\s*=\s*(["'])/y;
      eq.lastIndex = NAME.lastIndex;
      const q = eq.exec(text);
      if (!q) return fail(`<${short(el.name)}>: attribute ${short(a[0])} has no quoted value`, j);
      const end = text.indexOf(q[1], eq.lastIndex);
      if (end < 0) return fail(`<${short(el.name)}>: unterminated value of ${short(a[0])}`, j);
      const raw = text.slice(eq.lastIndex, end);
      if (raw.includes('<')) return fail(`<${short(el.name)}>: "<" in the value of ${short(a[0])}`, j);
      if (Object.prototype.hasOwnProperty.call(el.attrs, a[0])) return fail(`<${short(el.name)}>: attribute ${short(a[0])} given twice`, j);
      if (Object.keys(el.attrs).length >= lim.maxAttributes) return fail(`<${short(el.name)}>: more than ${lim.maxAttributes} attributes`, j);
      const v = decodeEntities(raw);
      if ('bad' in v) return fail(`<${short(el.name)}>: undefined entity reference ${v.bad} in ${short(a[0])} (only &lt; &gt; &amp; &quot; &apos; and &#N; are read)`, j);
      el.attrs[a[0]] = v.value;
      j = end + 1;
    }
    out.elements.push(el);
    if (stack.length === 0) out.root = el.name;
    else stack[stack.length - 1].children++;
    if (selfClosing) {
      if (stack.length === 0) rootClosed = true;
    } else stack.push({ el, children: 0, textStart: j });
    i = j;
  }
  if (stack.length) return fail(`<${stack[stack.length - 1].el.name}> is not closed`, n);
  if (out.root === null) return fail('no root element', 0);
  return out;
}
