import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildPayload } from '../../../fixtures/builders/payload';
import { makeTestSigner, signWholeFile } from '../../../fixtures/builders/ota-sign';
import { pseudoRandom } from '../../../fixtures/builders/data';

const metadata = { name: 'META-INF/com/android/metadata', data: Buffer.from('ota-type=BLOCK\npre-device=demo\n') };

ruleTester('signature/ota-unsigned', {
  valid: [
    { name: 'a whole-file signed OTA package', file: 'ota.zip', build: async () => signWholeFile(buildZip([metadata]), await makeTestSigner()) },
    { name: 'a zip that is not an OTA package', file: 'images.zip', build: () => buildZip([{ name: 'boot.img', data: Buffer.alloc(10) }]) },
  ],
  invalid: [
    { name: 'an OTA package without a whole-file signature', file: 'ota.zip', build: () => buildZip([metadata]), errors: [{ path: '', message: 'has no whole-file signature (signapk -w)' }] },
    {
      name: 'an unsigned payload.bin',
      file: 'payload.bin',
      build: () => buildPayload([{ name: 'boot', data: pseudoRandom(4096, 1) }]).payload,
      errors: [{ path: '', message: 'payload.bin is not signed' }],
    },
  ],
});
