import { createHash } from 'node:crypto';
import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';

const a = Buffer.from('a\n');
const sum = createHash('sha256').update(a).digest('hex');

ruleTester('integrity/listed-file-missing', {
  valid: [
    {
      name: 'every listed file is present',
      file: 'p.zip',
      build: () =>
        buildZip([
          { name: 'a.img', data: a },
          { name: 'SHA256SUMS', data: Buffer.from(`${sum}  a.img\n`) },
        ]),
    },
  ],
  invalid: [
    {
      name: 'a listed image is missing',
      file: 'p.zip',
      build: () =>
        buildZip([
          { name: 'a.img', data: a },
          { name: 'SHA256SUMS', data: Buffer.from(`${sum}  a.img\n${sum}  vendor.img\n`) },
        ]),
      errors: [{ path: 'SHA256SUMS', message: 'vendor.img' }],
    },
  ],
});
