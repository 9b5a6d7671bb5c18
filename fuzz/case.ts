/**
 * One fuzz case: generating its input from (run seed, case number, target)
 * and checking the invariants of issue 13 on it, in this process:
 *
 * - `inspect` gives a report (it does not throw);
 * - no finding and no fact message carries internal error text (a JavaScript
 *   error name, a stack line, "internal error", `undefined`, `NaN`, `[object Object]`);
 * - it finishes within the time limit (given to `inspect` as `maxSeconds`, so
 *   a budget stop on a small fuzz input counts as too slow as well);
 * - the heap stays under a bound after the case (measured again after a GC);
 * - for a sample of cases, every listed path with a digest extracts, to the
 *   bytes whose sha256 the report gives, or fails verification (exit 1) only
 *   where the report has a bad-bytes fact on it or on a container above it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../src/pipeline/inspect';
import { extract, ExtractVerifyError } from '../src/pipeline/extract';
import { BAD_BYTES_KINDS } from '../src/facts';
import type { Artifact, Report } from '../src/report/model';
import { Rng } from './rng';
import { Mutator } from './mutate';
import type { Target } from './targets';

export interface CaseInput {
  bytes: Buffer;
  /** What was done to the seed, in words. */
  how: string;
}

/** The input of case `n` of a run seeded `seed` on `target`; `donors` are the other seeds (for splices). */
export async function generateCase(seed: number, n: number, target: Target, donors: readonly Buffer[]): Promise<CaseInput> {
  const r = new Rng(seed, n);
  const top = target.stages.length - 1;
  // Half the cases of a nested shape damage an inner layer and rebuild the ones above it.
  const at = target.layers.length && r.oneIn(2) ? r.below(target.layers.length) : top;
  const m = new Mutator(r, target.hot[at], donors).mutate(target.stages[at]);
  let bytes = m.bytes;
  try {
    for (let i = at; i < target.layers.length; i++) bytes = await target.layers[i].wrap(bytes);
  } catch (e) {
    // A builder cannot wrap every damaged inner layer (an OTA zip builder reading a payload cut inside its
    // header): the case damages the outer layer instead, so generating a case never fails (seed 20261206
    // case ~467,000 stopped a worker, then the supervisor, this way).
    const outer = new Mutator(new Rng(seed, n), target.hot[top], donors).mutate(target.stages[top]);
    return { bytes: outer.bytes, how: `(rebuilding over a damaged ${target.layers[at].name} failed: ${(e as Error).message.slice(0, 80)}) ${outer.how}` };
  }
  const where = at < top ? `inside ${target.layers[at].name} (stage ${at}): ` : '';
  return { bytes, how: where + m.how };
}

export type FailureKind = 'throw' | 'internal-text' | 'slow' | 'memory' | 'extract' | 'extract-bytes' | 'extract-verify' | 'hang' | 'crash';

export interface Failure {
  kind: FailureKind;
  message: string;
}

export interface CaseOptions {
  /** Seconds one inspection may take. */
  timeLimit: number;
  /** Bytes of heap allowed after the case (after a GC). */
  heapLimit: number;
  /** Also extract the listed paths (a sample of the cases). */
  extract: boolean;
  /** Most artifacts extracted per case. */
  maxExtracts?: number;
  /** A scratch directory of this process. */
  scratch: string;
}

export interface CaseResult {
  failure?: Failure;
  ms: number;
  /** Format ids seen in the report, fact kinds, rule ids of the findings: what the case reached. */
  formats: string[];
  kinds: string[];
  rules: string[];
  artifacts: number;
  extracted: number;
}

/** Text in a message that only a bug puts there. */
export const INTERNAL_TEXT =
  /internal error|\n\s+at |\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|Cannot read propert|is not a function|is not iterable|\bundefined\b(?! entity)|\bNaN\b|\[object Object\]|Maximum call stack/;

const BAD_BYTES: ReadonlySet<string> = new Set(BAD_BYTES_KINDS);

