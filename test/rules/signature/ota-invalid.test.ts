import { ruleTester } from '../harness';
import { buildZip, type ZipEntryInput } from '../../../fixtures/builders/zip';
import { makeTestSigner, signJar, signWholeFile, type TestSigner } from '../../../fixtures/builders/ota-sign';

let s: Promise<TestSigner> | undefined;
const signer = () => (s ??= makeTestSigner({ cn: 'rule test' }));
const members = (): ZipEntryInput[] => [
  { name: 'META-INF/com/android/metadata', data: Buffer.from('ota-type=BLOCK\npre-device=demo\npost-timestamp=1\n') },
  { name: 'system.new.dat', data: Buffer.alloc(8192, 7) },
];

ruleTester('signature/ota-invalid', {
  valid: [
    { name: 'a whole-file signature that verifies', file: 'ota.zip', build: async () => signWholeFile(buildZip(members()), await signer()) },
    { name: 'a JAR signature that verifies', file: 'ota.zip', build: async () => buildZip(signJar(members(), await signer())) },
  ],
  invalid: [
    {
      name: 'one byte changed after whole-file signing',
      file: 'ota.zip',
      build: async () => {
        const z = signWholeFile(buildZip(members()), await signer());
        z[200] ^= 1;
        return z;
      },
      errors: [{ path: '', message: /^whole-file signature: the SHA256 signature does not verify/ }],
    },
    {
      name: 'a PKCS#7 block that is not DER',
      file: 'ota.zip',
      build: async () => signWholeFile(buildZip(members()), await signer(), { block: Buffer.from('0123456789abcdef') }),
      errors: [{ path: '', message: 'whole-file signature: the PKCS#7 block' }],
    },
    {
      name: 'a JAR-signed member changed after signing',
      file: 'ota.zip',
      build: async () => buildZip(signJar(members(), await signer()).map((e) => (e.name === 'system.new.dat' ? { ...e, data: Buffer.alloc(8192, 8) } : e))),
      errors: [{ path: 'system.new.dat', message: 'META-INF/MANIFEST.MF says' }],
    },
  ],
});
