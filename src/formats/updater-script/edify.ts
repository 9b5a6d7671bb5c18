/**
 * Edify, the language of `META-INF/com/google/android/updater-script`, as
 * AOSP's recovery reads it (bootable/recovery/edify: lexer.ll, parser.yy):
 *
 *   tokens   "quoted strings" (escapes \n \t \" \\ \xHH; newlines allowed),
 *            bare words [A-Za-z0-9_:/.]+ (also strings), the keywords
 *            if then else endif, && || == != + ( ) , ! ; and # comments
 *   grammar  expr := STRING | STRING '(' [expr {',' expr}] ')' | '(' expr ')'
 *                  | expr ';' [expr] | expr '+' expr | expr (== | !=) expr
 *                  | expr && expr | expr || expr | '!' expr
 *                  | if expr then expr [else expr] endif
 *   precedence, lowest first: ';'  ','  if/then/else  ||  &&  == !=  +  '!'
 *
 * A tokenizer and a recursive-descent parser, never regular expressions over
 * the whole text. Untrusted input costs bounded work: tokens are produced on
 * demand and counted, nesting is capped, and the top-level statements are
 * handed to a visitor one at a time, so a large script is never held as one
 * tree. A carriage return counts as white space here, so a CRLF script reads
 * as the same script with LF (recovery's lexer would stop at it; the handler
 * reports that).
 */

export type Node =
  | { k: 'str'; v: string; line: number }
  | { k: 'call'; name: string; args: Node[]; line: number }
  /** `||`, `&&` and `+` chains, flattened. */
  | { k: 'or' | 'and' | 'concat'; items: Node[]; line: number }
  | { k: 'cmp'; op: '==' | '!='; l: Node; r: Node; line: number }
  | { k: 'not'; e: Node; line: number }
  | { k: 'if'; c: Node; t: Node; e: Node | null; line: number }
  /** `a; b; c;` inside parentheses, arguments or if bodies. */
  | { k: 'seq'; items: Node[]; line: number };

export class EdifyError extends Error {
  constructor(
    message: string,
    readonly line: number,
    /** A romscope limit, not a syntax error. */
    readonly limit = false,
  ) {
    super(message);
  }
}

export const EDIFY_LIMITS = {
  /** Deepest nesting of parentheses, calls, `!` and `if` (recovery's parser stack is 10000; real scripts stay under 10). */
  maxDepth: 200,
  /** Tokens read from one script (a 16 MiB script of short calls has about 3 million). */
  maxTokens: 4_000_000,
  /** Longest `==` / `!=` chain. */
  maxChain: 1000,
};

type TokType = 'str' | 'if' | 'then' | 'else' | 'endif' | '&&' | '||' | '==' | '!=' | '+' | '(' | ')' | ',' | '!' | ';' | 'eof';

interface Token {
  t: TokType;
  v: string;
  line: number;
}

const KEYWORDS: Record<string, TokType> = { if: 'if', then: 'then', else: 'else', endif: 'endif' };

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a || c === 0x2f || c === 0x2e;
}

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

class Lexer {
  private pos = 0;
  private line = 1;
  private count = 0;
  constructor(private readonly s: string) {}

  next(): Token {
    const s = this.s;
    for (;;) {
      if (this.pos >= s.length) return { t: 'eof', v: '', line: this.line };
      const c = s.charCodeAt(this.pos);
      if (c === 0x0a) {
        this.line++;
        this.pos++;
      } else if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0c || c === 0x0b) this.pos++;
      else if (c === 0x23) {
        // A comment runs to the end of the line.
        const nl = s.indexOf('\n', this.pos);
        this.pos = nl < 0 ? s.length : nl;
      } else break;
    }
    if (++this.count > EDIFY_LIMITS.maxTokens) throw new EdifyError(`more than ${EDIFY_LIMITS.maxTokens} tokens; the rest is not read`, this.line, true);
    const line = this.line;
    const c = s.charCodeAt(this.pos);
    const two = s.slice(this.pos, this.pos + 2);
    if (two === '&&' || two === '||' || two === '==' || two === '!=') {
      this.pos += 2;
      return { t: two, v: two, line };
    }
    if (c === 0x22) return this.quoted(line);
    if (isWordChar(c)) {
      const start = this.pos;
      while (this.pos < s.length && isWordChar(s.charCodeAt(this.pos))) this.pos++;
      const v = s.slice(start, this.pos);
      return { t: KEYWORDS[v] ?? 'str', v, line };
    }
    const ch = s[this.pos];
    if ('+(),!;'.includes(ch)) {
      this.pos++;
      return { t: ch as TokType, v: ch, line };
    }
    const shown = c < 0x20 || c > 0x7e ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `"${ch}"`;
    throw new EdifyError(`unexpected character ${shown}`, line);
  }

  private quoted(line: number): Token {
    const s = this.s;
    let i = this.pos + 1;
    const parts: string[] = [];
    let from = i;
    for (;;) {
      if (i >= s.length) throw new EdifyError('a string is not closed before the end of the script', line);
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x0a) this.line++;
      if (c === 0x5c) {
        parts.push(s.slice(from, i));
        const e = s[i + 1];
        if (e === 'n') parts.push('\n');
        else if (e === 't') parts.push('\t');
        else if (e === '"' || e === '\\') parts.push(e);
        else if (e === 'x' && hexVal(s.charCodeAt(i + 2)) >= 0 && hexVal(s.charCodeAt(i + 3)) >= 0) {
          parts.push(String.fromCharCode(hexVal(s.charCodeAt(i + 2)) * 16 + hexVal(s.charCodeAt(i + 3))));
          i += 2;
        } else if (e === undefined) throw new EdifyError('a string is not closed before the end of the script', line);
        else {
          if (e === '\n') this.line++;
          parts.push('\\', e);
        }
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    parts.push(s.slice(from, i));
    this.pos = i + 1;
    return { t: 'str', v: parts.length === 1 ? parts[0] : parts.join(''), line };
  }
}

