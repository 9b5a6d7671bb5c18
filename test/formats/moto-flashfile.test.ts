/**
 * Motorola flashfile.xml / servicefile.xml in a package: each flash step's
 * MD5 is checked against the image it names, the header's configuration
 * digests against their files, a flashed image the package lacks is
 * layout/missing-image, and the phone model and software version become
 * compat declarations and build facts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '../../src/index';
import { parseFlashfile } from '../../src/formats/moto-flashfile';
import { buildFlashfile } from '../../fixtures/builders/moto-flashfile';
import { buildZip } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { tempDir } from '../helpers';
import { artifactAt, describe, md5 } from '../interop/util';
import { createHash } from 'node:crypto';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

test('a Motorola package: step MD5s and header digests are checked, a missing image is layout/missing-image', async (t) => {
  const boot = pseudoRandom(5000, 1);
  const chunk0 = pseudoRandom(3000, 2);
  const chunk1 = pseudoRandom(3000, 3);
  const cid = Buffer.from('cid template');
  const flashfile = buildFlashfile({
    model: 'milan_g',
    version: 'milan_g-user 12 S3RDES32.123-37-5-11 502d0 release-keys',
    config: [
      { element: 'cid_template_config', name: 'cid_template.dat', sha1: sha1(cid) },
      { element: 'regulatory_config', name: 'regulatory_info_default.png', sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      { element: 'subsidy_lock_config', name: 'slcf.nvm', md5: '12'.repeat(16) },
    ],
    steps: [
      { operation: 'getvar', var: 'max-sparse-size' },
      { operation: 'flash', partition: 'boot_a', filename: 'boot.img', md5: md5(boot) },
      { operation: 'flash', partition: 'super', filename: 'super.img_sparsechunk.0', md5: md5(chunk0) },
      // A damaged piece: its MD5 is not the file's.
      { operation: 'flash', partition: 'super', filename: 'super.img_sparsechunk.1', md5: md5(chunk0) },
      { operation: 'flash', partition: 'vbmeta_a', filename: 'vbmeta.img', md5: '34'.repeat(16) },
      { operation: 'erase', partition: 'nvdata' },
    ],
  });
  const file = join(tempDir(t), 'XT2211_MILAN.zip');
  writeFileSync(
    file,
    buildZip([
      { name: 'fw/flashfile.xml', data: flashfile },
      { name: 'fw/boot.img', data: boot },
      { name: 'fw/super.img_sparsechunk.0', data: chunk0 },
      { name: 'fw/super.img_sparsechunk.1', data: chunk1 },
      { name: 'fw/cid_template.dat', data: cid },
    ]),
  );
  const r = await inspect(file);
  const found = r.findings.map((f) => `${f.ruleId} ${f.path}: ${f.message}`).sort();
  assert.equal(r.findings.length, 3, describe(r.findings));
  assert.match(found[0], /^integrity\/checksum-file fw\/super\.img_sparsechunk\.1: md5 is [0-9a-f]{32}, fw\/flashfile\.xml step 4 says [0-9a-f]{32}$/);
  assert.equal(found[1], 'integrity/listed-file-missing fw/flashfile.xml: <subsidy_lock_config> gives the md5 of "slcf.nvm", which is not in the package (fw/flashfile.xml)');
  assert.equal(found[2], 'layout/missing-image fw/flashfile.xml: vbmeta_a is flashed from "vbmeta.img", which is not in the package');
  // 5 zip CRCs, 3 step MD5s and the cid template's SHA-1; one fails.
  assert.deepEqual(r.summary.integrity, { status: 'failed', checks: 9, failed: 1 });
  const ff = artifactAt(r.root, 'fw/flashfile.xml');
  assert.equal(ff.format, 'moto-flashfile');
  assert.equal(ff.info.phoneModel, 'milan_g');
  assert.equal(ff.info.stepCount, 6);
  assert.equal(ff.info.md5Count, 4);
  assert.deepEqual(r.summary.compatibility.declared.device, ['milan_g']);
});

test('flashfile parsing: steps, digests and problems in words', () => {
  const p = parseFlashfile(
    '<flashing><header><phone_model model="x"/><subsidy_lock_config MD5="zz" name="a"/></header><steps><step operation="flash" partition="boot"/><step MD5="123" filename="a" operation="flash" partition="a"/></steps></flashing>',
  );
  assert.equal(p.phoneModel, 'x');
  assert.deepEqual(p.problems, ['<subsidy_lock_config>: MD5="zz" is not a MD5 digest', 'step 1: a flash step without filename', 'step 2: MD5="123" is not an MD5 digest']);
  assert.deepEqual(parseFlashfile('<!DOCTYPE flashing [<!ENTITY x "y">]><flashing/>').steps, []);
  assert.match(parseFlashfile('<!DOCTYPE flashing [<!ENTITY x "y">]><flashing/>').problems[0], /DOCTYPE|declaration/i);
});
