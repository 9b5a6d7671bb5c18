/**
 * Corpus: real Samsung (SM-A057F) `.img.lz4` files from the shared corpus
 * decode to the images whose sha256 MANIFEST.tsv records. The corpus is never
 * copied into the project; tests skip visibly when it is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { CORPUS, corpusFile } from '../helpers';
import { describe, errors } from '../interop/util';

interface ManifestRow {
  path: string;
  format: string;
  size: number;
  sha256: string;
}

/** MANIFEST.tsv: header line, then path, format, size, sha256, source columns. */
function manifest(): Map<string, ManifestRow> {
  const lines = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const head = lines[0].split('\t');
  const col = (n: string) => {
    const i = head.indexOf(n);
    assert.ok(i >= 0, `MANIFEST.tsv has no "${n}" column`);
    return i;
  };
  const [p, f, s, h] = [col('path'), col('format'), col('size'), col('sha256')];
  const rows = new Map<string, ManifestRow>();
  for (const line of lines.slice(1)) {
    const c = line.split('\t');
    rows.set(c[p], { path: c[p], format: c[f], size: Number(c[s]), sha256: c[h] });
  }
  return rows;
}

const CASES = [
  { file: 'samsung-lz4/a057f_init_boot.img.lz4', decoded: 'boot-img/a057f_init_boot.img', child: 'a057f_init_boot.img' },
  { file: 'samsung-lz4/a057f_vbmeta.img.lz4', decoded: 'vbmeta/a057f_vbmeta.img', child: 'a057f_vbmeta.img' },
];

for (const c of CASES) {
  test(`corpus ${c.file}: no errors, LZ4 frame, decodes to the manifest's ${c.decoded}`, async (t) => {
    const path = corpusFile(t, c.file);
    if (!path) return;
    const rows = manifest();
    const packed = rows.get(c.file);
    const want = rows.get(c.decoded);
    assert.ok(packed, `MANIFEST.tsv lists ${c.file}`);
    assert.ok(want, `MANIFEST.tsv lists ${c.decoded}`);

    const r = await inspect(path);
    assert.deepEqual(errors(r), [], describe(r.findings));
    assert.equal(r.root.format, 'lz4');
    assert.equal(r.root.info.variant, 'frame');
    // The compressed file is the one the manifest describes.
    assert.equal(r.root.size, packed.size);
    assert.equal(r.root.hashes.sha256, packed.sha256);

    assert.equal(r.root.children.length, 1);
    const child = r.root.children[0];
    assert.equal(child.name, c.child);
    assert.equal(child.size, want.size, 'decoded size');
    assert.equal(child.hashes.sha256, want.sha256, 'decoded sha256');
    assert.equal(r.root.info.decodedSize, want.size);
  });
}
