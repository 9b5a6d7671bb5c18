/**
 * The fuzz harness never fails to generate a case: when a builder cannot
 * wrap a damaged inner layer (an OTA zip builder reading a payload cut
 * inside its header threw, and took a worker and then the supervisor of the
 * seed 20261206 run down with it), the case damages the outer layer instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCase } from '../../fuzz/case';
import type { Target } from '../../fuzz/targets';

test('fuzz: a layer whose builder throws on a damaged inner stage still gives a case, every time', async () => {
  const inner = Buffer.alloc(64, 7);
  const outer = Buffer.concat([Buffer.from('OUTER'), inner]);
  const target: Target = {
    id: 'test:throwing',
    format: 'nested',
    name: 'x.bin',
    stages: [inner, outer],
    layers: [
      {
        name: 'picky',
        wrap: (b) => {
          if (!b.equals(inner)) throw new RangeError('The value of "offset" is out of range');
          return outer;
        },
      },
    ],
    hot: [[0], [0]],
  };
  let rebuilt = 0;
  for (let n = 0; n < 200; n++) {
    const c = await generateCase(1, n, target, []);
    assert.ok(Buffer.isBuffer(c.bytes));
    if (/rebuilding over a damaged picky failed/.test(c.how)) rebuilt++;
  }
  // About half the cases damage the inner layer, and this builder refuses all of those.
  assert.ok(rebuilt > 50, `${rebuilt}`);
});