function* withAncestors(a: Artifact, up: Artifact[] = []): Generator<{ a: Artifact; up: Artifact[] }> {
  yield { a, up };
  for (const c of a.children) yield* withAncestors(c, [...up, a]);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const gc = (globalThis as { gc?: () => void }).gc;

export async function runCase(file: string, o: CaseOptions): Promise<CaseResult> {
  const started = Date.now();
  const res: CaseResult = { ms: 0, formats: [], kinds: [], rules: [], artifacts: 0, extracted: 0 };
  let report: Report;
  try {
    report = await inspect(file, { sidecars: false, budget: { maxSeconds: o.timeLimit } });
  } catch (e) {
    res.ms = Date.now() - started;
    res.failure = { kind: 'throw', message: `inspect threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
    return res;
  }
  res.ms = Date.now() - started;
  const formats = new Set<string>();
  const kinds = new Set<string>();
  const all = [...withAncestors(report.root)];
  res.artifacts = all.length;
  for (const { a } of all) {
    formats.add(a.format);
    for (const f of a.facts) {
      kinds.add(f.kind);
      if (!res.failure && typeof f.message === 'string' && INTERNAL_TEXT.test(f.message)) res.failure = { kind: 'internal-text', message: `fact ${f.kind} on "${a.path}": ${f.message}` };
      if (!res.failure && typeof f.message !== 'string') res.failure = { kind: 'internal-text', message: `fact ${f.kind} on "${a.path}" has no message` };
    }
  }
  res.formats = [...formats];
  res.kinds = [...kinds];
  res.rules = [...new Set(report.findings.map((f) => f.ruleId))];
  for (const f of report.findings) {
    if (!res.failure && INTERNAL_TEXT.test(f.message)) res.failure = { kind: 'internal-text', message: `finding ${f.ruleId} on "${f.path}": ${f.message}` };
    if (!res.failure && /--max-seconds/.test(f.message)) res.failure = { kind: 'slow', message: `the time budget (${o.timeLimit} s) ran out: ${f.message}` };
  }
  if (!res.failure && res.ms > o.timeLimit * 1000 + 2000) res.failure = { kind: 'slow', message: `inspect took ${res.ms} ms (limit ${o.timeLimit} s)` };
  if (!res.failure && process.memoryUsage().heapUsed > o.heapLimit) {
    gc?.();
    const heap = process.memoryUsage().heapUsed;
    if (heap > o.heapLimit) res.failure = { kind: 'memory', message: `heap ${Math.round(heap / 2 ** 20)} MiB after the case (limit ${Math.round(o.heapLimit / 2 ** 20)} MiB)` };
  }
  if (!res.failure && o.extract) res.failure = await extractAll(file, all, o, res);
  return res;
}

async function extractAll(file: string, all: { a: Artifact; up: Artifact[] }[], o: CaseOptions, res: CaseResult): Promise<Failure | undefined> {
  const listed = all.filter(({ a }) => a.path !== '' && a.hashes.sha256 && !a.info.incomplete);
  // A spread sample when there are many.
  const max = o.maxExtracts ?? 6;
  const step = Math.max(1, Math.ceil(listed.length / max));
  const out = join(o.scratch, 'x');
  for (let i = 0; i < listed.length; i += step) {
    const { a, up } = listed[i];
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    res.extracted++;
    try {
      const x = await extract(file, a.path, out + '/', { tempDir: o.scratch });
      const got = sha256(readFileSync(x.output));
      if (got !== a.hashes.sha256) return { kind: 'extract-bytes', message: `extract "${a.path}" wrote bytes with sha256 ${got}, the report says ${a.hashes.sha256}` };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (e instanceof ExtractVerifyError) {
        if (![a, ...up].some((x) => x.facts.some((f) => BAD_BYTES.has(f.kind))))
          return { kind: 'extract-verify', message: `extract "${a.path}" failed verification, but the report has no bad-bytes fact on it or above it: ${msg}` };
      } else {
        return { kind: 'extract', message: `extract "${a.path}" failed: ${msg}` };
      }
    }
  }
  rmSync(out, { recursive: true, force: true });
  return undefined;
}

/** Writes `bytes` as `name` in a fresh folder of `scratch`; returns the path. */
export function stage(scratch: string, name: string, bytes: Buffer): string {
  const dir = join(scratch, 'in');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}
