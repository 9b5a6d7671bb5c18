/**
 * Bad input is normal input, format by format: well-formed packages and
 * images from the project's builders, damaged the ways downloads and hostile
 * uploads are (cut short, bits flipped, bytes overwritten, length and count
 * fields set to 0, 1, 2^31 and 2^32 - 2), must each give a report: no throw,
 * no internal error, no stack trace in a message. The mutations come from a
 * fixed seed, so a failure names a case that can be run again. The seeds,
 * one or more per format, are in ./seeds.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { formatSeeds } from './seeds';
import { tempDir } from '../helpers';

const MUTATIONS_PER_SEED = 24;

/** A small deterministic generator (LCG) so every case can be replayed from its index. */
function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
}

const FIELD_VALUES = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe];

function mutate(seed: Buffer, r: (n: number) => number): { bytes: Buffer; how: string } {
  const s = Buffer.from(seed);
  switch (r(5)) {
    case 0: {
      const at = r(s.length);
      return { bytes: s.subarray(0, at), how: `cut at ${at}` };
    }
    case 1: {
      const flips: number[] = [];
      for (let k = 1 + r(8); k > 0; k--) {
        const at = r(s.length);
        s[at] ^= 1 << r(8);
        flips.push(at);
      }
      return { bytes: s, how: `bits flipped at ${flips.join(',')}` };
    }
    case 2: {
      const at = r(Math.min(4096, s.length));
      for (let k = 0; k < 8 && at + k < s.length; k++) s[at + k] = r(2) ? 0xff : r(256);
      return { bytes: s, how: `8 bytes overwritten at ${at}` };
    }
    default: {
      // Headers are at the front: most field overwrites land there.
      const at = r(4) ? r(Math.max(1, Math.min(4096, s.length - 4))) : r(Math.max(1, s.length - 4));
      const v = FIELD_VALUES[r(FIELD_VALUES.length)];
      if (r(2)) s.writeUInt32LE(v, at);
      else s.writeUInt32BE(v, at);
      return { bytes: s, how: `u32 ${v} written at ${at}` };
    }
  }
}

test('damaged images and packages of every format give a report, never a throw or an internal error', async (t) => {
  const dir = tempDir(t);
  const all = await formatSeeds();
  const r = lcg(0x5eed);
  let n = 0;
  for (const [si, seed] of all.entries()) {
    for (let k = 0; k < MUTATIONS_PER_SEED; k++, n++) {
      const { bytes, how } = mutate(seed.data, r);
      const what = `case ${n}: ${seed.name} (seed ${si}), ${how}`;
      // Each case in its own folder, under the seed's own file name (name hints count).
      mkdirSync(join(dir, String(n)));
      const file = join(dir, String(n), basename(seed.name));
      writeFileSync(file, bytes);
      const report = await inspect(file, { sidecars: false }).catch((e: Error) => assert.fail(`${what}: threw ${e?.stack ?? e}`));
      assert.equal(report.root.path, '', what);
      assert.equal(report.input.size, bytes.length, what);
      for (const f of report.findings) assert.doesNotMatch(f.message, /internal error|\n\s+at /, `${what}: ${f.ruleId}: ${f.message}`);
    }
  }
  assert.equal(n, all.length * MUTATIONS_PER_SEED);
});
