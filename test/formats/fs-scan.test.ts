/**
 * The security posture scan (src/formats/fs-scan.ts) and the init script
 * parser (src/formats/init-rc): which entries become facts, the ls-style
 * mode strings, where init scripts are looked for, the caps (a finding when
 * one is hit, on a real mke2fs image), and the init language's lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from '../../src/io/limits';
import { Budget, defaultBudget } from '../../src/io/limits';
import { BufferSource } from '../../src/io/source';
import { ext4Handler } from '../../src/formats/ext4';
import { erofsHandler } from '../../src/formats/erofs';
import { isInitScript, modeString, reasonsFor } from '../../src/formats/fs-scan';
import { parseInitRc } from '../../src/formats/init-rc';
import { ext4Image, erofsImage, postureTree } from '../../fixtures/builders/posture';
import type { Fact } from '../../src/report/model';
import { requireTools } from '../helpers';

test('fs-scan: reasons for setuid, setgid, world-writable and su entries; none for symlinks, sticky dirs, setgid dirs', () => {
  const r = (path: string, mode: number) => reasonsFor({ path, mode, uid: 0, gid: 0, size: 0 });
  assert.deepEqual(r('system/bin/x', 0o104755), ['setuid']);
  assert.deepEqual(r('system/bin/x', 0o102755), ['setgid']);
  assert.deepEqual(r('system/xbin/su', 0o106755), ['setuid', 'setgid', 'su']);
  assert.deepEqual(r('a/b', 0o100666), ['world-writable']);
  assert.deepEqual(r('a/dir', 0o040777), ['world-writable']);
  assert.deepEqual(r('data/local/tmp', 0o041777), []);
  assert.deepEqual(r('system/bin/su', 0o120777), ['su']);
  assert.deepEqual(r('system/bin/ls', 0o120777), []);
  assert.deepEqual(r('system/etc/shared', 0o042775), []);
  assert.deepEqual(r('system/bin/sudo', 0o100755), []);
  assert.deepEqual(r('dev/null', 0o020666), ['world-writable']);
});

test('fs-scan: ls -l mode strings', () => {
  assert.equal(modeString(0o104750), '-rwsr-x---');
  assert.equal(modeString(0o102711), '-rwx--s--x');
  assert.equal(modeString(0o104640), '-rwSr-----');
  assert.equal(modeString(0o041777), 'drwxrwxrwt');
  assert.equal(modeString(0o041776), 'drwxrwxrwT');
  assert.equal(modeString(0o120777), 'lrwxrwxrwx');
  assert.equal(modeString(0o020620), 'crw--w----');
});

test('fs-scan: init scripts are looked for where init reads them', () => {
  for (const p of ['init.rc', 'init.usb.rc', 'system/etc/init/hw/init.rc', 'system/etc/init/adbd.rc', 'vendor/etc/init/hw/init.qcom.rc', 'etc/init/vold.rc', 'system/init.environ.rc']) assert.ok(isInitScript(p), p);
  for (const p of ['system/usr/share/x.rc', 'system/etc/init/x.rcx', 'system/etc/initx/y.rc', 'system/etc/init/sub/dir/z.rc']) assert.ok(!isInitScript(p), p);
});

test('init-rc: services with options, continued lines, quotes and comments', () => {
  const rc = parseInitRc(
    [
      'import /init.${ro.hardware}.rc',
      '# service ghost /system/bin/sh',
      'on boot # comment',
      '    start adbd',
      'service adbd /system/bin/adbd \\',
      '        --root_seclabel=u:r:su:s0',
      '    user root',
      '    group shell "log" # trailing',
      '    seclabel u:r:su:s0',
      '    disabled',
      'service console /system/bin/sh',
      '    user shell',
      'service broken',
      '    user root',
    ].join('\n'),
  );
  assert.equal(rc.actions, 1);
  assert.deepEqual(rc.imports, ['/init.${ro.hardware}.rc']);
  assert.deepEqual(rc.services, [
    { name: 'adbd', line: 5, exec: ['/system/bin/adbd', '--root_seclabel=u:r:su:s0'], user: 'root', group: ['shell', 'log'], seclabel: 'u:r:su:s0', disabled: true },
    { name: 'console', line: 11, exec: ['/system/bin/sh'], user: 'shell' },
  ]);
});

async function decodeFacts(handler: typeof ext4Handler, image: Buffer): Promise<{ facts: Fact[]; children: string[] }> {
  const facts: Fact[] = [];
  const res = await handler.decode(new BufferSource(image, 'system.img'), { budget: new Budget(defaultBudget(image.length)), fact: (f) => void facts.push(f) });
  return { facts, children: res.children.map((c) => c.name) };
}

test('fs-scan caps: the inode cap and the init script caps end in a finding, on ext4 (mke2fs) and EROFS (mkfs.erofs)', async (t) => {
  if (!requireTools(t, 'mke2fs', 'mkfs.erofs')) return;
  const tree = postureTree({ extra: { 'system/xbin/su': { type: 'file', data: 'su', mode: 0o4755 } } });
  const images: [string, typeof ext4Handler, Buffer][] = [
    ['ext4', ext4Handler, ext4Image(tree)],
    ['erofs', erofsHandler, erofsImage(tree)],
  ];
  const saved = { ...LIMITS };
  t.after(() => Object.assign(LIMITS, saved));
  for (const [name, handler, image] of images) {
    Object.assign(LIMITS, saved);
    const whole = await decodeFacts(handler, image);
    assert.ok(!whole.facts.some((f) => f.kind === 'unsupported'), `${name}: ${JSON.stringify(whole.facts)}`);
    assert.ok(
      whole.facts.some((f) => f.kind === 'fs-entry' && f.path === 'system/xbin/su'),
      name,
    );
    assert.deepEqual(whole.children.filter((c) => c.endsWith('.rc')).sort(), ['system/etc/init/adbd.rc', 'system/etc/init/hw/init.rc'], name);

    LIMITS.fsScanInodes = 3;
    const capped = await decodeFacts(handler, image);
    assert.ok(
      capped.facts.some((f) => f.kind === 'unsupported' && /stopped after 3 inodes/.test(f.message)),
      `${name}: ${JSON.stringify(capped.facts)}`,
    );
    assert.ok(!capped.facts.some((f) => f.kind === 'fs-entry' && f.path === 'system/xbin/su'), `${name}: nothing past the cap is reported`);

    Object.assign(LIMITS, saved);
    LIMITS.initRcFiles = 1;
    const oneRc = await decodeFacts(handler, image);
    assert.equal(oneRc.children.filter((c) => c.endsWith('.rc')).length, 1, name);
    assert.ok(
      oneRc.facts.some((f) => f.kind === 'unsupported' && /^1 init scripts \(\.rc\) of this file system were not read/.test(f.message)),
      name,
    );

    Object.assign(LIMITS, saved);
    LIMITS.fsScanEntryFacts = 0;
    const counted = await decodeFacts(handler, image);
    const more = counted.facts.find((f) => f.kind === 'fs-entry');
    assert.deepEqual(more?.more, { setuid: 1, su: 1 }, name);
  }
});

test('BlockCacheSource (the EROFS walk reads through it) gives the same bytes as its source, at any offset and length', async () => {
  const { BlockCacheSource } = await import('../../src/io/block-cache');
  const data = Buffer.alloc(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  const src = new BufferSource(data, 'x');
  const cached = new BlockCacheSource(src, 4096, 3);
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  for (let k = 0; k < 2000; k++) {
    const off = rnd(data.length + 10);
    const len = k % 50 === 0 ? rnd(20_000) : rnd(9000);
    assert.deepEqual(await cached.read(off, len), await src.read(off, len), `read(${off}, ${len})`);
  }
});
