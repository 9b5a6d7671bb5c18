/**
 * `romscope ls` against the tools that wrote the images: an ext4 image made
 * by `mke2fs -d` (a label set with `debugfs ea_set`), listed through a zip
 * and a sparse image, agrees with `debugfs -R "ls -l"` on every entry's
 * mode, owner and size and with `debugfs ea_get` on the label; an EROFS
 * image made by `mkfs.erofs --file-contexts` agrees with `dump.erofs --ls`
 * and `dump.erofs --path`. The CLI escapes hostile names in text and keeps
 * them exact in JSON, and exits 2 for a path that is not there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ls } from '../../src/pipeline/ls';
import { writeTree, type TreeEntry } from '../../fixtures/builders/ext4';
import { sparseOf } from '../../fixtures/builders/posture';
import { zipOf } from '../../fixtures/builders/rom';
import { requireTools, runCli, runTool, tempDir } from '../helpers';

const HOSTILE = 'evil\x1b[31mred\nline';

function tree(): Record<string, TreeEntry> {
  return {
    'system/bin/sh': { type: 'file', data: 'x'.repeat(5000), mode: 0o755, uid: 0, gid: 2000 },
    'system/bin/su': { type: 'file', data: 'su', mode: 0o4750, uid: 0, gid: 2000 },
    'system/bin/grp': { type: 'file', data: 'g', mode: 0o2711, uid: 1000, gid: 1000 },
    'system/bin/open': { type: 'file', data: 'o', mode: 0o666 },
    'system/bin/ls': { type: 'symlink', target: 'toybox' },
    'system/bin/far': { type: 'symlink', target: '/' + 'long/'.repeat(20) + 'target' },
    'system/bin/escape': { type: 'symlink', target: '../../../../etc/passwd' },
    'system/bin/etc': { type: 'dir', mode: 0o1777 },
    [`system/bin/${HOSTILE}`]: { type: 'file', data: 'h' },
  };
}

interface DebugfsEntry {
  mode: number;
  uid: number;
  gid: number;
  size: number;
}

/** `debugfs -R "ls -l DIR"`: `ino mode (type) uid gid size date time name`; names are matched by what follows the time. */
function debugfsLs(img: string, dir: string): Map<string, DebugfsEntry> {
  const out = runTool('debugfs', ['-R', `ls -l ${dir}`, img]).stdout.toString('utf8');
  const m = new Map<string, DebugfsEntry>();
  for (const line of out.split('\n')) {
    const r = /^\s*\d+\s+([0-7]+)\s+\(\d+\)\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+\s+\S+\s(.*)$/.exec(line);
    if (r && r[5] !== '.' && r[5] !== '..') m.set(r[5], { mode: parseInt(r[1], 8), uid: +r[2], gid: +r[3], size: +r[4] });
  }
  return m;
}

