/**
 * `npm run fuzz`: the fuzz harness (docs/fuzzing.md). A supervisor process
 * hands out batches of case numbers to worker processes (--jobs), each of
 * which generates its cases (fuzz/case.ts), runs `inspect` on them in
 * process, checks the invariants, minimises and saves what fails under
 * --out. The supervisor is the watchdog: a worker that stays on one case
 * longer than the hard limit is killed and the case recorded as a hang; a
 * worker that dies (a V8 heap cap reached, a native crash) is recorded as a
 * crash; both are regenerated from (seed, case, target) and saved, and a new
 * worker carries on. With --isolate every case runs the built CLI in its own
 * process instead, and its CPU time and peak RSS are checked too.
 */
import { fork } from 'node:child_process';
import { runCliMeasured } from '../test/measured-cli';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTargets, scheduler, type Target } from './targets';
import { generateCase, runCase, stage, INTERNAL_TEXT, type CaseResult, type Failure } from './case';
import { minimise } from './minimise';
import { readRing } from '../src/io/source';
import { hashPool } from '../src/io/hash-pool';
import { decodePool } from '../src/formats/ota-payload/pool';
import { decodesInFlight } from '../src/formats/ota-payload/partition';

const ROOT = resolve(__dirname, '..', '..');

export interface FuzzConfig {
  cases: number;
  seed: number;
  /** Only targets whose format or id is one of these (empty: all). */
  formats: string[];
  /** Only the target with this id. */
  target?: string;
  /** Run only this case number (a replay). */
  only?: number;
  timeLimit: number;
  heapMiB: number;
  rssMiB: number;
  /** Every Nth case also extracts its listed paths (0: never). */
  extractEvery: number;
  jobs: number;
  out: string;
  corpus: boolean;
  isolate: boolean;
  coverage: boolean;
  json: boolean;
  quiet: boolean;
  progressEvery: number;
  /** Stop handing out cases after this many seconds (0: run all --cases). */
  maxTotalTime: number;
  /** Seconds spent minimising one failure at most. */
  minimiseSeconds: number;
}

const USAGE = `npm run fuzz -- [options]
  --cases N          cases to run (default 10000)
  --seed S           run seed (default: from the clock; printed)
  --format ID[,ID]   only targets of these formats (a format id, "nested", "corpus:<folder>") or target ids
  --target ID        only this target (see --list)
  --case K           only case K (replays a saved failure with its --seed and --target)
  --time-limit S     seconds one case may take (default 10)
  --max-total-time S stop after S seconds (the cases under way finish; Ctrl-C does the same)
  --heap-mib M       heap allowed after a case (default 300)
  --rss-mib M        peak RSS allowed per case with --isolate (default 400)
  --extract-every N  every Nth case also extracts every listed path (default 10; 0: never)
  --jobs N           worker processes (default 1)
  --out DIR          where failures and the summary go (default fuzz-out)
  --no-corpus        leave out ../shared/corpus
  --isolate          run each case in its own process (the built CLI), checking CPU time and peak RSS
  --coverage         V8 block coverage of src/ per format directory at the end
  --list             print the targets and exit
  --json             print the summary as JSON
  --quiet            no progress lines
  --progress-every S seconds between progress lines (default 30)
  --minimise-seconds S  most seconds spent minimising one failure (default 60)`;

