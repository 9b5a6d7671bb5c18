/**
 * The ext4 tree walk tells a source that decodes on demand what it reads
 * next (RandomSource.prefetch): the inode-table blocks of a directory's
 * entries and the blocks of the next directories in its queue. The hints
 * must be blocks the walk then reads, and the walk's answer must not
 * change with them. Images made by mke2fs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferSource, type RandomSource } from '../../src/io/source';
import { Ext4Fs } from '../../src/formats/ext4/fs';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { requireTools } from '../helpers';

/** A buffer source that records the blocks hinted and the blocks read. */
class Recording extends BufferSource {
  hinted = new Set<number>();
  readBlocks = new Set<number>();
  constructor(
    b: Buffer,
    private readonly bs: number,
    hints: boolean,
  ) {
    super(b, 'system.img');
    if (!hints) (this as { prefetch?: unknown }).prefetch = undefined;
  }
  prefetch(offset: number, length: number): void {
    assert.ok(offset >= 0 && offset + length <= this.size, `hint ${offset}+${length} inside the image`);
    this.hinted.add(Math.floor(offset / this.bs));
  }
  override read(offset: number, length: number): Promise<Buffer> {
    for (let b = Math.floor(offset / this.bs); b * this.bs < offset + length; b++) this.readBlocks.add(b);
    return super.read(offset, length);
  }
}

async function walk(src: RandomSource) {
  const problems: string[] = [];
  const fs = await Ext4Fs.open(src, (p) => void problems.push(p.message));
  const seen: string[] = [];
  const r = await fs.walkDirs(10_000, (path, ino) => (seen.push(`${path} ${ino.ino} ${ino.mode.toString(8)}`), true));
  return { r, seen, problems };
}

test('ext4 walk: prefetch hints are blocks the walk reads, and the walk is the same with and without them', async (t) => {
  if (!requireTools(t, 'mke2fs')) return;
  const tree: Record<string, TreeEntry> = {};
  for (let d = 0; d < 30; d++) for (let f = 0; f < 8; f++) tree[`system/d${d}/sub${f % 3}/f${f}.txt`] = { type: 'file', data: Buffer.from(`file ${d}/${f}\n`) };
  const img = mke2fs(tree, ['-t', 'ext4', '-b', '4096', '-N', '4096'], 16 * 1024);
  const withHints = new Recording(img, 4096, true);
  const without = new Recording(img, 4096, false);
  const a = await walk(withHints);
  const b = await walk(without);
  assert.deepEqual(a, b);
  assert.ok(a.r.complete && a.r.dirs > 90, `${a.r.dirs} directories walked`);
  assert.ok(withHints.hinted.size > 10, `${withHints.hinted.size} blocks hinted`);
  const unread = [...withHints.hinted].filter((blk) => !withHints.readBlocks.has(blk));
  assert.deepEqual(unread, [], 'every hinted block is one the walk reads');
});
