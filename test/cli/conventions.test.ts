/**
 * The conventions ESLint users know (issue 16 item 2), run through the built
 * CLI as a child process: -f/-o/-h/-v, --max-warnings, several inputs, `-`
 * for standard input, "did you mean", shell completion (through bash's own
 * compgen), ESLint's severity spellings, the config searched upward, colour
 * from FORCE_COLOR / --color / NO_COLOR, size suffixes, values echoed as typed.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootWithProps, zipOf } from '../../fixtures/builders/rom';
import { BIN, ROOT, hasTool, runCli, tempDir, type CliResult } from '../helpers';
import { VERSION } from '../../src/version';

const DEMO = join(ROOT, 'fixtures', 'demo', 'demo-rom.zip');
const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');

/** A fastboot zip whose only finding is one compat/no-device-declared warning. */
function oneWarning(t: TestContext): { dir: string; file: string } {
  const dir = tempDir(t);
  const file = join(dir, 'fastboot.zip');
  writeFileSync(file, zipOf({ 'boot.img': bootWithProps({}), 'system.img': Buffer.alloc(4096, 1) }));
  return { dir, file };
}

/** Exit 2, exactly one line on stderr starting with "romscope: ", no stack trace. */
function oneLineUsageError(r: CliResult, what: string): string {
  assert.equal(r.code, 2, `${what}: ${r.stdout}${r.stderr}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
  assert.match(lines[0], /^romscope: /, what);
  assert.doesNotMatch(lines[0], /NaN|undefined|YError|\bat .+:\d+:\d+/, what);
  return lines[0];
}

test('-h and -v are --help and --version', () => {
  const v = runCli(['-v']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), VERSION);
  assert.equal(runCli(['--version']).stdout, v.stdout);
  const h = runCli(['-h']);
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /romscope check <file\.\.>/);
  assert.match(h.stdout, /completion/);
  const ch = runCli(['check', '-h']);
  assert.equal(ch.code, 0);
  for (const o of ['-f, --format', '-o, --output-file', '--max-warnings', '--fail-on']) assert.ok(ch.stdout.includes(o), o);
  assert.doesNotMatch(ch.stdout, /maxWarnings|outputFile/, 'no camelCase twins');
  assert.match(runCli(['extract', '-h']).stdout, /-o, --output/);
});

test('-f is --format; -o writes the report to a file (and extract keeps -o as its output)', (t) => {
  const dir = tempDir(t);
  const a = runCli(['check', DEMO, '-f', 'json']);
  assert.equal(a.code, 0);
  const b = runCli(['check', DEMO, '--format', 'json']);
  assert.deepEqual(JSON.parse(a.stdout).summary, JSON.parse(b.stdout).summary);
  const file = join(dir, 'report.sarif');
  const o = runCli(['check', CORRUPT, '-f', 'sarif', '-o', file]);
  assert.equal(o.code, 1, 'the exit code is the same when the report goes to a file');
  assert.equal(o.stdout, '');
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).version, '2.1.0');
  const long = join(dir, 'report.txt');
  assert.equal(runCli(['check', DEMO, '--output-file', long]).code, 0);
  assert.match(readFileSync(long, 'utf8'), /No findings/);
  const dash = runCli(['check', DEMO, '-o', '-', '-f', 'jsonl']);
  assert.equal(JSON.parse(dash.stdout).input.path, DEMO, '-o - is standard output');
  const bad = runCli(['check', DEMO, '-o', join(dir, 'no', 'such', 'dir', 'r.txt')]);
  assert.match(oneLineUsageError(bad, 'unwritable -o'), /--output-file .*cannot write/);
  const out = join(dir, 'x');
  mkdirSync(out);
  assert.equal(runCli(['extract', DEMO, 'images/boot.img', '-o', out]).code, 0);
  assert.deepEqual(readdirSync(out), ['boot.img']);
});

test('--max-warnings N fails a check with more than N warnings (ESLint)', (t) => {
  const { file } = oneWarning(t);
  assert.equal(runCli(['check', file]).code, 0, 'a warning alone does not fail');
  const over = runCli(['check', file, '--max-warnings', '0']);
  assert.equal(over.code, 1);
  assert.match(over.stderr, /^romscope: 1 warning, more than --max-warnings 0\n$/);
  assert.equal(runCli(['check', file, '--max-warnings', '1']).code, 0);
  assert.equal(runCli(['check', file, '--max-warnings=-1']).code, 0, '-1 is no limit');
  assert.match(oneLineUsageError(runCli(['check', file, '--max-warnings', 'few']), 'max-warnings few'), /got "few"/);
  // Counted over all the inputs of the run.
  assert.equal(runCli(['check', file, file, '--max-warnings', '1']).code, 1);
});

test('several inputs: one report each, the worst exit code, a JSON array or JSON Lines', (t) => {
  const both = runCli(['check', DEMO, CORRUPT, '--json']);
  assert.equal(both.code, 1, 'the corrupt one fails the run');
  const arr = JSON.parse(both.stdout) as { input: { path: string }; summary: { errors: number } }[];
  assert.deepEqual(
    arr.map((r) => r.input.path),
    [DEMO, CORRUPT],
  );
  assert.equal(arr[0].summary.errors, 0);
  assert.ok(arr[1].summary.errors > 0);
  const single = JSON.parse(runCli(['check', DEMO, '--json']).stdout);
  assert.ok(!Array.isArray(single), 'one input stays one object');
  const lines = runCli(['check', DEMO, CORRUPT, '-f', 'jsonl']).stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).input.path),
    [DEMO, CORRUPT],
  );
  const sarif = JSON.parse(runCli(['check', DEMO, CORRUPT, '-f', 'sarif']).stdout);
  assert.equal(sarif.runs.length, 2);
  const table = runCli(['check', DEMO, CORRUPT, '-q']);
  assert.ok(table.stdout.startsWith(`${DEMO}\n`), table.stdout.slice(0, 200));
  assert.ok(table.stdout.includes(`\n\n${CORRUPT}\n`));
  assert.equal(table.stdout.match(/^compatibility: /gm)?.length, 2);
  assert.equal(runCli(['inspect', DEMO, CORRUPT]).code, 0, 'inspect does not judge');
  // An input that cannot be read: its line on stderr, the others still reported, exit 2.
  const dir = tempDir(t);
  const missing = join(dir, 'missing.zip');
  const m = runCli(['check', missing, DEMO, '--json']);
  assert.equal(m.code, 2);
  assert.equal(m.stderr, `romscope: ${missing}: no such file\n`);
  assert.deepEqual(
    JSON.parse(m.stdout).map((r: { input: { path: string } }) => r.input.path),
    [DEMO],
  );
});

test('- reads the package from standard input, spilled under --temp-dir and removed', (t) => {
  const dir = tempDir(t);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { input: readFileSync(CORRUPT), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const r = run(['check', '-', '--json', '--temp-dir', tmp]);
  assert.equal(r.status, 1, r.stderr);
  const fromStdin = JSON.parse(r.stdout);
  const fromFile = JSON.parse(runCli(['check', CORRUPT, '--json']).stdout);
  assert.equal(fromStdin.input.path, '-');
  assert.equal(fromStdin.root.hashes.sha256, fromFile.root.hashes.sha256);
  assert.deepEqual(
    fromStdin.findings.map((f: { ruleId: string; path: string }) => `${f.ruleId} ${f.path}`).sort(),
    fromFile.findings
      .filter((f: { path: string }) => f.path !== '')
      .map((f: { ruleId: string; path: string }) => `${f.ruleId} ${f.path}`)
      .sort(),
    'the same findings inside (a sidecar next to the file is not looked for on stdin)',
  );
  assert.deepEqual(readdirSync(tmp), [], 'the spilled copy is removed');
  const out = join(dir, 'out');
  mkdirSync(out);
  const x = spawnSync(process.execPath, [BIN, 'extract', '-', 'images/boot.img', '-o', out, '--temp-dir', tmp], { input: readFileSync(DEMO), encoding: 'utf8' });
  assert.equal(x.status, 0, x.stderr);
  assert.deepEqual(readdirSync(out), ['boot.img']);
  assert.deepEqual(readdirSync(tmp), []);
  assert.match(oneLineUsageError(runCli(['check', '-', '-']), '- twice'), /only once/);
});

test('"did you mean" for commands and options; every usage error is one line, without camelCase twins', () => {
  const cases: [string[], RegExp][] = [
    [['chek', DEMO], /unknown command "chek"; did you mean "check"\?/],
    [['inspetc', DEMO], /did you mean "inspect"\?/],
    [['frobnicate'], /unknown command "frobnicate" \(commands: inspect, check, extract, ls, rules, completion\)/],
    [['check', DEMO, '--fail-onn', 'error'], /unknown option --fail-onn for check; did you mean --fail-on\?/],
    [['check', DEMO, '--max-warning', '3'], /unknown option --max-warning for check; did you mean --max-warnings\?/],
    [['check', DEMO, '--jsno'], /did you mean --json\?/],
    [['inspect', DEMO, '--fail-on', 'error'], /unknown option --fail-on for inspect/],
    [['extract', DEMO, 'images/boot.img', '--outptu', 'x'], /did you mean --output\?/],
    [['extract', DEMO, 'images/boot.img'], /missing -?-output.*usage: romscope extract/],
    [['extract', DEMO], /extract needs more arguments \(usage: romscope extract <file> <artifact> -o <out>\)/],
    [['check'], /check needs more arguments/],
    [['rules', 'extra'], /unexpected argument "extra"/],
    [['check', DEMO, '-f', 'xml'], /--format wants table, json, jsonl, sarif, html, got "xml"/],
    [['check', DEMO, '-f', 'jsn'], /did you mean json\?/],
    [['check', DEMO, '--severity', 'integrity/zip-crcc=off'], /unknown rule "integrity\/zip-crcc" \(did you mean integrity\/zip-crc\?\)/],
    [[], /name a command/],
  ];
  for (const [args, re] of cases) {
    const line = oneLineUsageError(runCli(args), args.join(' '));
    assert.match(line, re, args.join(' '));
    assert.doesNotMatch(line, /maxWarning|failOn|outputFile/, args.join(' '));
  }
});

test('romscope completion: a bash script that completes commands and options through compgen', (t) => {
  const script = runCli(['completion'], { env: { SHELL: '/bin/bash', ZSH_NAME: '' } });
  assert.equal(script.code, 0, script.stderr);
  assert.match(script.stdout, /complete .*-F _romscope_yargs_completions romscope/);
  assert.match(runCli(['--get-yargs-completions', 'romscope', 'ch']).stdout, /^check$/m);
  if (!hasTool('bash')) return t.skip('bash not installed');
  const complete = (words: string[]) => {
    const sh = `romscope() { "${process.execPath}" "${BIN}" "$@"; }\n${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _romscope_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', sh], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  assert.deepEqual(complete(['romscope', 'ch']), ['check']);
  assert.deepEqual(complete(['romscope', 'check', DEMO, '--max-w']), ['--max-warnings']);
  assert.deepEqual(complete(['romscope', 'check', DEMO, '--fail-o']), ['--fail-on']);
});

test("--severity, --fail-on and the config take ESLint's warn and 0/1/2", (t) => {
  const { dir, file } = oneWarning(t);
  const sev = (args: string[], cwd?: string) => JSON.parse(runCli(['check', file, '--json', ...args], { cwd }).stdout).findings.map((f: { severity: string }) => f.severity);
  assert.deepEqual(sev(['--severity', 'compat/no-device-declared=2']), ['error']);
  assert.deepEqual(sev(['--severity', 'compat/no-device-declared=warn']), ['warning']);
  assert.deepEqual(sev(['--severity', 'compat/no-device-declared=1']), ['warning']);
  assert.deepEqual(sev(['--severity', 'compat/no-device-declared=0']), []);
  assert.equal(runCli(['check', file, '--fail-on', 'warn']).code, 1);
  assert.equal(runCli(['check', file, '--fail-on', '1']).code, 1);
  assert.equal(runCli(['check', file, '--fail-on', '2']).code, 0);
  assert.equal(runCli(['check', file, '--fail-on', '0', '--severity', 'compat/no-device-declared=error']).code, 0, '0 never fails');
  assert.match(oneLineUsageError(runCli(['check', file, '--severity', 'compat/no-device-declared=3']), 'level 3'), /got "compat\/no-device-declared=3"/);
  for (const [level, want] of [
    [2, ['error']],
    [1, ['warning']],
    [0, []],
    ['warn', ['warning']],
  ] as const) {
    writeFileSync(join(dir, '.romscope.json'), JSON.stringify({ rules: { 'compat/no-device-declared': level } }));
    assert.deepEqual(sev([], dir), want, String(level));
  }
});

test('.romscope.json is searched for upward from the current directory; the nearest wins; --config beats both', (t) => {
  const { dir, file } = oneWarning(t);
  const deep = join(dir, 'a', 'b', 'c');
  mkdirSync(deep, { recursive: true });
  const sev = (cwd: string, args: string[] = []) => JSON.parse(runCli(['check', file, '--json', ...args], { cwd }).stdout).findings.map((f: { severity: string }) => f.severity);
  assert.deepEqual(sev(deep), ['warning'], 'no config anywhere above');
  writeFileSync(join(dir, '.romscope.json'), JSON.stringify({ rules: { 'compat/no-device-declared': 'error' } }));
  assert.deepEqual(sev(deep), ['error'], 'found three levels up');
  writeFileSync(join(dir, 'a', '.romscope.json'), JSON.stringify({ rules: { 'compat/no-device-declared': 'off' } }));
  assert.deepEqual(sev(deep), [], 'the nearest one wins (no merging)');
  assert.deepEqual(sev(dir), ['error']);
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ rules: { 'compat/no-device-declared': 'info' } }));
  assert.deepEqual(sev(deep, ['--config', join(dir, 'other.json')]), ['info']);
  // A broken config above is reported with its path.
  writeFileSync(join(dir, 'a', '.romscope.json'), '{');
  assert.match(oneLineUsageError(runCli(['check', file], { cwd: deep }), 'broken'), new RegExp(`${join(dir, 'a', '.romscope.json').replace(/[/.]/g, '\\$&')}: not valid JSON`));
});

