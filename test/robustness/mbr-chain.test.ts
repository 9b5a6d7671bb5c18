/**
 * MBR extended partitions whose chain of extended boot records (EBRs) is
 * built here: a normal chain of several logical partitions reads as
 * util-linux `sfdisk --dump` reads the same image; a chain that points at
 * itself, loops back into the middle, or runs for 10,000 links is a finding,
 * read in a child process under the same bounds as the fuzz reproducers
 * (fuzz-crashers.test.ts): a normal report in under 10 s of CPU and 400 MiB.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { buildMbrDisk } from '../../fixtures/builders/gpt';
import { requireTools, runTool, tempDir } from '../helpers';
import { runCliMeasured } from '../measured-cli';

// Debian installs sfdisk in /usr/sbin, which a normal user's PATH lacks.
process.env.PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;

const CPU_LIMIT_MS = 10_000;
const RSS_LIMIT = 400 * 1024 * 1024;
const EXT_START = 4096;

interface Row {
  number: number;
  start: number;
  size: number;
  type: number;
}

/** `sfdisk --dump IMG` rows: `IMGn : start=S, size=N, type=T`. */
function sfdiskDump(file: string): Row[] {
  const out = runTool('sfdisk', ['--dump', file]).stdout.toString();
  const rows: Row[] = [];
  for (const line of out.split('\n')) {
    const m = /(\d+) : start=\s*(\d+), size=\s*(\d+), type=([0-9a-f]+)/.exec(line);
    if (m) rows.push({ number: Number(m[1]), start: Number(m[2]), size: Number(m[3]), type: parseInt(m[4], 16) });
  }
  return rows;
}

type Partitions = { number: number; kind: string; type: string; startLba: number; sectors: number }[];

/** Logical partitions one after another, each behind its EBR after a gap of `gaps[i]` sectors (the first EBR at the extended partition's start). */
function chain(types: number[], sizes: number[], gaps: number[]) {
  const logicals: { type: number; startLba: number; sectors: number; ebrLba: number }[] = [];
  let ebr = EXT_START;
  types.forEach((type, i) => {
    const startLba = ebr + gaps[i];
    logicals.push({ type, startLba, sectors: sizes[i], ebrLba: ebr });
    ebr = startLba + sizes[i];
  });
  return { logicals, end: ebr };
}

test('a chain of five logical partitions built here reads as sfdisk --dump reads it (start, size, type)', async (t) => {
  if (!requireTools(t, 'sfdisk')) return;
  // Gaps as sfdisk leaves them (2048 sectors), and the 1- and 63-sector gaps of older tools.
  const { logicals, end } = chain([0x83, 0x0c, 0x82, 0x07, 0x8e], [3000, 1500, 700, 2222, 64], [2048, 1, 63, 2048, 2]);
  const extSectors = end - EXT_START + 100;
  const disk = buildMbrDisk(
    [
      { type: 0x83, startLba: 2048, sectors: 2000, boot: true },
      { type: 0x05, startLba: EXT_START, sectors: extSectors },
    ],
    logicals,
    { sectors: EXT_START + extSectors + 16 },
  );
  const file = join(tempDir(t), 'sd.img');
  writeFileSync(file, disk);
  const ref = sfdiskDump(file);
  assert.equal(ref.filter((r) => r.number >= 5).length, 5, `premise: sfdisk reads five logical partitions: ${JSON.stringify(ref)}`);
  const r = await inspect(file);
  assert.equal(r.root.format, 'mbr');
  assert.deepEqual(
    r.findings.filter((f) => f.severity === 'error'),
    [],
  );
  const parts = r.root.info.partitions as Partitions;
  assert.deepEqual(
    parts.map((p) => ({ number: p.number, start: p.startLba, size: p.sectors, type: parseInt(p.type, 16) })),
    ref,
  );
  // Each logical partition is a child holding its own bytes.
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  for (const p of parts.filter((x) => x.kind === 'logical')) {
    const c = r.root.children.find((x) => x.name === `partition${p.number}`);
    assert.ok(c, `partition${p.number}`);
    assert.equal(c.hashes.sha256, sha(disk.subarray(p.startLba * 512, (p.startLba + p.sectors) * 512)));
  }
});

/** The CLI on `file` in a child under the fuzz reproducers' bounds; returns its JSON report. */
async function checkBounded(t: TestContext, file: string) {
  const r = await runCliMeasured(['check', file, '--json'], { heapMiB: 384, timeoutMs: 60_000 });
  const where = `exit ${r.code}, ${Math.round(r.cpuMs)} ms CPU, ${Math.round(r.maxRss / 2 ** 20)} MiB; ${r.stderr.slice(0, 300)}`;
  t.diagnostic(where);
  assert.ok(r.code === 0 || r.code === 1, where);
  assert.ok(r.cpuMs < CPU_LIMIT_MS, where);
  assert.ok(r.maxRss < RSS_LIMIT, where);
  return JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[]; root: { info: { partitions: Partitions } } };
}

