/**
 * ext2/3/4 read against e2fsprogs: images `mke2fs -d` makes from a tree
 * written here (4 KiB and 1 KiB blocks, with and without metadata_csum and
 * 64bit, 128-byte inodes, inline_data, no extents, ext3, ext2, an htree
 * directory) give back every file's bytes, mode, owner, link target and
 * xattrs, and `debugfs -R stat` agrees on inode fields; an inode or directory
 * block damaged on purpose gives a finding where `e2fsck -fn` complains.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { inspect, extract } from '../../src/index';
import { FileSource } from '../../src/io/source';
import { Ext4Fs, S_IFMT, S_IFLNK } from '../../src/formats/ext4/fs';
import { fileInfo } from '../../src/formats/ext4';
import { mke2fs, type TreeEntry } from '../../fixtures/builders/ext4';
import { pseudoRandom, compressible } from '../../fixtures/builders/data';
import { buildProp } from '../../fixtures/builders/rom';
import { requireTools, runTool, tempDir, toolEnv, ofFormat } from '../helpers';
import { artifactAt, describe, errors } from './util';

const isRoot = process.getuid?.() === 0;
/** vfs_cap_data revision 2, effective: cap_chown and cap_net_raw permitted. */
const CAP = Buffer.from('0100000201200000000000000000000000000000', 'hex');

function tree(): Record<string, TreeEntry> {
  const t: Record<string, TreeEntry> = {
    'system/build.prop': { type: 'file', data: buildProp({ 'ro.product.device': 'sunfish', 'ro.build.fingerprint': 'google/sunfish/sunfish:13/TQ3A.230805.001/10316531:user/release-keys' }) },
    'system/etc/empty': { type: 'file', data: '' },
    'system/bin/sh': { type: 'file', data: pseudoRandom(70000, 7), mode: 0o755 },
    'system/bin/su': { type: 'file', data: 'su', mode: 0o4750, uid: 0, gid: 2000 },
    'vendor/build.prop': { type: 'file', data: buildProp({ 'ro.product.vendor.device': 'sunfish' }) },
    'data/owned.txt': { type: 'file', data: 'owned by system\n', mode: 0o600, uid: 1000, gid: 1000 },
    'data/tiny': { type: 'file', data: 'abc' },
    'data/medium': { type: 'file', data: compressible(5000, 3) },
    'data/sparse.bin': { type: 'file', data: 'tail after a hole', sparseBefore: 3 << 20 },
    'data/label': { type: 'file', data: 'labelled', xattrs: { 'security.selinux': 'u:object_r:system_file:s0\0', 'user.note': 'hi', 'user.big': 'x'.repeat(300) } },
    'data/cap': { type: 'file', data: 'ping', mode: 0o755, xattrs: { 'security.capability': CAP } },
    'links/short': { type: 'symlink', target: '../system/build.prop' },
    'links/long': { type: 'symlink', target: '/' + 'segment/'.repeat(12) + 'target' },
    'links/hard': { type: 'hardlink', to: 'data/owned.txt' },
    'links/escape': { type: 'symlink', target: '../../../../etc/passwd' },
  };
  // Enough names for an htree directory with 1 KiB and 4 KiB blocks.
  for (let i = 0; i < 300; i++) t[`system/app/an-application-package-name-${String(i).padStart(4, '0')}.apk`] = { type: 'file', data: `app ${i}\n` };
  return t;
}

interface Config {
  name: string;
  args: string[];
  type: 'ext2' | 'ext3' | 'ext4';
  blockSize: number;
  csum: boolean;
}

const CONFIGS: Config[] = [
  { name: 'ext4, 4 KiB blocks, metadata_csum, 64bit', args: ['-t', 'ext4', '-b', '4096', '-O', 'metadata_csum,64bit'], type: 'ext4', blockSize: 4096, csum: true },
  { name: 'ext4, 1 KiB blocks, metadata_csum, 64bit', args: ['-t', 'ext4', '-b', '1024', '-O', 'metadata_csum,64bit'], type: 'ext4', blockSize: 1024, csum: true },
  { name: 'ext4, 1 KiB blocks, no metadata_csum, no 64bit', args: ['-t', 'ext4', '-b', '1024', '-O', '^metadata_csum,^64bit'], type: 'ext4', blockSize: 1024, csum: false },
  { name: 'ext4, 128-byte inodes, no extents (indirect block maps)', args: ['-t', 'ext4', '-b', '1024', '-I', '128', '-O', '^extent,^metadata_csum,^64bit,^flex_bg'], type: 'ext4', blockSize: 1024, csum: false },
  { name: 'ext4, inline_data, metadata_csum', args: ['-t', 'ext4', '-b', '4096', '-O', 'inline_data,metadata_csum'], type: 'ext4', blockSize: 4096, csum: true },
  { name: 'ext3, 1 KiB blocks', args: ['-t', 'ext3', '-b', '1024'], type: 'ext3', blockSize: 1024, csum: false },
  { name: 'ext2, 4 KiB blocks, 128-byte inodes', args: ['-t', 'ext2', '-b', '4096', '-I', '128'], type: 'ext2', blockSize: 4096, csum: false },
];

