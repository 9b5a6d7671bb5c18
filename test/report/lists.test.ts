import { test } from 'node:test';
import assert from 'node:assert/strict';
import { andMore, firstN } from '../../src/report/lists';

test('lists: firstN keeps short lists and counts what it leaves out', () => {
  const rest = (n: number) => `${n} more`;
  assert.deepEqual(firstN(['a', 'b'], 2, rest), ['a', 'b']);
  assert.deepEqual(firstN(['a', 'b', 'c', 'd'], 2, rest), ['a', 'b', '2 more']);
  assert.deepEqual(firstN([], 0, rest), []);
});

test('lists: andMore', () => {
  assert.equal(andMore(1, 1), '');
  assert.equal(andMore(3, 1), ' (and 2 more)');
  assert.equal(andMore(2, 1, 'failed check'), ' (and 1 more failed check)');
  assert.equal(andMore(3, 1, 'failed check'), ' (and 2 more failed checks)');
});
