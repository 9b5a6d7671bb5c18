/**
 * The human output on terminals of 60, 80, 120 and 200 columns: no line
 * wider than the terminal, and nothing from the report cut mid-word (every
 * word of a message, rule, path or details appears whole on some line). The
 * reports are real ones: the demo packages, and images made by mkbootimg
 * and img2simg, plus a finding with hostile text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/pipeline/inspect';
import { renderTable, artifactDetails } from '../../src/report/table';
import { ANSI, PLAIN, humanSize, terminalSafe } from '../../src/report/format';
import { textWidth, wrapText } from '../../src/report/layout';
import { walkArtifacts, type Artifact, type Report } from '../../src/report/model';
import { buildVbmeta } from '../../fixtures/builders/avb';
import { newRsaKeyPair } from '../../fixtures/builders/keys';
import { pseudoRandom } from '../../fixtures/builders/data';
import { ROOT, requireTools, runTool, tempDir } from '../helpers';

const WIDTHS = [60, 80, 120, 200];
const DEMO = join(ROOT, 'fixtures', 'demo', 'demo-rom.zip');
const CORRUPT = join(ROOT, 'fixtures', 'demo', 'demo-corrupt.zip');
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** Words of the report a reader looks for: each must appear whole (between spaces or borders) on some line. */
function words(r: Report): string[] {
  const out: string[] = [];
  for (const f of r.findings) out.push(f.ruleId, ...terminalSafe(f.path).split(/\s+/), ...terminalSafe(f.message).split(/\s+/));
  for (const a of walkArtifacts(r.root)) out.push(...terminalSafe(a.path).split(/\s+/), a.format, ...artifactDetails(a).split(/\s+/));
  return out.filter((w) => w !== '');
}

function checkWidths(r: Report, name: string): void {
  for (const colors of [PLAIN, ANSI]) {
    for (const width of WIDTHS) {
      const text = strip(renderTable(r, { colors, width }));
      const lines = text.split('\n');
      for (const l of lines) assert.ok(textWidth(l) <= width, `${name} at ${width}: a line of ${textWidth(l)} columns:\n${l}`);
      const tokens = new Set(lines.flatMap((l) => l.split(/[\s│]+/)));
      // Only a word wider than the column it lands in may be split (a 64-digit digest at 60 columns); message columns start at column 11, nested paths at 2 a level.
      for (const w of words(r)) {
        if (textWidth(w) > width - 20) continue;
        assert.ok(tokens.has(w), `${name} at ${width}: "${w}" is not whole in\n${text}`);
      }
    }
  }
}

test('wrapText: words kept whole, only a word wider than the line is split', () => {
  assert.deepEqual(wrapText('pageSize=2048 headerVersion=2 board=demo', 20), ['pageSize=2048', 'headerVersion=2', 'board=demo']);
  assert.deepEqual(wrapText('a bb ccc', 4), ['a bb', 'ccc']);
  assert.deepEqual(wrapText('x'.repeat(10), 4), ['xxxx', 'xxxx', 'xx']);
  assert.deepEqual(wrapText('日本語 日本語', 7), ['日本語', '日本語']);
});

test('the demo packages at 60, 80, 120 and 200 columns', async () => {
  for (const file of [DEMO, CORRUPT]) checkWidths(await inspect(file), file);
});

test('a table where it fits, a list below: the findings of the corrupt demo', async () => {
  const r = await inspect(CORRUPT);
  const narrow = renderTable(r, { colors: PLAIN, width: 80 });
  const wide = renderTable(r, { colors: PLAIN, width: 200 });
  assert.match(wide, /│ severity │ rule/, 'a table at 200 columns');
  assert.doesNotMatch(narrow, /│ severity │/, 'no findings table at 80 columns');
  // Stylish: the artifact, then severity and rule aligned, then the message under them.
  assert.match(narrow, /^AP_DEMO\.tar\.md5\/boot\.img\.lz4\n {2}error {4}format\/unreadable\n {11}corrupt LZ4 block/m);
  assert.match(narrow, /^ {2}warning {2}integrity\/listed-file-missing$/m);
  // Piped (no width): one finding a line, as before.
  const piped = renderTable(r, { colors: PLAIN });
  for (const f of r.findings)
    assert.ok(
      piped.split('\n').some((l) => l.includes(f.ruleId) && l.includes(f.message)),
      `${f.ruleId} on one line`,
    );
});