function parseArgs(argv: string[]): FuzzConfig & { list: boolean } {
  const c: FuzzConfig & { list: boolean } = {
    cases: 10000,
    seed: Date.now() % 2 ** 31,
    formats: [],
    timeLimit: 10,
    heapMiB: 300,
    rssMiB: 400,
    extractEvery: 10,
    jobs: 1,
    out: 'fuzz-out',
    corpus: true,
    isolate: false,
    coverage: false,
    json: false,
    quiet: false,
    progressEvery: 30,
    minimiseSeconds: 60,
    maxTotalTime: 0,
    list: false,
  };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) throw new Error(`${flag} wants a number of 0 or more, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--cases':
        c.cases = Math.floor(num(a, next()));
        break;
      case '--seed':
        c.seed = Math.floor(num(a, next()));
        break;
      case '--format':
        c.formats.push(...(next() ?? '').split(',').filter(Boolean));
        break;
      case '--target':
        c.target = next();
        break;
      case '--case':
        c.only = Math.floor(num(a, next()));
        break;
      case '--time-limit':
        c.timeLimit = num(a, next());
        break;
      case '--heap-mib':
        c.heapMiB = num(a, next());
        break;
      case '--rss-mib':
        c.rssMiB = num(a, next());
        break;
      case '--extract-every':
        c.extractEvery = Math.floor(num(a, next()));
        break;
      case '--jobs':
        c.jobs = Math.max(1, Math.floor(num(a, next())));
        break;
      case '--out':
        c.out = next() ?? c.out;
        break;
      case '--no-corpus':
        c.corpus = false;
        break;
      case '--isolate':
        c.isolate = true;
        break;
      case '--coverage':
        c.coverage = true;
        break;
      case '--list':
        c.list = true;
        break;
      case '--json':
        c.json = true;
        break;
      case '--quiet':
        c.quiet = true;
        break;
      case '--max-total-time':
        c.maxTotalTime = num(a, next());
        break;
      case '--progress-every':
        c.progressEvery = Math.max(1, num(a, next()));
        break;
      case '--minimise-seconds':
        c.minimiseSeconds = num(a, next());
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  c.out = resolve(c.out);
  return c;
}

function selectTargets(all: Target[], c: FuzzConfig): Target[] {
  let ts = all;
  if (c.target !== undefined) ts = ts.filter((t) => t.id === c.target);
  if (c.formats.length) ts = ts.filter((t) => c.formats.some((f) => t.format === f || t.id === f || (f === 'corpus' && t.format.startsWith('corpus:'))));
  return ts;
}

// ---------------------------------------------------------------- worker

type ToWorker = { t: 'run'; cases: number[] } | { t: 'stop' } | { t: 'diag' };
type FromWorker =
  | { t: 'ready' }
  | { t: 'start'; i: number }
  | { t: 'beat' }
  | { t: 'diag'; state: string }
  | { t: 'done'; i: number; target: string; format: string; bytes: number; r: Omit<CaseResult, 'failure'>; failure?: Failure; saved?: string; how: string };

/** The failure's signature: its kind and message with numbers, hex and quoted names taken out (one saved reproducer per bug, not per case). */
function signature(target: Target, f: Failure): string {
  const msg = f.message
    .split('\n')[0]
    .replace(/"[^"]*"/g, '"…"')
    .replace(/0x[0-9a-f]+|[0-9a-f]{16,}|\d+/gi, '#');
  return `${f.kind}|${target.format}|${msg}`;
}

async function worker(c: FuzzConfig): Promise<void> {
  const every = await loadTargets({ corpus: c.corpus });
  const all = selectTargets(every, c);
  // Splices take from every target, whichever are selected, so a case replayed with --target is the same bytes.
  const donors = every.map((t) => t.stages[t.stages.length - 1]);
  const targetOf = scheduler(all);
  const scratch = mkdtempSync(join(tmpdir(), 'romscope-fuzz-'));
  const send = (m: FromWorker) => process.send!(m);
  // Ctrl-C reaches the whole process group: the supervisor decides (finish the batch, or stop at once on a second Ctrl-C), not the worker.
  process.on('SIGINT', () => undefined);
  const saved = new Map<string, number>();
  let phase = 'idle';
  const onMessage = async (m: ToWorker): Promise<void> => {
    if (m.t === 'diag') {
      send({ t: 'diag', state: `${phase}; ${internalState()}` });
      return;
    }
    if (m.t === 'stop') {
      rmSync(scratch, { recursive: true, force: true });
      process.exit(0);
    }
    for (const i of m.cases) {
      send({ t: 'start', i });
      const target = targetOf(i);
      phase = `case ${i}: generating`;
      const input = await generateCase(c.seed, i, target, donors);
      phase = `case ${i}: inspecting`;
      await testStall(i);
      const o = { timeLimit: c.timeLimit, heapLimit: c.heapMiB * 2 ** 20, extract: c.extractEvery > 0 && i % c.extractEvery === 0, scratch };
      const check = (b: Buffer) => (c.isolate ? runIsolated(stage(scratch, target.name, b), c) : runCase(stage(scratch, target.name, b), o));
      const r = await check(input.bytes);
      const { failure, ...rest } = r;
      let where: string | undefined;
      if (failure) {
        const sig = signature(target, failure);
        const n = (saved.get(sig) ?? 0) + 1;
        saved.set(sig, n);
        // The first failure of each kind of bug is minimised; the next two are kept as they are; the rest only counted.
        if (n <= 3) {
          let min: { bytes: Buffer; attempts: number } | undefined;
          if (n === 1 && failure.kind !== 'memory') {
            phase = `case ${i}: minimising a ${failure.kind} failure`;
            min = await minimise(input.bytes, async (b) => (await check(b)).failure?.kind === failure.kind, {
              maxAttempts: 400,
              deadline: Date.now() + c.minimiseSeconds * 1000,
              onAttempt: () => send({ t: 'beat' }),
            });
          }
          where = saveFailure(c, i, target, input.bytes, input.how, failure, min);
        }
      }
      phase = 'idle';
      send({ t: 'done', i, target: target.id, format: target.format === 'nested' ? target.id : target.format, bytes: input.bytes.length, r: rest, failure, saved: where, how: input.how });
    }
    send({ t: 'ready' });
  };
  process.on('message', (m: ToWorker) => void onMessage(m));
  send({ t: 'ready' });
}

/**
 * For the watchdog's own test: ROMSCOPE_FUZZ_TEST_STALL="<case>:busy,<case>:wait" makes those cases spin
 * (the event loop blocked) or wait forever (the event loop free), as a hung parser would.
 */
async function testStall(i: number): Promise<void> {
  for (const x of (process.env.ROMSCOPE_FUZZ_TEST_STALL ?? '').split(',')) {
    const [k, how] = x.split(':');
    if (k === '' || Number(k) !== i) continue;
    if (how === 'busy') for (;;) spinForATestStall();
    if (how === 'wait') await new Promise<void>(() => undefined);
  }
}

function spinForATestStall(): void {
  const end = Date.now() + 1000;
  while (Date.now() < end);
}

/**
 * The shared state a case can leave behind or wait on, for a hang's report: read-ring slots held, hashing and
 * decode threads at work, payload decodes under way, memory, and what keeps the event loop busy.
 */
function internalState(): string {
  const hash = hashPool()?.stats() ?? [];
  const dec = decodePool().stats();
  const mem = process.memoryUsage();
  const res = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) res.set(r, (res.get(r) ?? 0) + 1);
  return [
    `read ring ${readRing().inUse}/${readRing().count} slots held`,
    `hashing threads [${hash.map((t) => `${t.open} open, ${t.outstanding} awaited, ${t.slots} slots`).join('; ')}]`,
    `decode pool ${dec.threads} threads, ${dec.running} running, ${dec.queued} queued`,
    `${decodesInFlight()} payload decodes under way`,
    `heap ${Math.round(mem.heapUsed / 2 ** 20)} MiB, array buffers ${Math.round(mem.arrayBuffers / 2 ** 20)} MiB, RSS ${Math.round(mem.rss / 2 ** 20)} MiB`,
    `active: ${[...res].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ].join('; ');
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
}