/** `debugfs -R "stat <path>"`: the fields both sides read. */
function debugfsStat(img: string, path: string): { mode: string; uid: number; gid: number; size: number; links: number } {
  const out = runTool('debugfs', ['-R', `stat "/${path}"`, img]).stdout.toString();
  const num = (re: RegExp) => Number(re.exec(out)?.[1]);
  return { mode: /Mode:\s+(\d+)/.exec(out)![1], uid: num(/User:\s+(\d+)/), gid: num(/Group:\s+(\d+)/), size: num(/Size:\s+(\d+)/), links: num(/Links:\s+(\d+)/) };
}

function makeImage(t: TestContext, c: Config): string {
  const img = join(tempDir(t), 'system.img');
  writeFileSync(img, mke2fs(tree(), c.args, 16384));
  // mke2fs -d writes linear directories; e2fsck -D indexes the large ones (htree). It exits 1 when it changed the image.
  const r = spawnSync('e2fsck', ['-fyD', img], { env: toolEnv() });
  assert.ok(r.status === 0 || r.status === 1, `e2fsck -fyD: ${r.status} ${r.stdout?.toString()}`);
  return img;
}

for (const c of CONFIGS) {
  test(`mke2fs ${c.name}: identity, every file, owner, mode, link target and xattr; debugfs agrees`, async (t) => {
    if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
    const img = makeImage(t, c);
    const report = await inspect(img);
    assert.equal(report.root.format, 'ext4');
    assert.deepEqual(errors(report), [], describe(report.findings));
    const info = report.root.info;
    assert.equal(info.type, c.type);
    assert.equal(info.blockSize, c.blockSize);
    assert.equal(info.uuid, '2d1a7d1c-0000-4000-8000-00000000e4e4');
    assert.equal(info.metadataChecksums, c.csum);
    const facts = report.root.facts.map((f) => f.kind);
    assert.equal(facts.includes('fs-checksum-ok'), c.csum, JSON.stringify(report.root.facts));
    assert.deepEqual(
      report.root.children.map((a) => a.path),
      ['system/build.prop', 'vendor/build.prop'],
    );
    assert.equal((ofFormat(report.root.children[0], 'build-prop').info.properties as Record<string, string>)['ro.product.device'], 'sunfish');

    const src = await FileSource.open(img);
    t.after(() => src.close());
    const problems: string[] = [];
    const fs = await Ext4Fs.open(src, (p) => void problems.push(p.message));
    const entries = tree();
    for (const [path, e] of Object.entries(entries)) {
      const ino = await fs.lookup(path);
      assert.ok(ino, `${path} not found`);
      const fi = await fileInfo(fs, ino);
      if (e.type === 'hardlink') {
        assert.equal(ino.ino, (await fs.lookup(e.to))!.ino, path);
        continue;
      }
      if (e.type === 'symlink') {
        assert.equal(ino.mode & S_IFMT, S_IFLNK);
        const content = await fs.content(ino, path);
        const target = Buffer.isBuffer(content) ? content : await content.read(0, content.size);
        assert.equal(target.toString(), e.target, path);
        continue;
      }
      if (e.type !== 'file') continue;
      const content = await fs.content(ino, path);
      const bytes = Buffer.isBuffer(content) ? content : await content.read(0, content.size);
      const want = Buffer.concat([Buffer.alloc(e.sparseBefore ?? 0), Buffer.from(e.data)]);
      assert.ok(bytes.equals(want), `${path}: content differs`);
      assert.equal(fi.mode, `0${(e.mode ?? 0o644).toString(8)}`, path);
      if (isRoot) {
        assert.equal(fi.uid, e.uid ?? 0, path);
        assert.equal(fi.gid, e.gid ?? 0, path);
        if (e.xattrs?.['security.selinux']) assert.equal(fi.selinux, 'u:object_r:system_file:s0', path);
        if (e.xattrs?.['user.big']) assert.deepEqual(fi.xattrs, { 'user.note': Buffer.from('hi').toString('hex'), 'user.big': `300 bytes` }, path);
        if (e.xattrs?.['security.capability']) assert.deepEqual(fi.capabilities, { revision: 2, effective: true, permitted: '0x2001', inheritable: '0x0' }, path);
      }
      // debugfs reads the same inode.
      if (path.startsWith('system/app/') && !path.endsWith('0007.apk')) continue;
      const d = debugfsStat(img, path);
      assert.equal(Number.parseInt(d.mode, 8) & 0o7777, Number.parseInt(fi.mode, 8), `${path}: mode ${d.mode}`);
      assert.deepEqual([d.uid, d.gid, d.size, d.links], [fi.uid, fi.gid, fi.size, fi.links], path);
    }
    assert.deepEqual(problems, []);
    // An htree directory is read linearly: every name is there.
    const app = await fs.lookup('system/app');
    assert.equal((await fs.readDir(app!)).length, 300);
    assert.match(runTool('debugfs', ['-R', 'stat /system/app', img]).stdout.toString(), /Flags: 0x\w*1\w{3}\b/, 'the directory is indexed');
  });
}