test('hostile text stays escaped and within the width', async () => {
  const r = await inspect(CORRUPT);
  r.findings.push({ ...r.findings[0], path: 'evil\x1b]0;title\x07name', message: `a\x1b[2Jb ${'long-word-'.repeat(3)} \u202eright-to-left ${'pageSize=2048 '.repeat(12)}` });
  for (const width of WIDTHS) {
    const text = renderTable(r, { colors: PLAIN, width });
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f\u202e]/, 'no raw control or bidi character');
    assert.match(text, /a\\x1b\[2Jb/);
    for (const l of text.split('\n')) assert.ok(textWidth(l) <= width, `${width}: ${l}`);
  }
  checkWidths(r, 'hostile');
});

function artifactAt(root: Artifact, format: string): Artifact {
  const a = [...walkArtifacts(root)].find((x) => x.format === format);
  assert.ok(a, `an artifact of format ${format}`);
  return a;
}

test('details: a boot image made by mkbootimg shows its OS version, patch level, board and command line', async (t) => {
  if (!requireTools(t, 'mkbootimg')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'kernel'), pseudoRandom(5000, 1));
  writeFileSync(join(dir, 'ramdisk'), pseudoRandom(700, 2));
  const out = join(dir, 'boot.img');
  runTool(
    'mkbootimg',
    [
      '--kernel',
      'kernel',
      '--ramdisk',
      'ramdisk',
      '--os_version',
      '13.0.0',
      '--os_patch_level',
      '2023-07',
      '--board',
      'demoboard',
      '--cmdline',
      'console=ttyMSM0 androidboot.hardware=qcom',
      '--header_version',
      '1',
      '-o',
      out,
    ],
    { cwd: dir },
  );
  const r = await inspect(out);
  assert.equal(artifactDetails(artifactAt(r.root, 'android-boot')), 'boot v1, OS 13.0.0, patch 2023-07, board demoboard, cmdline console=ttyMSM0 androidboot.hardware=qcom');
  checkWidths(r, 'mkbootimg');
});

test('details: a sparse image made by img2simg shows the size it expands to', async (t) => {
  if (!requireTools(t, 'img2simg')) return;
  const dir = tempDir(t);
  const raw = Buffer.concat([pseudoRandom(3 << 12, 3), Buffer.alloc(40 << 12)]);
  writeFileSync(join(dir, 'raw.img'), raw);
  runTool('img2simg', [join(dir, 'raw.img'), join(dir, 'system.img')]);
  const r = await inspect(join(dir, 'system.img'));
  assert.match(artifactDetails(artifactAt(r.root, 'android-sparse')), new RegExp(`^expands to ${humanSize(raw.length).replace('.', '\\.')}, \\d+ chunks, blocks of 4\\.00 KiB$`));
});

test('details: a vbmeta shows its algorithm, rollback index and flags', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'vbmeta.img');
  writeFileSync(file, buildVbmeta({ algorithm: 'SHA256_RSA2048', key: newRsaKeyPair(2048).privateKey, rollbackIndex: 7, flags: 2 }));
  const r = await inspect(file);
  assert.match(artifactDetails(artifactAt(r.root, 'avb-vbmeta')), /^SHA256_RSA2048, rollback index 7, flags 2 \(verification-disabled\), signature \w+/);
});

test('details: an ext4 file system made by mke2fs shows its type, label and size', async (t) => {
  if (!requireTools(t, 'mke2fs')) return;
  const dir = tempDir(t);
  const img = join(dir, 'vendor.img');
  runTool('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'vendor', '-b', '4096', img, '2M']);
  const r = await inspect(img);
  assert.match(artifactDetails(artifactAt(r.root, 'ext4')), /^ext4, label "vendor", size 2\.00 MiB, \d+ files?, state clean$/);
});

test('details: a vendor_boot image made by mkbootimg shows its board and vendor command line', async (t) => {
  if (!requireTools(t, 'mkbootimg')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'ramdisk'), pseudoRandom(700, 4));
  writeFileSync(join(dir, 'dtb'), pseudoRandom(300, 5));
  const out = join(dir, 'vendor_boot.img');
  runTool('mkbootimg', ['--header_version', '4', '--vendor_boot', out, '--vendor_ramdisk', 'ramdisk', '--dtb', 'dtb', '--vendor_cmdline', 'console=ttyS0 androidboot.console=ttyS0', '--board', 'vendorboard'], {
    cwd: dir,
  });
  const r = await inspect(out);
  assert.match(artifactDetails(artifactAt(r.root, 'android-boot')), /^vendor_boot v4, board vendorboard, cmdline console=ttyS0 androidboot\.console=ttyS0\b/);
  checkWidths(r, 'vendor_boot');
});
