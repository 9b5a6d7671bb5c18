/**
 * Corpus: real Android sparse images from the shared corpus (device images,
 * AOSP avb test data, kaitai and binaryanalysis-ng samples) decode without
 * errors, and expand to exactly what simg2img writes. The corpus is never
 * copied into the project; tests skip visibly when it is absent.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, extract } from '../../src/index';
import { CORPUS, corpusFile, hasTool, runTool, tempDir, ofFormat } from '../helpers';
import { describe, errors } from '../interop/util';

const DIR = 'android-sparse';
/** The files MANIFEST.tsv lists today; the directory's own listing is used when it exists, so new files are covered too. */
const KNOWN = ['avb_test_file.bin.sparse', 'bang_zero-one.img', 'kaitai_extended-headers.img', 'kaitai_fill-4k-zeros.img', 'rmx3357_cache.img'];
const NAMES = existsSync(join(CORPUS, DIR)) ? readdirSync(join(CORPUS, DIR)).sort() : KNOWN;

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

/** path → { size, sha256 } from MANIFEST.tsv (header line names the columns). */
function manifest(): Map<string, { size: number; sha256: string }> {
  const lines = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const head = lines[0].split('\t');
  const [p, s, h] = ['path', 'size', 'sha256'].map((n) => head.indexOf(n));
  return new Map(
    lines
      .slice(1)
      .map((l) => l.split('\t'))
      .map((c) => [c[p], { size: Number(c[s]), sha256: c[h] }]),
  );
}

/** What simg2img expands `file` to: size and sha256, computed on disk and removed straight after. */
async function reference(t: TestContext, file: string): Promise<{ size: number; sha256: string }> {
  const out = join(tempDir(t), 'out.raw');
  try {
    runTool('simg2img', [file, out]);
    return { size: statSync(out).size, sha256: await sha256File(out) };
  } finally {
    rmSync(out, { force: true });
  }
}

for (const name of NAMES) {
  test(`corpus ${DIR}/${name}: no errors; raw child equals simg2img output`, async (t) => {
    const path = corpusFile(t, `${DIR}/${name}`);
    if (!path) return;
    const r = await inspect(path);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.equal(r.root.format, 'android-sparse');
    const row = manifest().get(`${DIR}/${name}`);
    if (row) {
      assert.equal(r.root.size, row.size, 'size recorded in MANIFEST.tsv');
      assert.equal(r.root.hashes.sha256, row.sha256, 'sha256 recorded in MANIFEST.tsv');
    }
    const info = r.root.info as { blockSize: number; totalBlocks: number; expandedSize: number; chunks: Record<string, number>; dataBytes: number; fillBytes: number; holeBytes: number };
    assert.equal(info.expandedSize, info.totalBlocks * info.blockSize);
    const { total, raw: nRaw, fill, dontCare, crc32 } = info.chunks;
    assert.equal(nRaw + fill + dontCare + crc32, total);
    assert.equal(info.dataBytes + info.fillBytes + info.holeBytes, info.expandedSize);

    assert.equal(r.root.children.length, 1);
    const raw = r.root.children[0];
    assert.equal(raw.path, 'raw');
    assert.equal(raw.size, info.expandedSize);
    assert.ok(raw.hashes.sha256, 'the expanded image is hashed');

    if (!hasTool('simg2img')) {
      t.diagnostic('simg2img not installed: expanded digest not compared with the reference');
      return;
    }
    const ref = await reference(t, path);
    assert.equal(raw.size, ref.size, 'expanded size vs simg2img');
    assert.equal(raw.hashes.sha256, ref.sha256, 'expanded sha256 vs simg2img');

    const out = join(tempDir(t), 'x');
    mkdirSync(out);
    try {
      const res = await extract(path, 'raw', out);
      assert.equal(res.bytes, ref.size);
      assert.equal(res.hashes.sha256, ref.sha256);
      assert.equal(await sha256File(res.output), ref.sha256, 'extracted file vs simg2img');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test(`corpus ${DIR}/kaitai_extended-headers.img: 32-byte file and 16-byte chunk headers, CRC32 chunk verified`, async (t) => {
  const path = corpusFile(t, `${DIR}/kaitai_extended-headers.img`);
  if (!path) return;
  const r = await inspect(path);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.deepEqual(ofFormat(r.root, 'android-sparse').info.headerSizes, { file: 32, chunk: 16 });
  assert.equal((ofFormat(r.root, 'android-sparse').info.chunks as { crc32: number }).crc32, 1);
  assert.equal(r.summary.integrity.status, 'verified');
  assert.equal(r.summary.integrity.checks, 1);
});

test(`corpus ${DIR}/rmx3357_cache.img: 68 KiB of data expands to 432 MiB, almost all holes`, async (t) => {
  const path = corpusFile(t, `${DIR}/rmx3357_cache.img`);
  if (!path) return;
  const r = await inspect(path);
  assert.equal(ofFormat(r.root, 'android-sparse').info.expandedSize, 432 * 1024 * 1024);
  assert.ok((ofFormat(r.root, 'android-sparse').info.holeBytes as number) > 400 * 1024 * 1024);
  assert.ok((ofFormat(r.root, 'android-sparse').info.chunks as { dontCare: number }).dontCare > 0);
});
