/**
 * Every listed path extracts, also one whose last segment is longer than a
 * file name may be (fuzz seed 20261207 case 50680: a tar member name of
 * NULs and header bytes gave ENAMETOOLONG). Into a directory, the name is
 * cut to 200 bytes keeping its start and end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeBaseName, MAX_OUTPUT_NAME_BYTES } from '../../src/io/paths';
import { buildZip } from '../../fixtures/builders/zip';
import { runCli, tempDir } from '../helpers';

test('safeBaseName: long names (ASCII and multi-byte) are cut to 200 bytes, keeping the start and the extension', () => {
  const ascii = `${'a'.repeat(300)}.img`;
  const cut = safeBaseName(ascii);
  assert.ok(Buffer.byteLength(cut) <= MAX_OUTPUT_NAME_BYTES);
  assert.ok(cut.startsWith('aaaa') && cut.endsWith('a.img') && cut.includes('~'));
  const wide = `${'é'.repeat(200)}.bin`;
  const w = safeBaseName(wide);
  assert.ok(Buffer.byteLength(w) <= MAX_OUTPUT_NAME_BYTES);
  assert.ok(!w.includes('\ufffd'), 'no character cut in half');
  assert.equal(safeBaseName('boot.img'), 'boot.img');
});

test('extract into a directory: a member with a 300-byte name is written, with its bytes', (t) => {
  const dir = tempDir(t);
  const name = `${'x'.repeat(300)}.img`;
  const data = Buffer.from('member bytes');
  const zip = join(dir, 'p.zip');
  writeFileSync(zip, buildZip([{ name, data }]));
  const out = join(dir, 'out') + '/';
  const r = runCli(['extract', zip, name, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(out);
  assert.equal(files.length, 1);
  assert.ok(readFileSync(join(out, files[0])).equals(data));
});
