import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildTar } from '../../../fixtures/builders/tar';

const d = Buffer.from('x\n');

ruleTester('format/unsafe-path', {
  valid: [
    {
      name: 'nested relative names',
      file: 'ok.zip',
      build: () =>
        buildZip([
          { name: 'META-INF/com/android/metadata', data: d },
          { name: 'a..b/c..', data: d },
        ]),
    },
    { name: 'tar with ./ names', file: 'ok.tar', build: () => buildTar([{ name: './boot.img', data: d }]) },
  ],
  invalid: [
    {
      name: 'zip member climbing out, absolute and drive-letter names',
      file: 'evil.zip',
      build: () =>
        buildZip([
          { name: '../../etc/cron.d/x', data: d },
          { name: '/etc/passwd', data: d },
          { name: 'C:\\Windows\\x.dll', data: d },
          { name: 'fine.txt', data: d },
        ]),
      errors: [
        { path: '../../etc/cron.d/x', message: '..' },
        { path: '/etc/passwd', message: 'absolute' },
        { path: 'C:/Windows/x.dll', message: 'drive letter' },
      ],
    },
    { name: 'tar member with ..', file: 'evil.tar', build: () => buildTar([{ name: 'images/../../x', data: d }]), errors: [{ path: 'images/../../x' }] },
  ],
});
