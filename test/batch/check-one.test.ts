/** checkFile: one read gives the report and the input's sha256 (compared with sha256sum), and the row `romscope check` would give. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { checkFile } from '../../src/batch/check-one';
import { UsageError } from '../../src/io/errors';
import { VERSION } from '../../src/version';
import { requireTools, runCli, runTool, tempDir } from '../helpers';
import { badCrcZip, goodZip, htmlPage, writeAll } from './packages';

test('checkFile: row fields, sha256 as sha256sum gives it, exit code as romscope check gives it', async (t: TestContext) => {
  if (!requireTools(t, 'sha256sum')) return;
  const dir = tempDir(t);
  const paths = writeAll(dir, { 'good.zip': goodZip(), 'bad.zip': badCrcZip(), 'page.zip': htmlPage() });
  for (const p of paths) {
    const { row, report } = await checkFile(p);
    assert.equal(row.sha256, runTool('sha256sum', [p]).stdout.toString().split(' ')[0], p);
    assert.equal(row.path, p);
    assert.equal(row.size, statSync(p).size);
    assert.equal(row.mtimeMs, statSync(p).mtimeMs);
    assert.equal(row.exitCode, runCli(['check', '-q', p]).code, p);
    assert.equal(row.compatibility, report.summary.compatibility.verdict);
    assert.equal(row.integrity, report.summary.integrity.status);
    assert.equal(row.signature, report.summary.signature.status);
    assert.equal(row.errors, report.summary.errors);
    assert.equal(row.romscopeVersion, VERSION);
    assert.ok(!Number.isNaN(Date.parse(row.checkedAt)));
    assert.deepEqual(JSON.parse(row.report), JSON.parse(runCli(['inspect', '--json', p]).stdout));
  }
  const bad = await checkFile(paths[1]);
  assert.equal(bad.row.integrity, 'failed');
  assert.equal(bad.row.exitCode, 1);
  // --fail-on none passes it; the queue's URL and null mtime go into the row as given.
  const lenient = await checkFile(paths[1], { failOn: 'none', rowPath: 'https://example.test/bad.zip', mtimeMs: null });
  assert.equal(lenient.row.exitCode, 0);
  assert.equal(lenient.row.path, 'https://example.test/bad.zip');
  assert.equal(lenient.row.mtimeMs, null);
  await assert.rejects(checkFile(`${dir}/missing.zip`), (e) => e instanceof UsageError && /no such file/.test(e.message));
});
