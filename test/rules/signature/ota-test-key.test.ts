import { X509Certificate } from 'node:crypto';
import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { makeTestSigner, signWholeFile } from '../../../fixtures/builders/ota-sign';
import { AOSP_TESTKEY_PEM } from '../../formats/aosp-testkey';

const metadata = { name: 'META-INF/com/android/metadata', data: Buffer.from('ota-type=AB\npre-device=demo\n') };

ruleTester('signature/ota-test-key', {
  valid: [
    { name: 'signed with a private key of its own', file: 'ota.zip', build: async () => signWholeFile(buildZip([metadata]), await makeTestSigner()) },
    { name: 'unsigned', file: 'ota.zip', build: () => buildZip([metadata]) },
  ],
  invalid: [
    {
      name: 'the AOSP testkey certificate as the whole-file signer',
      file: 'ota.zip',
      build: async () => {
        const s = await makeTestSigner();
        const cert = new X509Certificate(AOSP_TESTKEY_PEM);
        // Signed with another key under the test key's certificate: named (and failing signature/ota-invalid).
        return signWholeFile(buildZip([metadata]), { ...s, certificate: cert, certDer: cert.raw, certPem: AOSP_TESTKEY_PEM, digest: 'sha1' });
      },
      errors: [{ path: '', message: 'the OTA package is signed with the AOSP test key (testkey)' }],
    },
  ],
});
