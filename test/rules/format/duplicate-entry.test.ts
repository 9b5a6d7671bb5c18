import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';

const a = Buffer.from('signed\n');
const b = Buffer.from('evil\n');

ruleTester('format/duplicate-entry', {
  valid: [
    {
      name: 'distinct names',
      file: 'ok.zip',
      build: () =>
        buildZip([
          { name: 'classes.dex', data: a },
          { name: 'lib/classes.dex', data: b },
        ]),
    },
    {
      name: 'names differing only in case are distinct',
      file: 'case.zip',
      build: () =>
        buildZip([
          { name: 'Boot.img', data: a },
          { name: 'boot.img', data: b },
        ]),
    },
  ],
  invalid: [
    {
      name: 'two members named classes.dex ("Master Key")',
      file: 'dup.zip',
      build: () =>
        buildZip([
          { name: 'classes.dex', data: a },
          { name: 'classes.dex', data: b },
        ]),
      errors: [{ path: 'classes.dex#2', message: 'classes.dex#2' }],
    },
  ],
});
