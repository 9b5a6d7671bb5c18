/**
 * Interop: EROFS images made by mkfs.erofs (erofs-utils) from a source tree
 * built here, in every layout Debian's mkfs.erofs writes: every file's
 * content, mode, owner, link target and xattrs read by romscope equal the
 * tree; dump.erofs agrees on superblock and inode fields; damage that
 * fsck.erofs rejects is a finding. f2fs images from mkfs.f2fs are described
 * as dump.f2fs describes them.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { FileSource, type Source } from '../../src/io/source';
import { Budget, defaultBudget } from '../../src/io/limits';
import { erofsHandler } from '../../src/formats/erofs';
import { parseSuperblock } from '../../src/formats/erofs/layout';
import { ErofsReader, isDir, isLink, type ErofsInode } from '../../src/formats/erofs/reader';
import { inspect } from '../../src/pipeline/inspect';
import type { Fact } from '../../src/report/model';
import { compressible, pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runTool, tempDir, toolEnv } from '../helpers';

const ROOT = process.getuid?.() === 0;

/** A source tree: nested dirs, a directory spanning blocks, small/large/random/empty files, symlinks, modes, owners, xattrs, SELinux labels. */
function buildTree(dir: string): { fileContexts: string; xattrs: boolean } {
  mkdirSync(join(dir, 'system/etc'), { recursive: true });
  mkdirSync(join(dir, 'many'));
  writeFileSync(join(dir, 'system/build.prop'), 'ro.product.device=walleye\nro.build.fingerprint=google/walleye/walleye:11/RP1A/1:user/release-keys\n');
  writeFileSync(join(dir, 'system/etc/prop.default'), 'ro.secure=1\n');
  writeFileSync(join(dir, 'big.txt'), compressible(1_500_000, 3));
  writeFileSync(join(dir, 'random.bin'), pseudoRandom(300_000, 5));
  writeFileSync(join(dir, 'mixed.bin'), Buffer.concat([compressible(70_000, 7), pseudoRandom(20_000, 8), compressible(9_000, 9)]));
  writeFileSync(join(dir, 'empty'), '');
  writeFileSync(join(dir, 'block.bin'), pseudoRandom(8192, 10));
  for (let i = 0; i < 300; i++) writeFileSync(join(dir, 'many', `a_rather_long_file_name_to_fill_blocks_${String(i).padStart(4, '0')}`), `${i}\n`);
  symlinkSync('../system/build.prop', join(dir, 'many/link'));
  symlinkSync('/system/etc', join(dir, 'abs-link'));
  writeFileSync(join(dir, 'su'), '#!/bin/sh\n');
  chmodSync(join(dir, 'su'), 0o4750);
  chmodSync(join(dir, 'block.bin'), 0o600);
  if (ROOT) {
    chownSync(join(dir, 'su'), 0, 2000);
    chownSync(join(dir, 'block.bin'), 1000, 1000);
    chownSync(join(dir, 'many'), 1013, 1013);
  }
  const py = spawnSync('python3', [
    '-c',
    `import os; os.setxattr(${JSON.stringify(join(dir, 'big.txt'))}, b'user.romscope', b'checked'); os.setxattr(${JSON.stringify(join(dir, 'system/build.prop'))}, b'user.k', b'v' * 300)`,
  ]);
  const fileContexts = join(dir, '..', 'file_contexts');
  writeFileSync(fileContexts, ['/.* u:object_r:system_file:s0', '/system/build\\.prop u:object_r:system_prop_file:s0', '/su u:object_r:su_exec:s0', ''].join('\n'));
  return { fileContexts, xattrs: py.status === 0 };
}

interface Expected {
  labels: Map<string, string>;
  xattrs: boolean;
}

function labelFor(rel: string): string {
  if (rel === 'system/build.prop') return 'u:object_r:system_prop_file:s0';
  if (rel === 'su') return 'u:object_r:su_exec:s0';
  return 'u:object_r:system_file:s0';
}

