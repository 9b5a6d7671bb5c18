/**
 * A member that starts where its container starts and is read as that
 * container again (a table entry pointing at the table itself) is a loop:
 * the walk opens it once, not at every level (fuzz seed 20261205, cases
 * 29727, 69583 and 74353: a Rockchip loader whose entries cover the whole
 * file made 100,000 artifacts, 30 s of CPU and 2 GB of memory).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { walkArtifacts } from '../../src/report/model';
import { buildRkLoader } from '../../fixtures/builders/vendor';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';

function selfPointingLoader(sizes: (n: number) => number[]): Buffer {
  const b = buildRkLoader({
    e471: [{ name: 'ddr.bin', data: pseudoRandom(200, 1) }],
    e472: [{ name: 'usbplug.bin', data: pseudoRandom(150, 2) }],
    loader: [{ name: 'FlashBoot', data: pseudoRandom(100, 3) }],
  });
  const wanted = sizes(b.length);
  // Entries follow the 102-byte header, 57 bytes each: data offset at +45, size at +49.
  wanted.forEach((size, i) => {
    b.writeUInt32LE(0, 102 + i * 57 + 45);
    b.writeUInt32LE(size, 102 + i * 57 + 49);
  });
  return b;
}

for (const [what, sizes] of [
  ['every entry is the whole file', (n: number) => [n, n, n]],
  ['entries from byte 0, each a little shorter', (n: number) => [n, n - 1, n - 5]],
  ['entries from byte 0 running past the end', (n: number) => [0xffffffff, n + 100, n]],
] as const) {
  test(`walk: a container whose members start at its own first byte is not reopened (${what})`, async (t) => {
    const dir = tempDir(t);
    const p = join(dir, 'MiniLoaderAll.bin');
    writeFileSync(p, selfPointingLoader(sizes));
    const r = await inspect(p, { sidecars: false });
    const all = [...walkArtifacts(r.root)];
    assert.equal(r.root.format, 'rockchip-loader');
    // The root and its three entries, each read as a loader once and not opened.
    assert.equal(all.length, 4, all.map((a) => a.path).join('\n'));
    for (const c of r.root.children) assert.equal(c.children.length, 0, c.path);
    const loops = r.findings.filter((f) => f.ruleId === 'format/unreadable' && /a loop/.test(f.message));
    assert.equal(loops.length, 3, JSON.stringify(r.findings, null, 1));
  });
}
