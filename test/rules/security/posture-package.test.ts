/**
 * Issue 14's "done when" for the posture rules: a debuggable user build
 * packaged as a sparse ext4 system.img in a zip (with a su binary, a setuid
 * helper, a world-writable file and a root shell service) gets every
 * security/* rule; the same package built clean gets none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../../src/pipeline/inspect';
import { RELEASE_PROPS } from '../../../fixtures/builders/posture';
import { requireTools, tempDir } from '../../helpers';
import { sparseSystemZip } from './cases';

test('security posture: every rule fires on a debuggable user build (sparse ext4 in a zip), none on a clean one', async (t) => {
  if (!requireTools(t, 'mke2fs', 'img2simg')) return;
  const dir = tempDir(t);
  const bad = join(dir, 'bad.zip');
  writeFileSync(
    bad,
    sparseSystemZip({
      props: { ...RELEASE_PROPS, 'ro.debuggable': '1', 'ro.secure': '0' },
      extra: {
        'system/xbin/su': { type: 'file', data: 'su', mode: 0o6755 },
        'system/bin/helper': { type: 'file', data: 'h', mode: 0o4755 },
        'system/etc/open.conf': { type: 'file', data: 'x', mode: 0o666 },
        'system/etc/init/root.rc': { type: 'file', data: 'service root /system/bin/sh\n    user root\n    seclabel u:r:su:s0\n' },
      },
    }),
  );
  const clean = join(dir, 'clean.zip');
  writeFileSync(clean, sparseSystemZip());
  const ids = async (f: string) => [...new Set((await inspect(f)).findings.map((x) => x.ruleId).filter((id) => id.startsWith('security/')))].sort();
  assert.deepEqual(await ids(bad), ['security/debuggable-user-build', 'security/root-service', 'security/setuid-file', 'security/su-binary', 'security/world-writable']);
  const report = await inspect(clean);
  assert.deepEqual(report.findings, [], JSON.stringify(report.findings));
});
