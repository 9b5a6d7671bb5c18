import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';

const d = Buffer.from('payload\n');

ruleTester('format/unsupported', {
  valid: [
    {
      name: 'stored and deflated members',
      file: 'ok.zip',
      build: () =>
        buildZip([
          { name: 'a', data: d },
          { name: 'b', data: d, method: 'deflate' },
        ]),
    },
  ],
  invalid: [
    {
      name: 'bzip2-compressed member',
      file: 'bz.zip',
      build: () =>
        buildZip([
          { name: 'a', data: d, rawMethod: 12 },
          { name: 'b', data: d },
        ]),
      errors: [{ path: 'a', message: 'bzip2' }],
    },
    { name: 'encrypted member', file: 'enc.zip', build: () => buildZip([{ name: 'secret.img', data: d, flags: 1 }]), errors: [{ path: 'secret.img', message: 'encrypted' }] },
  ],
});