const STARTS_EXPR = new Set<TokType>(['str', '(', '!', 'if']);

/**
 * Parses a script statement by statement; `visit` sees each top-level
 * statement (a `;`-separated expression). Throws EdifyError at the first
 * syntax error or limit, after the statements before it were visited.
 */
export function parseEdify(text: string, visit: (stmt: Node) => void): { statements: number } {
  const lex = new Lexer(text);
  let tok = lex.next();
  let depth = 0;
  let statements = 0;

  const advance = () => {
    tok = lex.next();
  };
  /** A function, so that TypeScript does not narrow `tok` across advance(). */
  const at = (t: TokType): boolean => tok.t === t;
  const describe = (t: Token) => (t.t === 'eof' ? 'the end of the script' : t.t === 'str' ? `"${t.v.length > 40 ? t.v.slice(0, 40) + '…' : t.v}"` : `"${t.v}"`);
  const expect = (t: TokType, what: string) => {
    if (!at(t)) throw new EdifyError(`expected ${what}, found ${describe(tok)}`, tok.line);
    advance();
  };
  const enter = (line: number) => {
    if (++depth > EDIFY_LIMITS.maxDepth) throw new EdifyError(`nested more than ${EDIFY_LIMITS.maxDepth} levels deep; not read`, line, true);
  };

  /** expr with `;` sequences (inside parentheses, arguments and if bodies). */
  function seq(): Node {
    const first = operand();
    if (!at(';')) return first;
    const items = [first];
    while (at(';')) {
      advance();
      if (STARTS_EXPR.has(tok.t)) items.push(operand());
    }
    return { k: 'seq', items, line: first.line };
  }

  function operand(): Node {
    return chain('or', '||', () => chain('and', '&&', comparison));
  }

  function chain(k: 'or' | 'and', op: TokType, next: () => Node): Node {
    const first = next();
    if (!at(op)) return first;
    const items = [first];
    while (at(op)) {
      advance();
      items.push(next());
    }
    return { k, items, line: first.line };
  }

  function comparison(): Node {
    let left = concat();
    let n = 0;
    while (at('==') || at('!=')) {
      if (++n > EDIFY_LIMITS.maxChain) throw new EdifyError(`a chain of more than ${EDIFY_LIMITS.maxChain} comparisons; not read`, tok.line, true);
      const op = tok.t as '==' | '!=';
      advance();
      left = { k: 'cmp', op, l: left, r: concat(), line: left.line };
    }
    return left;
  }

  function concat(): Node {
    const first = unary();
    if (!at('+')) return first;
    const items = [first];
    while (at('+')) {
      advance();
      items.push(unary());
    }
    return { k: 'concat', items, line: first.line };
  }

  function unary(): Node {
    if (!at('!')) return primary();
    const line = tok.line;
    enter(line);
    advance();
    const e = unary();
    depth--;
    return { k: 'not', e, line };
  }

  function primary(): Node {
    const t = tok;
    if (t.t === 'str') {
      advance();
      if (!at('(')) return { k: 'str', v: t.v, line: t.line };
      enter(t.line);
      advance();
      const args: Node[] = [];
      if (!at(')')) {
        args.push(seq());
        while (at(',')) {
          advance();
          args.push(seq());
        }
      }
      expect(')', `"," or ")" to close the arguments of ${t.v}() from line ${t.line}`);
      depth--;
      return { k: 'call', name: t.v, args, line: t.line };
    }
    if (t.t === '(') {
      enter(t.line);
      advance();
      const e = seq();
      expect(')', `")" to close the "(" of line ${t.line}`);
      depth--;
      return e;
    }
    if (t.t === 'if') {
      enter(t.line);
      advance();
      const c = seq();
      expect('then', '"then"');
      const th = seq();
      let el: Node | null = null;
      if (at('else')) {
        advance();
        el = seq();
      }
      expect('endif', `"endif" for the "if" of line ${t.line}`);
      depth--;
      return { k: 'if', c, t: th, e: el, line: t.line };
    }
    throw new EdifyError(`expected an expression, found ${describe(t)}`, t.line);
  }

  while (!at('eof')) {
    if (at(';')) {
      advance();
      continue;
    }
    const stmt = operand();
    statements++;
    visit(stmt);
    if (at(';')) advance();
    else if (!at('eof')) throw new EdifyError(`expected ";" after the statement of line ${stmt.line}, found ${describe(tok)}`, tok.line);
  }
  return { statements };
}
