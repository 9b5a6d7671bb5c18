import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildTar } from '../../../fixtures/builders/tar';
import { buildLz4Frame, buildLz4Legacy } from '../../../fixtures/builders/lz4';
import { gzipSync } from 'node:zlib';
import { compressible, pseudoRandom } from '../../../fixtures/builders/data';

const data = Buffer.concat([compressible(150000, 4), pseudoRandom(50000, 5)]);
const tar = () =>
  buildTar([
    { name: 'one.bin', data },
    { name: 'two.txt', data: Buffer.from('two\n') },
  ]);

ruleTester('integrity/truncated', {
  valid: [
    { name: 'complete tar', file: 'ok.tar', build: tar },
    { name: 'complete lz4 frame', file: 'ok.img.lz4', build: () => buildLz4Frame(data, { contentChecksum: true }) },
    { name: 'complete gzip', file: 'ok.gz', build: () => gzipSync(data) },
  ],
  invalid: [
    { name: 'tar cut inside a member', file: 'cut.tar', build: () => tar().subarray(0, 100000), errors: [{ path: '' }, { path: 'one.bin' }] },
    { name: 'tar without its end marker', file: 'noend.tar', build: () => buildTar([{ name: 'a', data: Buffer.from('a') }], { noEndMarker: true }), errors: [{ path: '', message: 'end-of-archive' }] },
    { name: 'lz4 frame cut short', file: 'cut.img.lz4', build: async () => (await buildLz4Frame(data)).subarray(0, 30000), errors: [{ path: '', message: 'offset' }] },
    { name: 'lz4 legacy cut short', file: 'cut-legacy.lz4', build: () => buildLz4Legacy(data).subarray(0, 5000), errors: [{ path: '' }] },
    { name: 'gzip cut short', file: 'cut.gz', build: () => gzipSync(data).subarray(0, 20000), errors: [{ path: '', message: 'gzip' }] },
    {
      name: 'zip without its central directory (cut download)',
      file: 'cut.zip',
      build: () => buildZip([{ name: 'a.bin', data }]).subarray(0, 120000),
      errors: [
        { path: '', message: 'recovered' },
        { path: 'a.bin', message: 'past the end' },
      ],
    },
  ],
});