test('ls interop: ext4 (mke2fs -d) through a zip and a sparse image agrees with debugfs ls -l and ea_get', async (t) => {
  if (!requireTools(t, 'mke2fs', 'debugfs', 'img2simg')) return;
  const dir = tempDir(t);
  const root = join(dir, 'root');
  mkdirSync(root);
  writeTree(root, tree());
  const raw = join(dir, 'system.raw');
  runTool('mke2fs', ['-q', '-F', '-t', 'ext4', '-O', 'metadata_csum,64bit', '-E', 'root_owner=0:0', '-d', root, raw, '8M']);
  runTool('debugfs', ['-w', '-R', 'ea_set /system/bin/sh security.selinux u:object_r:shell_exec:s0', raw]);
  const pkg = join(dir, 'rom.zip');
  writeFileSync(pkg, zipOf({ 'system.img': sparseOf(readFileSync(raw)) }));

  const ref = debugfsLs(raw, '/system/bin');
  const got = await ls(pkg, 'system.img/raw/system/bin');
  assert.equal(got.length, ref.size, `entries: ${got.map((e) => e.name).join(', ')}`);
  let compared = 0;
  for (const e of got) {
    const r = ref.get(e.name);
    if (!r) {
      // debugfs prints a hostile name's bytes raw across lines: it is the one name not matched.
      assert.equal(e.name, HOSTILE);
      continue;
    }
    assert.equal(parseInt(e.mode, 8), r.mode & 0o7777, e.name);
    assert.equal(e.uid, r.uid, e.name);
    assert.equal(e.gid, r.gid, e.name);
    assert.equal(e.size, r.size, e.name);
    compared++;
  }
  assert.ok(compared >= 8);
  const byName = new Map(got.map((e) => [e.name, e]));
  const label = /security\.selinux.*?"?(u:object_r:[a-z_]+:s0)/s.exec(runTool('debugfs', ['-R', 'ea_get /system/bin/sh security.selinux', raw]).stdout.toString('utf8'))?.[1];
  assert.equal(byName.get('sh')?.selinux, label ?? 'u:object_r:shell_exec:s0');
  assert.equal(byName.get('su')?.modeString, '-rwsr-x---');
  assert.equal(byName.get('grp')?.modeString, '-rwx--s--x');
  assert.equal(byName.get('etc')?.modeString, 'drwxrwxrwt');
  assert.equal(byName.get('escape')?.target, '../../../../etc/passwd');
  assert.equal(byName.get('far')?.target, '/' + 'long/'.repeat(20) + 'target');
  assert.equal(byName.get('ls')?.type, 'symlink');

  // The `raw` of a sparse image may be left out; a file path lists that one file.
  assert.deepEqual(await ls(pkg, 'system.img/system/bin/su'), [byName.get('su')]);

  // The CLI: text escapes the hostile name, JSON keeps it exact; a missing path exits 2.
  const text = runCli(['ls', pkg, 'system.img/system/bin']);
  assert.equal(text.code, 0, text.stderr);
  assert.ok(text.stdout.includes('evil\\x1b[31mred\\nline'), text.stdout);
  assert.ok(!text.stdout.includes('\x1b'));
  assert.match(text.stdout, /^lrwxrwxrwx +0 +0 +6 - +ls -> toybox$/m);
  assert.match(text.stdout, /^-rwxr-xr-x +0 2000 5000 u:object_r:shell_exec:s0 sh$/m);
  const json = runCli(['ls', pkg, 'system.img/system/bin', '--json']);
  assert.equal(json.code, 0);
  assert.ok((JSON.parse(json.stdout) as { name: string }[]).some((e) => e.name === HOSTILE));
  const missing = runCli(['ls', pkg, 'system.img/system/nope']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no "system\/nope" in the ext4 file system/);
  const notFs = runCli(['ls', pkg, '']);
  assert.equal(notFs.code, 0, 'a zip with one member: the image inside is listed');
  assert.equal(runCli(['ls', pkg, 'other.img']).code, 2);
});

test('ls interop: EROFS (mkfs.erofs --file-contexts) agrees with dump.erofs --ls and --path', async (t) => {
  if (!requireTools(t, 'mkfs.erofs', 'dump.erofs')) return;
  const dir = tempDir(t);
  const root = join(dir, 'root');
  mkdirSync(root);
  const tr = tree();
  delete tr[`system/bin/${HOSTILE}`];
  writeTree(root, tr);
  const fc = join(dir, 'file_contexts');
  writeFileSync(fc, '/system/bin/sh u:object_r:shell_exec:s0\n/.* u:object_r:system_file:s0\n');
  const img = join(dir, 'system.img');
  runTool('mkfs.erofs', ['-T', '1700000000', `--file-contexts=${fc}`, img, root]);
  const names = runTool('dump.erofs', ['--ls', '--path=/system/bin', img])
    .stdout.toString('utf8')
    .split('\n')
    .map((l) => /^\s+\d+\s+\d+\s+(.+)$/.exec(l)?.[1])
    .filter((n): n is string => !!n && n !== '.' && n !== '..')
    .sort();
  const got = await ls(img, 'system/bin');
  assert.deepEqual(
    got.map((e) => e.name),
    names,
  );
  for (const e of got) {
    const st = runTool('dump.erofs', [`--path=/system/bin/${e.name}`, img]).stdout.toString('utf8');
    assert.equal(e.size, +/Size: (\d+)/.exec(st)![1], e.name);
    assert.equal(e.uid, +/Uid: (\d+)/.exec(st)![1], e.name);
    assert.equal(e.gid, +/Gid: (\d+)/.exec(st)![1], e.name);
    // dump.erofs 1.5 prints the permission bits only (no setuid, setgid or sticky bit).
    assert.equal(parseInt(e.mode, 8) & 0o777, parseInt(/Access: (\d+)\//.exec(st)![1], 8) & 0o777, e.name);
  }
  const byName = new Map(got.map((e) => [e.name, e]));
  assert.equal(byName.get('sh')?.selinux, 'u:object_r:shell_exec:s0');
  assert.equal(byName.get('su')?.selinux, 'u:object_r:system_file:s0');
  assert.equal(byName.get('escape')?.target, '../../../../etc/passwd');
  // The special bits dump.erofs does not print, against the tree mkfs.erofs read.
  assert.equal(byName.get('su')?.mode, '04750');
  assert.equal(byName.get('etc')?.modeString, 'drwxrwxrwt');
});