function saveFailure(c: FuzzConfig, i: number, target: Target, bytes: Buffer, how: string, failure: Failure, min?: { bytes: Buffer; attempts: number }): string {
  const dir = join(c.out, `${failure.kind}-${safe(target.id)}-s${c.seed}-c${i}`);
  mkdirSync(join(dir, 'input'), { recursive: true });
  writeFileSync(join(dir, 'input', target.name), bytes);
  if (min) {
    mkdirSync(join(dir, 'minimised'), { recursive: true });
    writeFileSync(join(dir, 'minimised', target.name), min.bytes);
  }
  const record = {
    seed: c.seed,
    case: i,
    target: target.id,
    format: target.format,
    name: target.name,
    mutation: how,
    failure,
    bytes: bytes.length,
    minimised: min ? { bytes: min.bytes.length, attempts: min.attempts } : null,
    replay: `npm run fuzz -- --seed ${c.seed} --target '${target.id}' --case ${i}${c.isolate ? ' --isolate' : ''}${c.corpus ? '' : ' --no-corpus'}`,
    timeLimit: c.timeLimit,
  };
  writeFileSync(join(dir, 'case.json'), JSON.stringify(record, null, 2) + '\n');
  return dir;
}

/** --isolate: the built CLI on the file, in its own process, reporting its own CPU time and peak RSS. */
function runIsolated(file: string, c: FuzzConfig): Promise<CaseResult> {
  const run = runCliMeasured(['check', file, '--json', '--max-seconds', String(c.timeLimit)], { heapMiB: c.rssMiB, timeoutMs: (c.timeLimit * 2 + 5) * 1000, killSignal: 'SIGKILL' });
  return run.then(
    ({ code, signal, stdout, stderr, cpuMs, maxRss, wallMs }) => {
      const res: CaseResult = { ms: wallMs, formats: [], kinds: [], rules: [], artifacts: 0, extracted: 0 };
      if (code !== 0 && code !== 1) {
        res.failure = { kind: signal === 'SIGKILL' ? 'hang' : 'crash', message: `exit ${code} (${signal}): ${stderr.slice(-500)}` };
        return res;
      }
      if (maxRss > c.rssMiB * 2 ** 20) res.failure = { kind: 'memory', message: `peak RSS ${Math.round(maxRss / 2 ** 20)} MiB (limit ${c.rssMiB} MiB)` };
      else if (cpuMs > c.timeLimit * 1000) res.failure = { kind: 'slow', message: `${Math.round(cpuMs)} ms of CPU (limit ${c.timeLimit} s)` };
      try {
        const report = JSON.parse(stdout) as { findings: { ruleId: string; message: string }[] };
        res.rules = [...new Set(report.findings.map((f) => f.ruleId))];
        const bad = report.findings.find((f) => INTERNAL_TEXT.test(f.message) || /--max-seconds/.test(f.message));
        if (bad && !res.failure) res.failure = { kind: /--max-seconds/.test(bad.message) ? 'slow' : 'internal-text', message: `${bad.ruleId}: ${bad.message}` };
      } catch {
        res.failure ??= { kind: 'crash', message: `no JSON report on stdout: ${stderr.slice(-500)}` };
      }
      return res;
    },
    (e: Error) => ({ ms: 0, formats: [], kinds: [], rules: [], artifacts: 0, extracted: 0, failure: { kind: 'crash', message: `could not start the CLI: ${e.message}` } }),
  );
}