test('colour: FORCE_COLOR and --color force it on a pipe, --no-color turns it off, NO_COLOR wins over everything', () => {
  const coloured = (env: NodeJS.ProcessEnv, args: string[] = []) => {
    const r = runCli(['check', CORRUPT, '-q', ...args], { env: { NO_COLOR: '', FORCE_COLOR: undefined, ...env } });
    assert.equal(r.code, 1, r.stderr);
    return /\x1b\[/.test(r.stdout);
  };
  assert.equal(coloured({}), false, 'a pipe: plain');
  assert.equal(coloured({ FORCE_COLOR: '1' }), true);
  assert.equal(coloured({ FORCE_COLOR: '' }), true, 'FORCE_COLOR set but empty forces too');
  assert.equal(coloured({ FORCE_COLOR: '0' }), false);
  assert.equal(coloured({ FORCE_COLOR: 'false' }), false);
  assert.equal(coloured({}, ['--color']), true);
  assert.equal(coloured({ FORCE_COLOR: '1' }, ['--no-color']), false);
  assert.equal(coloured({ FORCE_COLOR: '0' }, ['--color']), true, 'the flag beats the variable');
  assert.equal(coloured({ NO_COLOR: '1' }, ['--color']), false, 'NO_COLOR wins over --color');
  assert.equal(coloured({ NO_COLOR: '1', FORCE_COLOR: '1' }), false, 'NO_COLOR wins over FORCE_COLOR');
  assert.equal(/\x1b\[/.test(runCli(['check', CORRUPT, '-q', '-f', 'json', '--color']).stdout), false, 'never in JSON');
});

test('size flags take 4G/512M/64K; number flags echo a bad value as typed', () => {
  const budget = (v: string) => {
    const r = runCli(['check', DEMO, '--json', '--max-expanded', v]);
    const f = JSON.parse(r.stdout).findings.filter((x: { ruleId: string }) => x.ruleId === 'format/budget-exceeded');
    return { code: r.code, messages: f.map((x: { message: string }) => x.message) };
  };
  const k = budget('1K');
  assert.equal(k.code, 1, 'a 1 KiB budget stops the demo');
  assert.ok(k.messages.length > 0);
  assert.deepEqual(budget('1024'), k, '1K is 1024 bytes');
  assert.deepEqual(budget('1KiB'), k);
  assert.deepEqual(budget('4G'), { code: 0, messages: [] });
  assert.equal(runCli(['check', DEMO, '--max-memory', '512M']).code, 0);
  assert.equal(runCli(['check', DEMO, '--max-memory', '64k']).code, 0);
  assert.equal(runCli(['check', DEMO, '--max-memory', '4k']).code, 1, 'a 4 KiB memory budget is too small for the demo');
  for (const [flag, v] of [
    ['--max-expanded', '4Q'],
    ['--max-expanded', '1.5G'],
    ['--max-memory', '-5'],
    ['--max-depth', 'abc'],
    ['--max-members', '1e3'],
    ['--max-seconds', 'soon'],
    ['--current-timestamp', 'yesterday'],
    ['--anti-rollback', 'x2'],
  ]) {
    const line = oneLineUsageError(runCli(['check', DEMO, `${flag}=${v}`]), `${flag} ${v}`);
    assert.ok(line.includes(`${flag} wants`) && line.includes(`got "${v}"`), line);
  }
});

test('extract: the artifact is checked before the output; a missing path lists the nearest real ones', (t) => {
  const out = tempDir(t);
  writeFileSync(join(out, 'bot.img'), 'mine');
  const r = runCli(['extract', DEMO, 'images/bot.img', '-o', join(out, 'bot.img')]);
  const line = oneLineUsageError(r, 'missing artifact');
  assert.match(line, /no artifact "images\/bot\.img"/, 'not "exists"');
  assert.match(line, /nearest: "images\/boot\.img"/);
  const deep = oneLineUsageError(runCli(['extract', DEMO, 'AP_DEMO.tar.md5/bot.img.lz4', '-o', out]), 'deep');
  // The nearest first; others only when close enough (the demo's tar holds boot.img.lz4 and a vbmeta).
  assert.match(deep, /nearest: "AP_DEMO\.tar\.md5\/boot\.img\.lz4"(, "[^"]+")*$/);
  const listed = deep.match(/nearest: (.*)$/)![1].split(', ');
  assert.ok(listed.length <= 5);
  assert.equal(readFileSync(join(out, 'bot.img'), 'utf8'), 'mine');
});

test('a failed extract leaves nothing behind, not even the directories it made', (t) => {
  const dir = tempDir(t);
  const made = join(dir, 'new', 'deeper');
  const r = runCli(['extract', CORRUPT, 'android-info.txt', '-o', made + '/']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /nothing written/);
  assert.deepEqual(readdirSync(dir), [], 'new/deeper removed');
  const missing = runCli(['extract', DEMO, 'no/such', '-o', made + '/']);
  assert.equal(missing.code, 2);
  assert.deepEqual(readdirSync(dir), []);
  const ok = runCli(['extract', DEMO, 'images/boot.img', '-o', made + '/']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(existsSync(join(made, 'boot.img')), 'a successful extract keeps the directory it made');
});
