/**
 * The FEC encoder (src/crypto/fec.ts) adds blocks' contributions to the
 * parity in any order through per-position tables; here every codeword is
 * encoded the textbook way instead (the LFSR division by the generator,
 * codeword by codeword, bytes gathered by the interleaving) and the two
 * must agree, for 2 roots (the 32-bit path, blocks at any alignment and in
 * any order) and other root counts. veritysetup checks the same bytes in
 * test/interop/payload-verity.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FecEncoder, fecSize } from '../../src/crypto/fec';
import { ThreadedFec } from '../../src/crypto/fec-thread';
import { tempDir } from '../helpers';
import { pseudoRandom } from '../../fixtures/builders/data';

function gfTables(): { exp: number[]; log: number[] } {
  const exp: number[] = [];
  const log: number[] = new Array(256).fill(0);
  let x = 1;
  for (let i = 0; i < 255; i++) {
    exp[i] = x;
    log[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return { exp, log };
}

/** Codeword by codeword: the remainder of msg(x) * x^roots by prod (x - a^i). */
function reference(data: Buffer, bs: number, roots: number): Buffer {
  const { exp, log } = gfTables();
  const mul = (a: number, b: number) => (a && b ? exp[(log[a] + log[b]) % 255] : 0);
  let g = [1];
  for (let i = 0; i < roots; i++) {
    const n = new Array(g.length + 1).fill(0);
    g.forEach((c, k) => {
      n[k] ^= c;
      n[k + 1] ^= mul(c, exp[i]);
    });
    g = n;
  }
  const rsn = 255 - roots;
  const rounds = Math.ceil(data.length / bs / rsn);
  const out = Buffer.alloc(rounds * roots * bs);
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < bs; k++) {
      const r = new Array(roots).fill(0);
      for (let j = 0; j < rsn; j++) {
        const off = (i + j * rounds) * bs + k;
        const fb = (off < data.length ? data[off] : 0) ^ r[0];
        r.shift();
        r.push(0);
        if (fb) for (let q = 0; q < roots; q++) r[q] ^= mul(fb, g[q + 1]);
      }
      r.forEach((v, q) => (out[(i * bs + k) * roots + q] = v));
    }
  }
  return out;
}

for (const roots of [2, 3, 16]) {
  test(`FEC with ${roots} roots matches codeword-by-codeword encoding, blocks in any order and at any alignment`, () => {
    const bs = 512;
    const blocks = 300; // two rounds when 253 data bytes per codeword
    const data = pseudoRandom(blocks * bs, roots);
    data.fill(0, 40 * bs, 60 * bs); // zero blocks can be left out
    const want = reference(data, bs, roots);
    assert.equal(want.length, fecSize(data.length, bs, roots));
    const enc = new FecEncoder(data.length, bs, roots);
    const odd = Buffer.alloc(bs + 3);
    for (let b = blocks - 1; b >= 0; b--) {
      if (b >= 40 && b < 60) continue;
      const blk = data.subarray(b * bs, (b + 1) * bs);
      if (b % 3 === 0) {
        // At an odd byte offset: read through the aligned copy.
        blk.copy(odd, 1);
        enc.addBlock(b, odd.subarray(1, 1 + bs));
      } else enc.addBlock(b, blk);
    }
    assert.ok(Buffer.from(enc.parity).equals(want), `${roots} roots: parity differs`);
  });
}

for (const [name, script] of [
  ['on its worker thread', undefined],
  ['in this thread (no worker script)', '/nonexistent/fec-worker.js'],
  ['in this thread after a worker that fails to start', 'THROWS'],
] as const) {
  test(`threaded FEC ${name} gives the same parity, waiting when the worker is behind`, async (t) => {
    const bs = 4096;
    const blocks = 3000; // 12 MiB: more batches than may be in flight
    const data = pseudoRandom(blocks * bs, 11);
    const want = new FecEncoder(data.length, bs, 2);
    for (let b = 0; b < blocks; b++) want.addBlock(b, data.subarray(b * bs, (b + 1) * bs));
    let path: string | undefined = script;
    if (script === 'THROWS') {
      path = join(tempDir(t), 'broken-worker.js');
      writeFileSync(path, 'throw new Error("cannot start");\n');
    }
    const fec = new ThreadedFec(data.length, bs, 2, path);
    let waited = 0;
    for (let b = 0; b < blocks; b++) {
      const wait = fec.add(b, data.subarray(b * bs, (b + 1) * bs));
      if (wait) {
        waited++;
        await wait;
      }
    }
    const got = await fec.finish();
    assert.ok(Buffer.from(got).equals(Buffer.from(want.parity)), 'parity differs');
    if (script === undefined) assert.ok(waited > 0, 'never waited for the worker');
  });
}