// ---------------------------------------------------------------- supervisor

interface FormatTotals {
  cases: number;
  failures: number;
  ms: number;
  bytes: number;
  extracted: number;
  formats: Set<string>;
  kinds: Set<string>;
  rules: Set<string>;
}

interface WorkerState {
  id: number;
  proc: ReturnType<typeof fork>;
  batch: number[];
  current?: number;
  since: number;
  killedForHang: boolean;
  ended: boolean;
  /** The worker's answer to the watchdog's 'diag' (none: its event loop did not turn). */
  diag?: string;
}

async function supervise(c: FuzzConfig): Promise<number> {
  const started = Date.now();
  const every = await loadTargets({ corpus: c.corpus });
  const targets = selectTargets(every, c);
  if (targets.length === 0) throw new Error('no target matches --format/--target (see --list)');
  mkdirSync(c.out, { recursive: true });
  const targetOf = scheduler(targets);
  let total = c.only !== undefined ? 1 : c.cases;
  const caseAt = (k: number) => c.only ?? k;
  let next = 0;
  const requeue: number[] = [];
  const totals = new Map<string, FormatTotals>();
  const failures: { kind: string; target: string; case: number; message: string; saved?: string; how: string }[] = [];
  let done = 0;
  const BATCH = 25;
  const hardLimitMs = (c.timeLimit * 2 + 15) * 1000;
  const covDir = c.coverage ? mkdtempSync(join(tmpdir(), 'romscope-fuzz-cov-')) : '';
  const log = (s: string) => void (!c.quiet && process.stderr.write(s + '\n'));
  log(`romscope fuzz: seed ${c.seed}, ${total} cases over ${targets.length} targets, ${c.jobs} worker(s)${c.isolate ? ', isolated' : ''}; failures go to ${c.out}`);

  const tally = (format: string): FormatTotals => {
    let t = totals.get(format);
    if (!t) totals.set(format, (t = { cases: 0, failures: 0, ms: 0, bytes: 0, extracted: 0, formats: new Set(), kinds: new Set(), rules: new Set() }));
    return t;
  };

  const recordLost = async (w: WorkerState, kind: 'hang' | 'crash', detail: string) => {
    const i = w.current!;
    const target = targetOf(i);
    const donors = every.map((t) => t.stages[t.stages.length - 1]);
    const input = await generateCase(c.seed, i, target, donors);
    if (kind === 'hang') {
      // Whether the case hangs on its own or only after the cases before it in that worker (state they left behind, or load).
      const dir = mkdtempSync(join(tmpdir(), 'romscope-fuzz-again-'));
      const again = await runIsolated(stage(dir, target.name, input.bytes), c);
      rmSync(dir, { recursive: true, force: true });
      detail += `; alone in a fresh process: ${again.failure ? `${again.failure.kind} (${again.failure.message.split('\n')[0].slice(0, 160)})` : `done in ${again.ms} ms`}`;
    }
    const failure: Failure = { kind, message: detail };
    const saved = saveFailure(c, i, target, input.bytes, input.how, failure);
    const t = tally(target.format === 'nested' ? target.id : target.format);
    t.cases++;
    t.failures++;
    done++;
    failures.push({ kind, target: target.id, case: i, message: detail, saved, how: input.how });
    log(`romscope fuzz: ${kind} on case ${i} (${target.id}): ${detail}; saved in ${saved}`);
  };

  const workers: WorkerState[] = [];
  let finished!: () => void;
  const allDone = new Promise<void>((r) => (finished = r));
  const give = (w: WorkerState) => {
    const cases: number[] = [];
    while (cases.length < BATCH && requeue.length) cases.push(requeue.shift()!);
    while (cases.length < BATCH && next < total) cases.push(caseAt(next++));
    if (cases.length === 0) {
      w.ended = true;
      w.proc.send({ t: 'stop' } satisfies ToWorker);
      return;
    }
    w.batch = cases;
    w.since = Date.now();
    w.proc.send({ t: 'run', cases } satisfies ToWorker);
  };
  const spawnWorker = (id: number) => {
    const proc = fork(__filename, ['--worker', JSON.stringify(c)], {
      execArgv: [`--max-old-space-size=${c.heapMiB + 512}`, '--expose-gc'],
      env: { ...process.env, NO_COLOR: '1', ...(covDir ? { NODE_V8_COVERAGE: covDir } : {}) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const errTail: string[] = [];
    proc.stderr!.on('data', (b: Buffer) => {
      errTail.push(b.toString('utf8'));
      if (errTail.length > 20) errTail.shift();
    });
    const w: WorkerState = { id, proc, batch: [], since: Date.now(), killedForHang: false, ended: false };
    workers[id] = w;
    proc.on('message', (m: FromWorker) => {
      if (m.t === 'ready') give(w);
      else if (m.t === 'start') {
        w.current = m.i;
        w.since = Date.now();
      } else if (m.t === 'beat') w.since = Date.now();
      else if (m.t === 'diag') w.diag = m.state;
      else if (m.t === 'done') {
        w.batch = w.batch.filter((x) => x !== m.i);
        w.current = undefined;
        done++;
        const t = tally(m.format);
        t.cases++;
        t.ms += m.r.ms;
        t.bytes += m.bytes;
        t.extracted += m.r.extracted;
        for (const x of m.r.formats) t.formats.add(x);
        for (const x of m.r.kinds) t.kinds.add(x);
        for (const x of m.r.rules) t.rules.add(x);
        if (m.failure) {
          t.failures++;
          failures.push({ kind: m.failure.kind, target: m.target, case: m.i, message: m.failure.message.split('\n')[0].slice(0, 300), saved: m.saved, how: m.how });
          if (m.saved) log(`romscope fuzz: ${m.failure.kind} on case ${m.i} (${m.target}): ${m.failure.message.split('\n')[0].slice(0, 200)}; saved in ${m.saved}`);
        }
      }
    });
    proc.on('exit', (code, signal) => {
      void (async () => {
        if (!w.ended || w.current !== undefined) {
          if (w.current !== undefined) {
            await recordLost(
              w,
              w.killedForHang ? 'hang' : 'crash',
              w.killedForHang ? `no result after ${hardLimitMs} ms (watchdog); ${hangState(w)}` : `worker died (exit ${code}, ${signal}): ${errTail.join('').slice(-400).trim()}`,
            );
            requeue.push(...w.batch.filter((x) => x !== w.current));
          } else requeue.push(...w.batch);
          if (next < total || requeue.length) return spawnWorker(id);
        }
        w.ended = true;
        if (workers.every((x) => x.ended)) finished();
      })();
    });
  };
  for (let j = 0; j < Math.min(c.jobs, total); j++) spawnWorker(j);
  // --max-total-time and Ctrl-C: no new batches; the workers finish theirs and the summary is written.
  const stopEarly = () => {
    if (total > next) log(`romscope fuzz: stopping after the cases under way (${next} handed out)`);
    total = Math.min(total, next);
  };
  const stopTimer = c.maxTotalTime ? setTimeout(stopEarly, c.maxTotalTime * 1000) : undefined;
  let interrupts = 0;
  const onInterrupt = () => {
    if (++interrupts === 1) return stopEarly();
    for (const w of workers) if (!w.ended) w.proc.kill('SIGKILL');
    log('romscope fuzz: stopped at once (second Ctrl-C); no summary');
    process.exit(130);
  };
  process.on('SIGINT', onInterrupt);

  const watchdog = setInterval(() => {
    for (const w of workers) {
      if (w.ended || w.current === undefined || w.killedForHang) continue;
      // A heartbeat comes with each minimisation attempt: a case gets the hard limit, and so does each attempt.
      if (Date.now() - w.since > hardLimitMs) {
        // Before the kill, the worker's own account of its state, for the hang's record (no answer: its event loop is blocked).
        w.killedForHang = true;
        try {
          w.proc.send({ t: 'diag' } satisfies ToWorker);
        } catch {
          // already gone
        }
        const p = w.proc;
        setTimeout(() => p.kill('SIGKILL'), 3000).unref();
      }
    }
  }, 1000);
  let lastDone = 0;
  const progress = setInterval(() => {
    const secs = (Date.now() - started) / 1000;
    log(`romscope fuzz: ${done}/${total} cases, ${(done / secs).toFixed(1)}/s (${((done - lastDone) / c.progressEvery).toFixed(1)}/s lately), ${failures.length} failure(s)`);
    lastDone = done;
  }, c.progressEvery * 1000);
  await allDone;
  clearInterval(watchdog);
  clearInterval(progress);
  clearTimeout(stopTimer);
  process.removeListener('SIGINT', onInterrupt);

  const secs = (Date.now() - started) / 1000;
  const coverage = covDir ? coverageByArea(covDir) : undefined;
  if (covDir) rmSync(covDir, { recursive: true, force: true });
  const perFormat = Object.fromEntries(
    [...totals.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([f, t]) => [
        f,
        { cases: t.cases, failures: t.failures, msPerCase: Math.round(t.ms / Math.max(1, t.cases)), extracted: t.extracted, formatsSeen: [...t.formats].sort(), factKinds: t.kinds.size, rules: t.rules.size },
      ]),
  );
  const summary = { seed: c.seed, cases: done, seconds: Math.round(secs), casesPerSecond: Number((done / secs).toFixed(1)), targets: targets.length, jobs: c.jobs, isolate: c.isolate, failures, perFormat, coverage };
  writeFileSync(join(c.out, `summary-s${c.seed}.json`), JSON.stringify(summary, null, 2) + '\n');
  if (c.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else {
    const lines = [`romscope fuzz: seed ${c.seed}: ${done} cases in ${Math.round(secs)} s (${summary.casesPerSecond}/s), ${failures.length} failure(s)`];
    lines.push(`${'format'.padEnd(28)} ${'cases'.padStart(7)} ${'fail'.padStart(5)} ${'ms/case'.padStart(8)} ${'kinds'.padStart(6)} ${'rules'.padStart(6)}  formats reached`);
    for (const [f, t] of Object.entries(perFormat))
      lines.push(
        `${f.padEnd(28)} ${String(t.cases).padStart(7)} ${String(t.failures).padStart(5)} ${String(t.msPerCase).padStart(8)} ${String(t.factKinds).padStart(6)} ${String(t.rules).padStart(6)}  ${t.formatsSeen.join(' ')}`,
      );
    if (coverage) {
      lines.push('', 'V8 block coverage of dist/src by area (bytes of code run at least once):');
      for (const [area, pct] of Object.entries(coverage)) lines.push(`  ${area.padEnd(26)} ${pct.toFixed(1)}%`);
    }
    for (const f of failures.slice(0, 50)) lines.push(`  ${f.kind} case ${f.case} ${f.target}: ${f.message.slice(0, 160)}${f.saved ? ` -> ${relative(process.cwd(), f.saved)}` : ''}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return failures.length ? 1 : 0;
}

interface V8Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

/** What a hung worker was doing: its answer to 'diag' (its event loop turned, so it was waiting on something), or none (it was busy). */
function hangState(w: WorkerState): string {
  return w.diag ? `the worker answered: ${w.diag}` : 'the worker did not answer (its event loop was blocked)';
}

/** Share of each area's code (dist/src/formats/<id>, dist/src/<dir>) that ran, from NODE_V8_COVERAGE files (merged over workers); bytes of the compiled JavaScript. */
function coverageByArea(dir: string): Record<string, number> {
  const srcRoot = join(ROOT, 'dist', 'src') + sep;
  const covered = new Map<string, Uint8Array>();
  // Every module counts, loaded or not (a module no case loaded is 0%).
  for (const e of readdirSync(srcRoot, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath ?? e.path, e.name);
    if (e.isFile() && e.name.endsWith('.js')) covered.set(path, new Uint8Array(readFileSync(path).length));
  }
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const data = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { result: { url: string; functions: { ranges: V8Range[] }[] }[] };
    for (const s of data.result) {
      if (!s.url.startsWith('file://')) continue;
      const path = fileURLToPath(s.url);
      if (!path.startsWith(srcRoot) || !existsSync(path)) continue;
      let bits = covered.get(path);
      if (!bits) covered.set(path, (bits = new Uint8Array(readFileSync(path).length)));
      // Inner ranges (blocks, nested functions) override outer ones: paint all of a script's ranges outermost first.
      const ranges = s.functions.flatMap((fn) => fn.ranges).sort((x, y) => x.startOffset - y.startOffset || y.endOffset - x.endOffset);
      const paint = new Uint8Array(bits.length);
      for (const r of ranges) paint.fill(r.count > 0 ? 1 : 0, r.startOffset, Math.min(r.endOffset, bits.length));
      for (let k = 0; k < bits.length; k++) bits[k] |= paint[k];
    }
  }
  const areas = new Map<string, { run: number; all: number }>();
  for (const [path, bits] of covered) {
    const parts = path.slice(srcRoot.length).split(sep);
    const area = parts[0] === 'formats' && parts.length > 2 ? `formats/${parts[1]}` : parts.length > 1 ? parts[0] : '(top)';
    const a = areas.get(area) ?? { run: 0, all: 0 };
    a.all += bits.length;
    for (const x of bits) a.run += x;
    areas.set(area, a);
  }
  return Object.fromEntries([...areas.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => [k, (100 * v.run) / Math.max(1, v.all)]));
}

async function cli(argv: string[]): Promise<number> {
  if (argv[0] === '--worker') {
    await worker(JSON.parse(argv[1]) as FuzzConfig);
    return -1;
  }
  const c = parseArgs(argv);
  if (c.list) {
    for (const t of await loadTargets({ corpus: c.corpus })) process.stdout.write(`${t.id}\t${t.format}\t${t.stages[t.stages.length - 1].length}\n`);
    return 0;
  }
  return supervise(c);
}

if (require.main === module) {
  cli(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (e: Error) => {
      process.stderr.write(`romscope fuzz: ${e.message}\n`);
      process.exitCode = 2;
    },
  );
}
