/**
 * The typed `info` of the library (src/report/info.ts) against what the
 * decoders really write: every format's mutation seed (test/formats/seeds.ts,
 * built by fixtures/builders) and the demo packages are inspected through the
 * library, and every key in the info of an artifact of a typed format must be
 * declared for that format (INFO_KEYS, which the compiler holds to the types),
 * or, below the root, be a key of its place (a member's, a partition's...).
 * A key a decoder starts to write without its type fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT } from '../helpers';
import { formatSeeds } from '../formats/seeds';
import { inspect, INFO_KEYS, FORMAT_IDS, FORMATS, detectFormat, type Artifact, type Report, type TypedFormatId } from '../../src/index';
import { HANDLERS } from '../../src/formats/registry';

const TYPED = Object.keys(INFO_KEYS).filter((k) => k !== 'placement') as TypedFormatId[];
const PLACEMENT = new Set<string>(INFO_KEYS.placement);
/** What the walk itself may put on a root: nothing is above it. */
const ROOT_KEYS = new Set(['incomplete', 'sidecarChecksumFiles']);

function* artifacts(a: Artifact, depth = 0): Generator<{ a: Artifact; depth: number }> {
  yield { a, depth };
  for (const c of a.children) yield* artifacts(c, depth + 1);
}

function isTyped(format: string): format is TypedFormatId {
  return (TYPED as string[]).includes(format);
}

/** Keys not declared, as `<input> <path> (<format>): <key>`; the typed formats seen go into `seen`. */
function undeclared(input: string, report: Report, seen: Set<string>): string[] {
  const out: string[] = [];
  for (const { a, depth } of artifacts(report.root)) {
    if (!isTyped(a.format)) continue;
    seen.add(a.format);
    const own = new Set<string>(INFO_KEYS[a.format]);
    for (const key of Object.keys(a.info)) {
      if (own.has(key) || (depth === 0 ? ROOT_KEYS.has(key) : PLACEMENT.has(key))) continue;
      out.push(`${input} ${a.path || '(root)'} (${a.format}): ${key}`);
    }
  }
  return out;
}

test('every info key the decoders write on the seeds and the demo packages is declared in the typed info of its format', async () => {
  const seen = new Set<string>();
  const missing: string[] = [];
  let checked = 0;
  for (const s of await formatSeeds()) {
    const report = await inspect(s.data, { name: s.name });
    missing.push(...undeclared(`seed ${s.format} ${s.name}`, report, seen));
    checked++;
  }
  for (const demo of ['demo-rom.zip', 'demo-corrupt.zip']) {
    const report = await inspect(join(ROOT, 'fixtures', 'demo', demo));
    missing.push(...undeclared(demo, report, seen));
    checked++;
  }
  assert.ok(checked > 50, `${checked} inputs`);
  assert.deepEqual(missing, [], 'info keys no type declares (src/report/info.ts)');
  // The test looks at each typed format at least once, or it proves nothing about it.
  assert.deepEqual(
    TYPED.filter((f) => !seen.has(f)),
    [],
    'typed formats no input had',
  );
});

test('the declared keys of a format are real: a seed of the format has them', async () => {
  // The other direction, where a seed can show it: a key declared for a format that no seed or demo
  // writes is listed here (so a renamed decoder key shows as one undeclared and one unused key).
  const written = new Map<string, Set<string>>();
  const inputs: Buffer[] = [];
  for (const s of await formatSeeds()) inputs.push(s.data);
  for (const data of inputs) {
    const report = await inspect(data);
    for (const { a } of artifacts(report.root)) {
      if (!isTyped(a.format)) continue;
      const set = written.get(a.format) ?? new Set<string>();
      for (const k of Object.keys(a.info)) set.add(k);
      written.set(a.format, set);
    }
  }
  // Keys that need inputs the seeds are not (a damaged file, a Samsung trailer, a template GPT...):
  // covered by the decoders' own tests and the corpus, not by this one.
  let declared = 0;
  let shown = 0;
  for (const f of TYPED) {
    for (const k of INFO_KEYS[f]) {
      declared++;
      if (written.get(f)?.has(k)) shown++;
    }
  }
  assert.ok(shown / declared > 0.6, `${shown} of ${declared} declared keys shown by the seeds`);
});

test('FORMAT_IDS lists every handler id and only those; FORMATS and detectFormat speak format ids', () => {
  const ids = [...new Set(HANDLERS.map((h) => h.id))].sort();
  assert.deepEqual([...FORMAT_IDS].sort(), ids);
  assert.deepEqual(
    FORMATS.map((f) => f.id),
    [...new Set(HANDLERS.map((h) => h.id))],
  );
  for (const f of FORMATS) assert.deepEqual(Object.keys(f), ['id', 'description', 'role', 'confidence']);
  assert.equal(detectFormat({ peek: Buffer.from('ANDROID!'), name: 'boot.img', size: 4096 }), 'android-boot');
  assert.equal(detectFormat({ peek: Buffer.alloc(64), name: 'x.bin', size: 64 }), null);
});
