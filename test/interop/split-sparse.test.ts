/**
 * Split sparse images made by libsparse's own resparse (`simg2simg`) join to
 * exactly what `simg2img piece.0 piece.1 ... out` writes, inside a zip
 * stored or deflated, and extract byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { extract } from '../../src/pipeline/extract';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runTool, tempDir } from '../helpers';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function rawImage(): Buffer {
  // 6 MiB: random runs, zero runs and a 4-byte pattern run, so img2simg makes RAW, DONT_CARE and FILL chunks.
  const parts: Buffer[] = [];
  for (let i = 0; i < 12; i++) {
    if (i % 3 === 0) parts.push(Buffer.alloc(512 * 1024));
    else if (i % 3 === 1) parts.push(pseudoRandom(512 * 1024, i + 1));
    else parts.push(Buffer.alloc(512 * 1024, Buffer.from([0xde, 0xad, 0xbe, 0xef])));
  }
  return Buffer.concat(parts);
}

for (const method of ['-0', '-6']) {
  test(`simg2simg pieces in a zip (${method}) join to simg2img's output`, async (t) => {
    if (!requireTools(t, 'img2simg', 'simg2simg', 'simg2img', 'zip')) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'raw.img'), rawImage());
    runTool('img2simg', [join(dir, 'raw.img'), join(dir, 'super.sparse')]);
    runTool('simg2simg', [join(dir, 'super.sparse'), join(dir, 'piece'), String(1024 * 1024)]);
    const pieces = readdirSync(dir)
      .filter((n) => /^piece\.\d+$/.test(n))
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    assert.ok(pieces.length >= 3, `simg2simg made ${pieces.length} pieces`);
    runTool('simg2img', [...pieces.map((p) => join(dir, p)), join(dir, 'joined.raw')]);
    const reference = readFileSync(join(dir, 'joined.raw'));
    const names = pieces.map((p) => `super.img_sparsechunk.${p.split('.')[1]}`);
    pieces.forEach((p, i) => renameSync(join(dir, p), join(dir, names[i])));
    runTool('zip', ['-q', method, 'moto.zip', ...names], { cwd: dir });
    const r = await inspect(join(dir, 'moto.zip'));
    assert.deepEqual(r.findings, []);
    const joined = r.root.children.find((c) => c.name === 'super.img');
    assert.ok(joined, 'joined artifact super.img');
    assert.equal(joined.size, reference.length);
    assert.equal(joined.hashes.sha256, sha256(reference));
    assert.deepEqual(joined.info.joinedFrom, names);
    const out = join(dir, 'out');
    require('node:fs').mkdirSync(out);
    const x = await extract(join(dir, 'moto.zip'), 'super.img', out);
    assert.ok(readFileSync(x.output).equals(reference));
  });
}
