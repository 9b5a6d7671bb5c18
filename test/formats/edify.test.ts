/**
 * The edify parser (src/formats/updater-script/edify.ts) and the guards read
 * from it: the grammar of AOSP's parser.yy, and bad input (unbalanced
 * parentheses, a 10 MB line, deep nesting, UTF-16, CRLF) that ends as a
 * finding or as "no declaration", never as a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEdify, EdifyError, EDIFY_LIMITS, type Node } from '../../src/formats/updater-script/edify';
import { collectChecks, type ScriptChecks } from '../../src/formats/updater-script/asserts';
import { inspect } from '../../src/pipeline/inspect';
import { isDeclaration, type DeclarationFact } from '../../src/compat/declarations';
import { utf16le, zipOf } from '../../fixtures/builders/rom';
import { tempDir } from '../helpers';

function parse(text: string): Node[] {
  const out: Node[] = [];
  parseEdify(text, (s) => out.push(s));
  return out;
}

function checks(text: string): ScriptChecks {
  const c: ScriptChecks = { guards: [], olderBuild: [] };
  parseEdify(text, (s) => collectChecks(s, c));
  return c;
}

function parseError(text: string): EdifyError {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof EdifyError, String(e));
    return e;
  }
  assert.fail('expected a parse error');
}

test('edify: precedence is ; , if || && == + ! (lowest first), as in parser.yy', () => {
  const shape = (n: Node): string => {
    switch (n.k) {
      case 'str':
        return n.v;
      case 'call':
        return `${n.name}(${n.args.map(shape).join(',')})`;
      case 'cmp':
        return `(${shape(n.l)}${n.op}${shape(n.r)})`;
      case 'not':
        return `!${shape(n.e)}`;
      case 'if':
        return `if(${shape(n.c)},${shape(n.t)},${n.e ? shape(n.e) : ''})`;
      default:
        return `${n.k}[${n.items.map(shape).join(',')}]`;
    }
  };
  assert.equal(shape(parse('a || b && c == d + e')[0]), 'or[a,and[b,(c==concat[d,e])]]');
  assert.equal(shape(parse('!a == b')[0]), '(!a==b)', '! binds tighter than ==');
  assert.equal(shape(parse('a == b != c')[0]), '((a==b)!=c)', 'comparisons are left-associative');
  assert.equal(shape(parse('f((a; b), c)')[0]), 'f(seq[a,b],c)');
});

test('edify: statements, calls with arguments that hold sequences, if/else/endif, comments', () => {
  const stmts = parse('# comment\nui_print("a"); sleep (2);\nif is_mounted("/system") then unmount("/system"); else ui_print("no") endif;\nassert(x == "1";);\n');
  assert.deepEqual(
    stmts.map((s) => s.k),
    ['call', 'call', 'if', 'call'],
  );
  const assertCall = stmts[3] as Extract<Node, { k: 'call' }>;
  assert.equal(assertCall.args[0].k, 'seq', 'an argument may end in ";"');
  assert.deepEqual(parse(''), []);
  assert.deepEqual(parse('#MAGISK\n'), [], 'a comment-only script (Magisk modules) is an empty program');
});

test('edify: quoted strings with escapes and newlines, bare words, line numbers', () => {
  const [s] = parse('\n\nf("a\\"b\\\\c\\x41\\n", /dev/block/bootdevice/boot, "two\nlines")\n;g()');
  const call = s as Extract<Node, { k: 'call' }>;
  assert.equal(call.line, 3);
  assert.deepEqual(
    call.args.map((a) => (a as { v: string }).v),
    ['a"b\\cA\n', '/dev/block/bootdevice/boot', 'two\nlines'],
  );
  assert.match(parseError('f(/dev/block/by-name/boot)').message, /unexpected character "-"/, 'a dash is not part of a bare word (lexer.ll)');
  const stmts = parse('f("x\ny\nz");\ng();');
  assert.equal(stmts[1].line, 4, 'newlines inside strings count');
});

test('edify: CRLF reads as LF', () => {
  const lf = checks('ui_print("x");\nassert(getprop("ro.product.device") == "a" ||\n getprop("ro.build.product") == "a");\n');
  const crlf = checks('ui_print("x");\r\nassert(getprop("ro.product.device") == "a" ||\r\n getprop("ro.build.product") == "a");\r\n');
  assert.deepEqual(crlf, lf);
  assert.equal(crlf.guards[0].line, 2);
});

test('edify: syntax errors name their line', () => {
  assert.match(parseError('ui_print("a");\nassert(getprop("ro.product.device") == "a";\nui_print("b");\n').message, /"," or "\)" to close the arguments of assert\(\) from line 2/);
  assert.equal(parseError('ui_print("a");\n\nfoo((("x")));)\n').line, 3);
  assert.match(parseError('ui_print("never closed);\n').message, /not closed/);
  assert.match(parseError('a = b;').message, /unexpected character "="/);
  assert.match(parseError('a() b()').message, /expected ";"/);
  assert.match(parseError('if a then b').message, /"endif"/);
});

test('edify: nesting and chains beyond the caps are limit errors, not stack overflows', () => {
  const deep = 'x' + '('.repeat(100_000) + ')'.repeat(100_000);
  const e = parseError(deep);
  assert.ok(e.limit, e.message);
  assert.match(e.message, new RegExp(`more than ${EDIFY_LIMITS.maxDepth} levels`));
  assert.ok(parseError('!'.repeat(50_000) + 'a').limit);
  assert.ok(parseError(Array.from({ length: 2000 }, () => 'a').join(' == ')).limit);
  // A long || chain is a loop, not recursion: fine.
  assert.equal(checks(`assert(${Array.from({ length: 50_000 }, (_, i) => `getprop("ro.product.device") == "d${i}"`).join(' || ')});`).guards[0].alternatives.length, 50_000);
});

test('edify guards: assert args, || abort, if !C then abort, reversed and file_getprop comparisons', () => {
  const c = checks(
    [
      'assert(getprop("ro.product.device") == "a" || getprop("ro.build.product") == "a");',
      '"b" == getprop("ro.product.device") || abort("E3004: wrong device");',
      'if !(getprop("ro.product.name") == "lineage_c") then abort("no") endif;',
      'file_getprop("/system/build.prop", "ro.build.fingerprint") == "fp1" || file_getprop("/system/build.prop", "ro.build.fingerprint") == "fp2" || abort("E3001");',
      'assert(getprop("ro.bootloader") == "bl1", getprop("ro.baseband") == "bb1");',
      'assert(!less_than_int(1324365991, getprop("ro.build.date.utc")));',
      'assert(update_dynamic_partitions(package_extract_file("dynamic_partitions_op_list")));',
      'ifelse(is_mounted("/system"), unmount("/system"));',
      'if getprop("ro.product.device") == "only-sometimes" then ui_print("x") endif;',
      'getprop("ro.product.device") == "x" || ui_print("not a guard: no abort");',
    ].join('\n'),
  );
  const g = c.guards.map((x) => ({ line: x.line, alts: x.alternatives.map((a) => `${a.key}:${a.property}=${a.value}`), opaque: x.opaque }));
  assert.deepEqual(g, [
    { line: 1, alts: ['device:ro.product.device=a', 'device:ro.build.product=a'], opaque: 0 },
    { line: 2, alts: ['device:ro.product.device=b'], opaque: 0 },
    { line: 3, alts: ['name:ro.product.name=lineage_c'], opaque: 0 },
    { line: 4, alts: ['fingerprint:ro.build.fingerprint=fp1', 'fingerprint:ro.build.fingerprint=fp2'], opaque: 0 },
    { line: 5, alts: ['bootloader:ro.bootloader=bl1'], opaque: 0 },
    { line: 5, alts: ['baseband:ro.baseband=bb1'], opaque: 0 },
  ]);
  assert.deepEqual(c.olderBuild, [{ timestamp: '1324365991', line: 6 }]);
});

test('edify guards: an alternative that is not a comparison is counted as opaque', () => {
  const c = checks('assert(getprop("ro.product.device") == "a" || is_substring("a", getprop("ro.product.name")));');
  assert.equal(c.guards[0].opaque, 1);
});

async function declarationsOf(t: Parameters<typeof tempDir>[0], script: Buffer | string) {
  const dir = tempDir(t);
  const file = join(dir, 'ota.zip');
  writeFileSync(file, zipOf({ 'META-INF/com/google/android/updater-script': script }));
  const r = await inspect(file, { target: { device: 'a' } });
  const art = r.root.children[0];
  return { r, art, decls: art.facts.filter(isDeclaration) as DeclarationFact[] };
}

test('updater-script with unbalanced parentheses: format/unreadable with its line, checks before it kept, verdict from them', async (t) => {
  const { r, art, decls } = await declarationsOf(t, 'assert(getprop("ro.product.device") == "a");\nui_print("x";\nassert(getprop("ro.product.device") == "b");\n');
  assert.equal(art.format, 'updater-script');
  assert.equal(art.info.complete, false);
  const f = r.findings.filter((x) => x.ruleId === 'format/unreadable');
  assert.equal(f.length, 1);
  assert.match(f[0].message, /^line 4: not valid edify: expected "," or "\)" to close the arguments of ui_print\(\) from line 2/);
  assert.deepEqual(
    decls.map((d) => d.alternatives[0].value),
    ['a'],
  );
  assert.equal(r.summary.compatibility.verdict, 'compatible');
});

test('updater-script with a 10 MB line: parsed, no crash, the assert after it is read', async (t) => {
  const long = `ui_print("${'x'.repeat(10 * 1024 * 1024)}");`;
  const { art, decls } = await declarationsOf(t, `${long}\nassert(getprop("ro.product.device") == "a");\n`);
  assert.equal(art.format, 'updater-script');
  assert.equal(art.info.statements, 2);
  assert.equal(decls[0].line, 2);
  const broken = await declarationsOf(t, `ui_print("${'x'.repeat(10 * 1024 * 1024)}`);
  assert.equal(broken.art.info.complete, false);
  assert.equal(broken.r.summary.compatibility.verdict, 'unknown');
});

test("updater-script in UTF-16 or with CRLF: read like the LF one, and reported (recovery's lexer rejects the CR)", async (t) => {
  const text = 'ui_print("x");\r\nassert(getprop("ro.product.device") == "a" ||\r\n  getprop("ro.build.product") == "a");\r\n';
  const unreadable = (r: { findings: { ruleId: string; message: string }[] }) => r.findings.filter((f) => f.ruleId === 'format/unreadable').map((f) => f.message);
  const crlf = await declarationsOf(t, Buffer.from(text));
  assert.deepEqual(
    crlf.decls.map((d) => [d.line, d.alternatives.map((a) => a.value)]),
    [[2, ['a', 'a']]],
  );
  assert.deepEqual(
    unreadable(crlf.r).map((m) => m.slice(0, 48)),
    ['line 1: the script has Windows (CRLF) line ends;'],
  );
  assert.equal(crlf.r.summary.compatibility.verdict, 'compatible');
  const bom = await declarationsOf(t, utf16le(text));
  assert.equal(bom.art.info.encoding, 'utf-16le');
  assert.deepEqual(
    bom.decls.map((d) => [d.line, d.alternatives.map((a) => a.value)]),
    [[2, ['a', 'a']]],
  );
  assert.match(unreadable(bom.r)[0], /^line 1: the script is UTF-16LE text/);
  const noBom = await declarationsOf(t, Buffer.from(text.replace(/\r/g, ''), 'utf16le'));
  assert.equal(noBom.art.info.encoding, 'utf-16le');
  assert.equal(noBom.decls.length, 1);
  const lf = await declarationsOf(t, Buffer.from(text.replace(/\r/g, '')));
  assert.deepEqual(unreadable(lf.r), [], 'a plain LF script is fine');
  const lateCr = await declarationsOf(t, Buffer.from('a();\nb();\nc();\r\n'));
  assert.match(unreadable(lateCr.r)[0], /^line 3: /);
});

test('garbage named updater-script never throws', async (t) => {
  const dir = tempDir(t);
  const bodies = [
    Buffer.alloc(0),
    Buffer.from('(((('),
    Buffer.from('))))'),
    Buffer.from('"'),
    Buffer.from('\\'),
    Buffer.from('assert('),
    Buffer.from([0xff, 0xfe, 0x00]),
    Buffer.from('\u0000\u0001abc'),
    Buffer.from('if if if then'),
    Buffer.from('a'.repeat(70000)),
  ];
  for (const [i, b] of bodies.entries()) {
    const f = join(dir, `${i}.zip`);
    writeFileSync(f, zipOf({ 'META-INF/com/google/android/updater-script': b }));
    const r = await inspect(f);
    for (const x of r.findings) assert.doesNotMatch(x.message, /internal error|\n\s+at /);
  }
});
