/**
 * The memory budget for decoder state (Budget.chargeMemory, --max-memory):
 * a structure over a small configured budget is a `budget` finding on the
 * container whose decoder hit it (never a throw), the container is still
 * hashed, what the decoder charged is released, and the walk goes on with
 * the rest of the package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { walkArtifacts, type Artifact } from '../../src/report/model';
import { Budget, DEFAULT_MAX_MEMORY_BYTES, defaultBudget, memberMemory } from '../../src/io/limits';
import { BudgetError, MemoryBudgetError } from '../../src/io/errors';
import { spillToRandom } from '../../src/io/spill';
import { buildZip } from '../../fixtures/builders/zip';
import { buildTar } from '../../fixtures/builders/tar';
import { encodeManifest, payloadHeader, OP } from '../../fixtures/builders/payload';
import { tempDir } from '../helpers';

const files = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}.txt`, data: Buffer.from([i & 0xff]) }));

test('Budget: charges add up, a charge over the cap throws MemoryBudgetError and is not counted, a scope releases what was charged in it', () => {
  const b = new Budget({ ...defaultBudget(0), maxMemoryBytes: 1000 });
  const close = b.memoryScope();
  b.chargeMemory(600, 'a table');
  const inner = b.memoryScope();
  b.chargeMemory(300, 'a list');
  assert.equal(b.memory, 900);
  assert.throws(
    () => b.chargeMemory(200, 'the zip central directory'),
    (e: unknown) => e instanceof MemoryBudgetError && e instanceof BudgetError && /memory budget reached: the zip central directory .*1000 bytes.*--max-memory/.test(e.message),
  );
  assert.equal(b.memory, 900);
  assert.ok(b.memoryFits(100) && !b.memoryFits(101));
  inner();
  assert.equal(b.memory, 600);
  b.releaseMemory(100);
  assert.equal(b.memory, 500);
  close();
  assert.equal(b.memory, 0);
  assert.equal(b.memoryPeak, 900);
  assert.equal(new Budget(defaultBudget(0)).maxMemory, DEFAULT_MAX_MEMORY_BYTES);
});

test('a spill that does not fit the memory budget goes to the temp file; one that fits is charged until released', async (t) => {
  const dir = tempDir(t);
  const chunks = async function* () {
    for (let i = 0; i < 4; i++) yield Buffer.alloc(1000, i);
  };
  const small = new Budget({ ...defaultBudget(0), maxMemoryBytes: 2500 });
  const s1 = await spillToRandom(chunks(), 'x', { memoryCap: 1 << 20, tempDir: dir, budget: small });
  assert.equal(s1.where, 'tempfile');
  assert.equal(small.memory, 0);
  await s1.release();
  const large = new Budget({ ...defaultBudget(0), maxMemoryBytes: 10_000 });
  const s2 = await spillToRandom(chunks(), 'x', { memoryCap: 1 << 20, tempDir: dir, budget: large });
  assert.equal(s2.where, 'memory');
  assert.equal(large.memory, 4000);
  await s2.release();
  assert.equal(large.memory, 0);
});

test('spillToRandom: a stream that declares more than the memory cap goes to the temp file from its first byte; a lying hint loses no byte', async (t) => {
  const dir = tempDir(t);
  let held = -1;
  const chunks = async function* (n: number) {
    for (let i = 0; i < n; i++) yield Buffer.alloc(1000, i);
  };
  const budget = new Budget({ ...defaultBudget(0), maxMemoryBytes: 1 << 20 });
  // What the budget holds while the first chunk is on its way: nothing, when the hint says the stream is too large.
  const watched = async function* () {
    for await (const c of chunks(4)) {
      yield c;
      held = Math.max(held, budget.memory);
    }
  };
  const big = await spillToRandom(watched(), 'x', { memoryCap: 2500, sizeHint: 4000, tempDir: dir, budget });
  assert.equal(big.where, 'tempfile');
  assert.equal(held, 0, 'nothing was kept in memory first');
  assert.deepEqual([...(await big.source.read(2990, 20))], [...Array(10).fill(2), ...Array(10).fill(3)].slice(0, 20));
  await big.release();
  // A hint within the cap, or none, keeps a small stream in memory as before.
  for (const sizeHint of [2000, null, undefined]) {
    const s = await spillToRandom(chunks(2), 'x', { memoryCap: 2500, sizeHint, tempDir: dir, budget });
    assert.equal(s.where, 'memory');
    await s.release();
  }
  // A hint that lies low: the stream is spilled whole anyway, to the file once past the cap.
  const lying = await spillToRandom(chunks(5), 'x', { memoryCap: 2500, sizeHint: 10, tempDir: dir, budget });
  assert.equal(lying.where, 'tempfile');
  assert.equal(lying.bytes, 5000);
  assert.equal((await lying.source.read(4999, 1))[0], 4);
  await lying.release();
});

function find(root: Artifact, path: string): Artifact {
  for (const a of walkArtifacts(root)) if (a.path === path) return a;
  throw new Error(`no artifact ${path}`);
}

test('a zip central directory over a small --max-memory: a budget finding on that zip, which is still hashed; its siblings are read', async (t) => {
  const big = buildZip(files(60, 'big-'));
  const after = buildZip(files(3, 'small-'));
  const tar = buildTar(files(3, 't-'));
  const pkg = buildZip([
    { name: 'big.zip', data: big },
    { name: 'after.zip', data: after },
    { name: 'more.tar', data: tar },
  ]);
  const file = join(tempDir(t), 'pkg.zip');
  writeFileSync(file, pkg);
  // Room for the outer zip and the small ones, not for 60 members at once.
  const budget = memberMemory('big-00.txt') * 20;
  const r = await inspect(file, { budget: { maxMemoryBytes: budget } });
  const bigArt = find(r.root, 'big.zip');
  const f = r.findings.find((x) => x.ruleId === 'format/budget-exceeded');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.path, 'big.zip');
  assert.match(f.message, /memory budget reached: the zip central directory \(\d+ entries read\) would take more than the \d+ bytes .*--max-memory/);
  assert.equal(bigArt.children.length, 0);
  assert.equal(bigArt.hashes.sha256, createHash('sha256').update(big).digest('hex'));
  assert.equal(find(r.root, 'after.zip').children.length, 3);
  assert.equal(find(r.root, 'more.tar').children.length, 3);
  // Under the default budget nothing is stopped.
  const ok = await inspect(file);
  assert.equal(ok.findings.filter((x) => x.ruleId === 'format/budget-exceeded').length, 0);
  assert.equal(find(ok.root, 'big.zip').children.length, 60);
});

test('a payload manifest with more operations than a small --max-memory holds: a budget finding, not a payload-invalid one or a throw', async (t) => {
  const man = encodeManifest({ partitions: [{ name: 'system', newSize: 4096 * 64, operations: Array.from({ length: 64 }, (_, i) => ({ type: OP.ZERO, dst: [{ start: i, blocks: 1 }] })) }] });
  const file = join(tempDir(t), 'payload.bin');
  writeFileSync(file, Buffer.concat([payloadHeader(man.length, 0), man]));
  const r = await inspect(file, { budget: { maxMemoryBytes: man.length + 20 * 640 } });
  const f = r.findings.filter((x) => x.ruleId === 'format/budget-exceeded');
  assert.equal(f.length, 1, JSON.stringify(r.findings));
  assert.match(f[0].message, /memory budget reached: the payload manifest's operations \(\d+ read\)/);
  assert.equal(r.root.children.length, 0);
  const ok = await inspect(file);
  assert.equal(ok.findings.filter((x) => x.ruleId === 'format/budget-exceeded').length, 0);
  assert.equal(ok.root.children.length, 1);
});