async function readAll(s: Source): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s.stream()) parts.push(c);
  return Buffer.concat(parts);
}

/** Walks the image and compares every entry with the tree. Returns how many were compared. */
async function compareTree(r: ErofsReader, dir: ErofsInode, tree: string, rel: string, exp: Expected): Promise<number> {
  const names = new Set(readdirSync(join(tree, rel)));
  let n = 0;
  for await (const d of r.dirents(dir)) {
    if (d.name === '.' || d.name === '..') continue;
    assert.ok(names.delete(d.name), `${rel}/${d.name} is not in the tree`);
    const p = join(rel, d.name);
    const st = lstatSync(join(tree, p));
    const i = await r.inode(d.nid);
    assert.equal(i.mode.toString(8), (st.mode & 0o177777).toString(8), `${p}: mode`);
    assert.equal(i.uid, st.uid, `${p}: uid`);
    assert.equal(i.gid, st.gid, `${p}: gid`);
    const xattrs = new Map((await r.xattrs(i)).map((x) => [x.name, x.value.toString('latin1')]));
    assert.equal(xattrs.get('security.selinux')?.replace(/\0+$/, ''), labelFor(p), `${p}: SELinux label`);
    if (exp.xattrs && p === 'big.txt') assert.equal(xattrs.get('user.romscope'), 'checked');
    if (exp.xattrs && p === 'system/build.prop') assert.equal(xattrs.get('user.k'), 'v'.repeat(300));
    if (isDir(i)) n += await compareTree(r, i, tree, p, exp);
    else if (isLink(i)) assert.equal(await r.readLink(i), readlinkSync(join(tree, p)), `${p}: link target`);
    else assert.ok((await readAll(r.data(i, p))).equals(readFileSync(join(tree, p))), `${p}: content (layout ${i.layout})`);
    n++;
  }
  assert.deepEqual([...names], [], `${rel}: entries missing from the image`);
  return n;
}

function mkfsCompressors(): string[] {
  const r = spawnSync('mkfs.erofs', ['--help'], { env: toolEnv(), encoding: 'utf8' });
  const line = /Available compressors are: (.*)/.exec(r.stdout + r.stderr)?.[1] ?? '';
  return line.split(/[, ]+/).filter(Boolean);
}

const VARIANTS: [string, string[], string?][] = [
  ['uncompressed', []],
  ['uncompressed, compact inodes, no inline data', ['-Eforce-inode-compact', '-Enoinline_data']],
  ['extended inodes', ['-Eforce-inode-extended']],
  ['chunk-based (block map)', ['--chunksize=8192']],
  ['chunk-based (chunk indexes)', ['--chunksize=16384', '-Eforce-chunk-indexes']],
  ['lz4', ['-zlz4'], 'lz4'],
  ['lz4hc', ['-zlz4hc'], 'lz4hc'],
  ['lz4hc, 64 KiB big pclusters', ['-zlz4hc,9', '-C65536'], 'lz4hc'],
  ['lz4hc, ztailpacking', ['-zlz4hc', '-Eztailpacking'], 'lz4hc'],
  ['lz4, legacy (full indexes, no 0padding)', ['-zlz4', '-Elegacy-compress'], 'lz4'],
  ['lzma', ['-zlzma'], 'lzma'],
];

function setup(t: TestContext): { dir: string; tree: string; fc: string; exp: Expected } | null {
  if (!requireTools(t, 'mkfs.erofs', 'dump.erofs', 'fsck.erofs')) return null;
  const dir = tempDir(t);
  const tree = join(dir, 'tree');
  mkdirSync(tree);
  const { fileContexts, xattrs } = buildTree(tree);
  return { dir, tree, fc: fileContexts, exp: { labels: new Map(), xattrs } };
}