test('extract: any file by its path; a symlink is the link itself, never followed; a directory or a missing path is no artifact', async (t) => {
  if (!requireTools(t, 'mke2fs', 'e2fsck')) return;
  const img = makeImage(t, CONFIGS[0]);
  const out = tempDir(t);
  await extract(img, 'data/sparse.bin', join(out, 'sparse.bin'));
  assert.ok(readFileSync(join(out, 'sparse.bin')).equals(Buffer.concat([Buffer.alloc(3 << 20), Buffer.from('tail after a hole')])));
  await extract(img, 'system/build.prop', join(out, 'build.prop'));
  assert.match(readFileSync(join(out, 'build.prop'), 'utf8'), /ro.product.device=sunfish/);
  await extract(img, 'system/bin/sh', join(out, 'sh'));
  assert.ok(readFileSync(join(out, 'sh')).equals(pseudoRandom(70000, 7)));
  await extract(img, 'links/escape', join(out, 'escape'));
  assert.equal(readFileSync(join(out, 'escape'), 'utf8'), '../../../../etc/passwd');
  await assert.rejects(extract(img, 'links/short/x', join(out, 'x')), /no artifact/);
  await assert.rejects(extract(img, 'system', join(out, 'dir')), /no artifact/);
  await assert.rejects(extract(img, 'system/missing', join(out, 'missing')), /no artifact/);
  await assert.rejects(extract(img, 'data/../system/build.prop', join(out, 'dots')), /no artifact/);
});

/** Where debugfs says an inode lies (`imap`), in bytes from the start of the image. */
function inodeOffset(img: string, path: string, bs: number): number {
  const out = runTool('debugfs', ['-R', `imap "/${path}"`, img]).stdout.toString();
  const m = /located at block (\d+), offset (0x[0-9a-f]+)/.exec(out)!;
  return Number(m[1]) * bs + Number(m[2]);
}

/** The first block of a directory (`bmap`), in bytes from the start of the image. */
function dirBlockOffset(img: string, path: string, bs: number): number {
  return (
    Number(
      runTool('debugfs', ['-R', `bmap "/${path}" 0`, img])
        .stdout.toString()
        .trim(),
    ) * bs
  );
}

function e2fsckComplains(img: string): boolean {
  return spawnSync('e2fsck', ['-fn', img], { env: toolEnv() }).status !== 0;
}

async function fsFindings(img: string): Promise<string[]> {
  const r = await inspect(img);
  return r.findings.filter((f) => f.ruleId === 'integrity/fs-checksum' || f.ruleId === 'format/fs-invalid').map((f) => `${f.ruleId}: ${f.message}`);
}

test('intact images: e2fsck -fn and romscope both find nothing', async (t) => {
  if (!requireTools(t, 'mke2fs', 'e2fsck')) return;
  for (const c of [CONFIGS[0], CONFIGS[3]]) {
    const img = makeImage(t, c);
    assert.equal(e2fsckComplains(img), false);
    assert.deepEqual(await fsFindings(img), []);
  }
});

