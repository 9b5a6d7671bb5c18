import { ruleTester } from '../harness';
import { buildPayload } from '../../../fixtures/builders/payload';
import { buildAbOtaZip, type AbOtaInput } from '../../../fixtures/builders/ota-zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const built = buildPayload([{ name: 'boot', data: pseudoRandom(3 * 4096, 5), type: 'REPLACE_XZ' }]);
const CARE_MAP = pseudoRandom(300, 7);

function ota(opts: Partial<AbOtaInput> = {}): Buffer {
  return buildAbOtaZip({ payload: built.payload, properties: built.properties, extra: [{ name: 'care_map.pb', data: CARE_MAP }], ...opts }).zip;
}

/** Changes one entry `name:offset:size` of a list. */
const shift =
  (name: string, dOffset: number, dSize = 0) =>
  (v: string) =>
    v
      .split(',')
      .map((t) => {
        const [n, o, s] = t.split(':');
        return n === name ? `${n}:${Number(o) + dOffset}:${Number(s) + dSize}` : t;
      })
      .join(',');

ruleTester('integrity/ota-property-files', {
  valid: [
    { name: 'every entry of both lists is the data of a stored member (payload_metadata.bin: header, manifest, metadata signature)', file: 'ota.zip', build: () => ota() },
    { name: 'the same lists in metadata and metadata.pb', file: 'ota.zip', build: () => ota({ metadataPb: true }) },
    { name: 'a package without property lists (older packages)', file: 'ota.zip', build: () => ota({ edit: () => '' }) },
  ],
  invalid: [
    {
      name: 'payload.bin moved by 64 bytes (a re-zipped package)',
      file: 'ota.zip',
      build: () => ota({ edit: shift('payload.bin', 64) }),
      errors: [{ path: '', message: /^ota-property-files \(META-INF\/com\/android\/metadata\): payload\.bin:\d+:\d+, but payload\.bin's data starts at offset \d+ and has that size$/ }],
    },
    {
      name: 'payload_metadata.bin one byte short, and a member the package lacks',
      file: 'ota.zip',
      build: () => ota({ edit: (v) => shift('payload_metadata.bin', 0, -1)(v) + ',apex_info.pb:100:10' }),
      errors: [
        { path: '', message: "payload.bin's header, manifest and metadata signature starts there and is" },
        { path: '', message: 'apex_info.pb is not in the package' },
      ],
    },
    {
      name: 'a compressed member cannot be fetched by byte range',
      file: 'ota.zip',
      build: () => ota({ extra: [{ name: 'care_map.pb', data: Buffer.alloc(4000, 1), method: 'deflate' }] }),
      // Listed in both lists.
      errors: [
        { path: '', message: 'care_map.pb: care_map.pb is compressed' },
        { path: '', message: 'care_map.pb: care_map.pb is compressed' },
      ],
    },
    {
      name: 'an entry that is not name:offset:size, listed in metadata and metadata.pb alike (one finding)',
      file: 'ota.zip',
      build: () => ota({ metadataPb: true, edit: (v) => v + ',payload.bin:12' }),
      errors: [{ path: '', message: /^ota-property-files \(META-INF\/com\/android\/metadata, META-INF\/com\/android\/metadata\.pb\): entry "payload\.bin:12" is not name:offset:size$/ }],
    },
  ],
});