for (const [name, args, compressor] of VARIANTS) {
  test(`erofs interop: mkfs.erofs ${name}: every file, mode, owner, link and xattr equals the tree; dump.erofs agrees`, async (t) => {
    const s = setup(t);
    if (!s) return;
    if (compressor && !mkfsCompressors().includes(compressor)) {
      t.skip(`this mkfs.erofs has no ${compressor} compressor`);
      return;
    }
    const img = join(s.dir, 'system.img');
    runTool('mkfs.erofs', ['-T', '1700000000', '-U', '6f2c1a39-2d1e-4c3b-9a8e-1b2c3d4e5f60', `--file-contexts=${s.fc}`, ...args, img, s.tree]);
    const src = await FileSource.open(img);
    t.after(() => src.close());
    const sb = parseSuperblock(await src.read(1024, 128));
    const r = new ErofsReader(src, sb);
    const n = await compareTree(r, await r.inode(sb.rootNid), s.tree, '', s.exp);
    assert.ok(n > 300, `${n} entries compared`);

    // The superblock as dump.erofs prints it.
    const dump = runTool('dump.erofs', ['-s', img]).stdout.toString();
    const field = (label: string) => new RegExp(`${label}:\\s+(\\S+)`).exec(dump)?.[1];
    const facts: Fact[] = [];
    const res = await erofsHandler.decode(src, { budget: new Budget(defaultBudget(src.size)), fact: (f) => void facts.push(f) });
    assert.equal(String(res.info.blocks), field('Filesystem blocks'));
    assert.equal(String(res.info.rootNid), field('Filesystem root nid'));
    assert.equal(String(res.info.inodes), field('Filesystem inode count'));
    assert.equal(res.info.uuid, field('Filesystem UUID'));
    assert.equal(res.info.buildTime, '2023-11-14T22:13:20.000Z');
    assert.deepEqual(
      facts.filter((f) => f.kind !== 'fs-entry').map((f) => f.kind),
      ['fs-checksum-ok'],
    );
    // The walk's posture scan names the tree's su binary (metadata only).
    assert.ok(facts.some((f) => f.kind === 'fs-entry' && f.path === 'su' && (f.reasons as string[]).includes('su')));
    assert.deepEqual(
      res.children.map((c) => c.name),
      ['system/build.prop', 'system/etc/prop.default'],
    );
    assert.equal(res.children[0].info?.selinux, 'u:object_r:system_prop_file:s0');

    // Inode fields as dump.erofs prints them, for files of each kind.
    for (const p of ['system/build.prop', 'big.txt', 'random.bin', 'su', 'many', 'many/link', 'empty']) {
      const out = runTool('dump.erofs', [`--path=/${p}`, img]).stdout.toString();
      const i = (await r.lookup(p))!;
      assert.equal(String(i.nid), /NID: (\d+)/.exec(out)?.[1], `${p}: nid`);
      assert.equal(String(i.size), /Size: (\d+)/.exec(out)?.[1], `${p}: size`);
      assert.equal(String(i.layout), /Layout: (\d+)/.exec(out)?.[1], `${p}: layout`);
      assert.equal(String(i.nlink), /Links: (\d+)/.exec(out)?.[1], `${p}: links`);
      assert.equal(`0${(i.mode & 0o7777).toString(8).padStart(3, '0')}`.slice(-4), /Access: (\d+)/.exec(out)?.[1], `${p}: access`);
      assert.equal(`${i.uid}/${i.gid}`, /Uid: (\d+)\s+Gid: (\d+)/.exec(out)!.slice(1, 3).join('/'), `${p}: owner`);
    }

    // resolve: any file by its path, through an absolute symlink inside the image.
    const c = await erofsHandler.resolve!(src, 'abs-link/prop.default', { budget: new Budget(defaultBudget(0)), fact: () => undefined });
    assert.equal((await readAll(c!.source)).toString(), 'ro.secure=1\n');
  });
}