test('a damaged inode (metadata_csum): e2fsck -fn complains, romscope reports its checksum', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
  const img = makeImage(t, CONFIGS[0]);
  const b = readFileSync(img);
  b[inodeOffset(img, 'data/owned.txt', 4096) + 0x10] ^= 0x55; // mtime
  writeFileSync(img, b);
  assert.equal(e2fsckComplains(img), true);
  const found = await fsFindings(img);
  assert.ok(
    found.some((f) => /integrity\/fs-checksum: inode \d+ crc32c/.test(f)),
    found.join('\n'),
  );
});

test('a damaged directory block (metadata_csum): e2fsck -fn complains, romscope reports its checksum', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
  const img = makeImage(t, CONFIGS[0]);
  const b = readFileSync(img);
  const at = b.indexOf('owned.txt', dirBlockOffset(img, 'data', 4096));
  b[at] = 'O'.charCodeAt(0);
  writeFileSync(img, b);
  assert.equal(e2fsckComplains(img), true);
  const found = await fsFindings(img);
  assert.ok(
    found.some((f) => /integrity\/fs-checksum: directory inode \d+, block \d+: crc32c/.test(f)),
    found.join('\n'),
  );
});

test('a directory entry whose rec_len does not fit (no checksums): e2fsck -fn complains, romscope reports it invalid', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
  const img = makeImage(t, CONFIGS[2]);
  const b = readFileSync(img);
  const blk = dirBlockOffset(img, 'data', 1024);
  // The first entry is '.': its rec_len (12) made 7 breaks the chain.
  b.writeUInt16LE(7, blk + 4);
  writeFileSync(img, b);
  assert.equal(e2fsckComplains(img), true);
  const found = await fsFindings(img);
  assert.ok(
    found.some((f) => /format\/fs-invalid: directory inode \d+, block \d+: entry at 0 has rec_len 7/.test(f)),
    found.join('\n'),
  );
});

test('a superblock whose checksum disagrees (metadata_csum): e2fsck -fn complains, romscope reports it', async (t) => {
  if (!requireTools(t, 'mke2fs', 'e2fsck')) return;
  const img = makeImage(t, CONFIGS[0]);
  const b = readFileSync(img);
  b[1024 + 0x78] ^= 0x20; // the label
  writeFileSync(img, b);
  assert.equal(e2fsckComplains(img), true);
  const found = await fsFindings(img);
  assert.ok(
    found.some((f) => /integrity\/fs-checksum: superblock crc32c/.test(f)),
    found.join('\n'),
  );
});

test('inside a sparse image (img2simg): the raw child is ext4, its build.prop a child, any file extracts', async (t) => {
  if (!requireTools(t, 'mke2fs', 'e2fsck', 'img2simg')) return;
  const img = makeImage(t, CONFIGS[0]);
  const simg = join(tempDir(t), 'system.img');
  runTool('img2simg', [img, simg]);
  const r = await inspect(simg);
  assert.deepEqual(errors(r), [], describe(r.findings));
  assert.equal(artifactAt(r.root, 'raw').format, 'ext4');
  assert.equal(artifactAt(r.root, 'raw/system/build.prop').format, 'build-prop');
  const out = join(tempDir(t), 'sh');
  await extract(simg, 'raw/system/bin/sh', out);
  assert.ok(readFileSync(out).equals(pseudoRandom(70000, 7)));
});

test('an extent tree that reaches one block twice: e2fsck -fn complains, romscope reports it invalid', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
  const img = makeImage(t, CONFIGS[2]);
  const b = readFileSync(img);
  const leaf = b.length / 1024 - 1; // the last block: free in this image
  // The inode's root becomes an index (depth 1) whose two entries both point at one empty leaf.
  const at = inodeOffset(img, 'data/medium', 1024) + 0x28;
  b.fill(0, at, at + 60);
  b.writeUInt16LE(0xf30a, at);
  b.writeUInt16LE(2, at + 2);
  b.writeUInt16LE(4, at + 4);
  b.writeUInt16LE(1, at + 6);
  for (const [i, first] of [0, 1].entries()) {
    b.writeUInt32LE(first, at + 12 + 12 * i);
    b.writeUInt32LE(leaf, at + 16 + 12 * i);
  }
  b.writeUInt16LE(0xf30a, leaf * 1024);
  b.writeUInt16LE(0, leaf * 1024 + 2);
  b.writeUInt16LE(84, leaf * 1024 + 4);
  writeFileSync(img, b);
  assert.equal(e2fsckComplains(img), true);
  const found = await fsFindings(img);
  assert.ok(
    found.some((f) => /format\/fs-invalid: inode \d+: the extent tree reaches block \d+ twice/.test(f)),
    found.join('\n'),
  );
});

