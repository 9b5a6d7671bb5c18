import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';

const zeros = Buffer.alloc(4 << 20);
const nest = (levels: number): Buffer => {
  let z = buildZip([{ name: 'core.txt', data: Buffer.from('core\n') }]);
  for (let i = 0; i < levels; i++) z = buildZip([{ name: `l${i}.zip`, data: z }]);
  return z;
};

ruleTester('format/budget-exceeded', {
  valid: [
    { name: 'four levels of nesting under the default budget', file: 'nest.zip', build: () => nest(4) },
    { name: 'highly compressible member within the expansion budget', file: 'zeros.zip', build: () => buildZip([{ name: 'userdata.img', data: zeros, method: 'deflate' }]) },
  ],
  invalid: [
    {
      name: 'nesting deeper than --max-depth',
      file: 'deep.zip',
      build: () => nest(4),
      options: { budget: { maxDepth: 2 } },
      errors: [{ path: 'l3.zip/l2.zip/l1.zip', message: 'levels deep' }],
    },
    {
      name: 'decompressed bytes over --max-expanded (a small zip bomb)',
      file: 'bomb.zip',
      build: () =>
        buildZip([
          { name: 'a.img', data: zeros, method: 'deflate' },
          { name: 'b.img', data: zeros, method: 'deflate' },
        ]),
      options: { budget: { maxExpandedBytes: 6 << 20 } },
      errors: [{ path: 'b.img', message: 'decompression bomb' }],
    },
    {
      name: 'more members than --max-members',
      file: 'many.zip',
      build: () => buildZip(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: Buffer.from([i]) }))),
      options: { budget: { maxMembers: 10 } },
      errors: [{ path: '', message: 'more than 10' }],
    },
    {
      name: 'out of time (--max-seconds 0): the members are not visited, the report is still made',
      file: 'slow.zip',
      build: () => buildZip(Array.from({ length: 3 }, (_, i) => ({ name: `f${i}`, data: Buffer.from([i]) }))),
      options: { budget: { maxSeconds: 0 } },
      errors: [{ path: '', message: 'more than 0 seconds (limit --max-seconds)' }],
    },
    {
      name: 'a zip central directory larger than --max-memory: that zip stops, its sibling is read',
      file: 'memory.zip',
      build: () =>
        buildZip([
          { name: 'big.zip', data: buildZip(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, data: Buffer.from([i]) }))) },
          { name: 'small.zip', data: buildZip([{ name: 'a', data: Buffer.from('a') }]) },
        ]),
      options: { budget: { maxMemoryBytes: 20_000 } },
      errors: [{ path: 'big.zip', message: 'memory budget reached: the zip central directory' }],
    },
    {
      name: 'overlapping members (non-recursive zip bomb)',
      file: 'overlap.zip',
      build: () =>
        buildZip([
          { name: 'kernel', data: zeros, method: 'deflate' },
          { name: 'copy1', data: zeros, aliasOf: 0 },
          { name: 'copy2', data: zeros, aliasOf: 0 },
        ]),
      errors: [
        { path: 'copy1', message: 'overlaps' },
        { path: 'copy2', message: 'overlaps' },
      ],
    },
  ],
});