/**
 * What sfdisk reads of the same chain: libfdisk follows a looping chain
 * until its own limit of logical partitions, listing the looped ones again,
 * and stops a long chain there without a word. Where both lists go,
 * romscope's logical partitions are sfdisk's; returns sfdisk's.
 */
function agreesWithSfdisk(t: TestContext, file: string, ours: Partitions): Row[] {
  if (!requireTools(t, 'sfdisk')) return [];
  const ref = sfdiskDump(file).filter((r) => r.number >= 5);
  const n = Math.min(ref.length, ours.length);
  assert.ok(n > 0, 'premise: sfdisk reads logical partitions');
  assert.deepEqual(
    ours.slice(0, n).map((p) => ({ number: p.number, start: p.startLba, size: p.sectors, type: parseInt(p.type, 16) })),
    ref.slice(0, n),
  );
  return ref;
}

const logical = (report: { root: { info: { partitions: Partitions } } }) => report.root.info.partitions.filter((p) => p.kind === 'logical');

function extDisk(logicals: ReturnType<typeof chain>['logicals'], end: number, links: (number | null | undefined)[]): Buffer {
  const extSectors = end - EXT_START + 8;
  return buildMbrDisk([{ type: 0x05, startLba: EXT_START, sectors: extSectors }], logicals, { sectors: EXT_START + extSectors + 8, links });
}

test('an EBR that links to itself: a layout-invalid finding, its one logical partition listed, bounded', async (t) => {
  const { logicals, end } = chain([0x83], [100], [1]);
  const file = join(tempDir(t), 'self.img');
  writeFileSync(file, extDisk(logicals, end, [EXT_START]));
  const report = await checkBounded(t, file);
  assert.ok(
    report.findings.some((f) => f.ruleId === 'format/layout-invalid' && f.message.includes(`loops back to LBA ${EXT_START}`)),
    JSON.stringify(report.findings),
  );
  assert.deepEqual(
    logical(report).map((p) => [p.number, p.startLba]),
    [[5, EXT_START + 1]],
  );
  const ref = agreesWithSfdisk(t, file, logical(report));
  // sfdisk lists the one partition again and again.
  if (ref.length) assert.ok(ref.length > 1 && ref.every((r) => r.start === EXT_START + 1), JSON.stringify(ref.slice(0, 3)));
});

test('an EBR chain that loops back into its middle: a layout-invalid finding, each logical partition listed once, bounded', async (t) => {
  const { logicals, end } = chain([0x83, 0x83, 0x0c, 0x07], [50, 60, 70, 80], [1, 2, 3, 4]);
  const file = join(tempDir(t), 'loop.img');
  // The fourth EBR links back to the second.
  writeFileSync(file, extDisk(logicals, end, [undefined, undefined, undefined, logicals[1].ebrLba]));
  const report = await checkBounded(t, file);
  assert.ok(
    report.findings.some((f) => f.ruleId === 'format/layout-invalid' && f.message.includes(`loops back to LBA ${logicals[1].ebrLba}`)),
    JSON.stringify(report.findings),
  );
  assert.deepEqual(
    logical(report).map((p) => [p.number, p.startLba, p.sectors]),
    logicals.map((l, i) => [5 + i, l.startLba, l.sectors]),
  );
  const ref = agreesWithSfdisk(t, file, logical(report));
  // sfdisk goes round the loop: its fifth logical partition is the second again.
  if (ref.length) assert.equal(ref[4]?.start, logicals[1].startLba);
});

test('an EBR chain of 10,000 links: read up to the cap with a layout-invalid finding, bounded', async (t) => {
  const n = 10_000;
  const { logicals, end } = chain(Array<number>(n).fill(0x83), Array<number>(n).fill(1), Array<number>(n).fill(1));
  const file = join(tempDir(t), 'long.img');
  writeFileSync(file, extDisk(logicals, end, []));
  const report = await checkBounded(t, file);
  assert.ok(
    report.findings.some((f) => f.ruleId === 'format/layout-invalid' && /EBR chain is longer than 128 links/.test(f.message)),
    JSON.stringify(report.findings.slice(0, 5)),
  );
  assert.equal(logical(report).length, 128);
  agreesWithSfdisk(t, file, logical(report));
});