test('erofs interop: damage fsck.erofs rejects is a finding (superblock checksum, compressed data)', async (t) => {
  const s = setup(t);
  if (!s) return;
  const img = join(s.dir, 'system.img');
  runTool('mkfs.erofs', ['-zlz4hc', `--file-contexts=${s.fc}`, img, s.tree]);
  const good = readFileSync(img);

  // 1. The superblock's volume name changed after its checksum was computed.
  const sbBad = Buffer.from(good);
  sbBad[1024 + 64] ^= 0x41;
  writeFileSync(img, sbBad);
  // fsck.erofs 1.5 complains (and still exits 0): "superblock chksum doesn't match".
  const fsck = spawnSync('fsck.erofs', [img], { env: toolEnv(), encoding: 'utf8' });
  assert.match(fsck.stderr + fsck.stdout, /chksum doesn't match/);
  // The tree's su binary is a security/* finding; only those and the checksum are expected.
  const notPosture = (r: Awaited<ReturnType<typeof inspect>>) => r.findings.filter((f) => !f.ruleId.startsWith('security/'));
  let report = await inspect(img);
  assert.deepEqual(
    notPosture(report).map((f) => f.ruleId),
    ['integrity/fs-checksum'],
  );

  // 2. The pcluster holding system/build.prop overwritten with garbage.
  const ext = runTool('dump.erofs', ['-e', '--path=/big.txt', img]).stdout.toString();
  const phys = Number(/0:\s+\d+\.\.\s*\d+ \|\s+\d+ :\s+(\d+)\.\./.exec(ext)?.[1]);
  assert.ok(phys > 0, ext);
  const dataBad = Buffer.from(good);
  pseudoRandom(4096, 99).copy(dataBad, phys);
  writeFileSync(img, dataBad);
  assert.notEqual(spawnSync('fsck.erofs', ['--extract', img], { env: toolEnv() }).status, 0, 'fsck.erofs accepts the bad pcluster');
  report = await inspect(img);
  assert.deepEqual(notPosture(report), [], 'big.txt is not among the files romscope reads by itself');
  const src = await FileSource.open(img);
  t.after(() => src.close());
  const facts: Fact[] = [];
  const c = await erofsHandler.resolve!(src, 'big.txt', { budget: new Budget(defaultBudget(0)), fact: (f) => void facts.push(f) });
  await assert.rejects(readAll(c!.source), (e: Error & { factKind?: string }) => e.factKind === 'fs-invalid' && /does not decode/.test(e.message));
});

test('f2fs interop: mkfs.f2fs images described as dump.f2fs describes them', async (t) => {
  if (!requireTools(t, 'mkfs.f2fs', 'dump.f2fs')) return;
  const dir = tempDir(t);
  const img = join(dir, 'userdata.img');
  writeFileSync(img, '');
  runTool('truncate', ['-s', '64M', img]);
  runTool('mkfs.f2fs', ['-q', '-l', 'romscope', '-O', 'extra_attr,inode_checksum,sb_checksum', img]);
  const dump = runTool('dump.f2fs', ['-d', '1', img]).stdout.toString();
  const val = (k: string) => new RegExp(`^${k}\\s+\\[0x\\s*[0-9a-f]+ : (\\d+)\\]`, 'm').exec(dump)?.[1];
  const report = await inspect(img);
  const info = report.root.info;
  assert.equal(report.root.format, 'f2fs');
  assert.equal(info.label, /volum_name\s+\[(.*)\]/.exec(dump)?.[1]);
  assert.equal(info.version, `${val('major_ver')}.${val('minor_ver')}`);
  assert.equal(String(info.blocks), val('block_count'));
  assert.equal(String(info.sections), val('section_count'));
  assert.equal(String(info.segments), val('segment_count'));
  assert.deepEqual(info.features, ['extra_attr', 'inode_checksum', 'sb_checksum']);
  assert.match(/superblock features = [0-9a-f]+ :\s+(.*)/.exec(dump)?.[1] ?? '', /extra_attr inode_checksum sb_checksum/);
  assert.deepEqual(report.findings, []);
});