/** Group 0's bitmaps as `debugfs -R stats` places them, in bytes from the start of the image. */
function group0Bitmaps(img: string, bs: number): { block: number; inode: number } {
  const out = runTool('debugfs', ['-R', 'stats', img]).stdout.toString();
  const m = /Group +0: block bitmap at (\d+).*?, inode bitmap at (\d+)/.exec(out)!;
  return { block: Number(m[1]) * bs, inode: Number(m[2]) * bs };
}

/** metadata_csum without 64bit: 32-byte group descriptors keep 16-bit bitmap checksums. */
const CSUM_32: Config = { name: 'ext4, 4 KiB blocks, metadata_csum, no 64bit', args: ['-t', 'ext4', '-b', '4096', '-O', 'metadata_csum,^64bit'], type: 'ext4', blockSize: 4096, csum: true };

test('htree and bitmaps of intact images (metadata_csum, 64bit or not, 1 and 4 KiB blocks): e2fsck -fn and romscope agree, and the checks were made', async (t) => {
  if (!requireTools(t, 'mke2fs', 'e2fsck', 'debugfs')) return;
  for (const c of [CONFIGS[0], CONFIGS[1], CSUM_32]) {
    const img = makeImage(t, c);
    assert.equal(e2fsckComplains(img), false, c.name);
    assert.deepEqual(await fsFindings(img), [], c.name);
    const src = await FileSource.open(img);
    t.after(() => src.close());
    const problems: string[] = [];
    const fs = await Ext4Fs.open(src, (p) => void problems.push(p.message));
    const afterOpen = fs.checked;
    // superblock, one descriptor per group, and at least group 0's two bitmaps
    assert.ok(afterOpen >= 4, `${c.name}: ${afterOpen} checks on open`);
    const app = await fs.lookup('system/app');
    const before = fs.checked;
    assert.equal((await fs.readDir(app!)).length, 300);
    // every block of the directory was checked, its htree root among them (and any extent block of its own)
    const blocks = Math.ceil(app!.size / c.blockSize);
    assert.ok(fs.checked - before >= blocks, `${c.name}: ${fs.checked - before} checks for ${blocks} blocks`);
    assert.deepEqual(problems, [], c.name);
  }
});

test('a damaged htree index block (metadata_csum): e2fsck -fn complains, romscope reports its dx_tail checksum', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
  for (const c of [CONFIGS[0], CONFIGS[1]]) {
    const img = makeImage(t, c);
    const b = readFileSync(img);
    const root = dirBlockOffset(img, 'system/app', c.blockSize);
    // The root: '.', '..' spanning the block, dx_root_info, then count/limit at 32 and the first hash at 40.
    assert.equal(b[root + 24 + 5], 8, 'dx_root_info length');
    assert.ok(b.readUInt16LE(root + 34) >= 2, 'the root holds at least two index entries');
    b[root + 40] ^= 0x01;
    writeFileSync(img, b);
    assert.equal(e2fsckComplains(img), true, c.name);
    const found = await fsFindings(img);
    assert.ok(
      found.some((f) => /integrity\/fs-checksum: directory inode \d+, htree index block \d+: crc32c/.test(f)),
      `${c.name}: ${found.join('\n')}`,
    );
  }
});

for (const kind of ['block', 'inode'] as const) {
  test(`a damaged ${kind} bitmap (metadata_csum, 32- and 16-bit sums): e2fsck -fn complains, romscope reports its checksum`, async (t) => {
    if (!requireTools(t, 'mke2fs', 'debugfs', 'e2fsck')) return;
    for (const c of [CONFIGS[0], CSUM_32]) {
      const img = makeImage(t, c);
      const b = readFileSync(img);
      const at = group0Bitmaps(img, c.blockSize)[kind];
      b[at + 100] ^= 0x10;
      writeFileSync(img, b);
      assert.equal(e2fsckComplains(img), true, c.name);
      const found = await fsFindings(img);
      assert.ok(
        found.some((f) => new RegExp(`integrity/fs-checksum: group 0: ${kind} bitmap \\(block \\d+\\) crc32c`).test(f)),
        `${c.name}: ${found.join('\n')}`,
      );
    }
  });
}
