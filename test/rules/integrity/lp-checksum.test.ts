import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildSparse } from '../../../fixtures/builders/sparse';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { buildSuperEmpty, buildSuperImage, lpCopyOffset, type LpBreaks, type LpMetadataSpec } from '../../../fixtures/builders/super';

// Small images: 4 KiB metadata copies, 2 slots, data from sector 56 (4 KiB alignment).
const GEO = { metadataMaxSize: 4096, slotCount: 2 };
const md: LpMetadataSpec = {
  version: '10.2',
  groups: [{ name: 'main', maximumSize: 1 << 20 }],
  blockDevices: [{ alignment: 4096 }],
  partitions: [
    { name: 'system', group: 'main', attributes: ['readonly'], data: pseudoRandom(16 * 1024, 1) },
    { name: 'vendor', group: 'main', attributes: ['readonly'], extents: [{ data: pseudoRandom(4096, 2) }, { type: 'zero', sectors: 8 }] },
  ],
};
const empty: LpMetadataSpec = { version: '10.0', groups: [{ name: 'main', maximumSize: 1 << 20 }], partitions: [{ name: 'system', group: 'main' }] };
const full = (br: LpBreaks = {}) => buildSuperImage(md, GEO, br).image;
const at = (slot: number, copy: 'primary' | 'backup') => lpCopyOffset(GEO, { slot, copy });
/** The image as one sparse image of RAW chunks (what a factory super.img is). */
const sparse = (img: Buffer) => buildSparse([{ type: 'raw', data: img }]);

ruleTester('integrity/lp-checksum', {
  valid: [
    { name: 'a full super image whose geometry and metadata copies all verify', file: 'super.img', build: () => full() },
    { name: 'a super_empty.img that verifies', file: 'super_empty.img', build: () => buildSuperEmpty(empty, GEO) },
    { name: 'a sparse super.img in a zip', file: 'factory.zip', build: () => buildZip([{ name: 'super.img', data: sparse(full()) }]) },
    {
      name: 'rule breaks with correct checksums are not checksum failures (bad attribute bits, extent past the end)',
      file: 'super.img',
      build: () =>
        buildSuperImage(
          {
            ...md,
            version: '10.0',
            partitions: [
              { ...md.partitions[0], attributes: 0xf },
              { name: 'odm', group: 'main', extents: [{ data: Buffer.alloc(512), start: 1 << 20 }] },
            ],
          },
          GEO,
        ).image,
    },
  ],
  invalid: [
    {
      name: 'the primary geometry fails its SHA-256 (the backup is used)',
      file: 'super.img',
      build: () => full({ geometryChecksum: ['primary'] }),
      errors: [{ path: '', message: 'geometry at offset 4096: SHA-256 does not match' }],
    },
    {
      name: 'both geometry copies fail',
      file: 'super.img',
      build: () => full({ geometryChecksum: ['primary', 'backup'] }),
      errors: [
        { path: '', message: 'geometry at offset 4096: SHA-256 does not match' },
        { path: '', message: 'geometry at offset 8192: SHA-256 does not match' },
      ],
    },
    {
      name: "slot 0's primary metadata tables were changed after they were checksummed",
      file: 'super.img',
      build: () => full({ tablesBytes: [{ slot: 0, copy: 'primary' }] }),
      errors: [{ path: '', message: `slot 0 primary metadata (offset ${at(0, 'primary')}): metadata tables SHA-256 does not match` }],
    },
    {
      name: 'a backup header checksum and a primary tables checksum, in a zip',
      file: 'factory.zip',
      build: () => buildZip([{ name: 'images/super.img', data: full({ headerChecksum: [{ slot: 1, copy: 'backup' }], tablesChecksum: [{ slot: 1, copy: 'primary' }] }) }]),
      errors: [
        { path: 'images/super.img', message: `slot 1 primary metadata (offset ${at(1, 'primary')}): metadata tables SHA-256 does not match` },
        { path: 'images/super.img', message: `slot 1 backup metadata (offset ${at(1, 'backup')}): metadata header SHA-256 does not match` },
      ],
    },
    {
      name: 'a sparse super.img in a zip: reported on the expanded image',
      file: 'factory.zip',
      build: () => buildZip([{ name: 'super.img', data: sparse(full({ headerChecksum: [{ slot: 0, copy: 'backup' }] })) }]),
      errors: [{ path: 'super.img/raw', message: `slot 0 backup metadata (offset ${at(0, 'backup')}): metadata header SHA-256 does not match` }],
    },
    {
      name: 'a super_empty.img whose geometry fails',
      file: 'super_empty.img',
      build: () => buildSuperEmpty(empty, GEO, { geometryChecksum: ['primary'] }),
      errors: [{ path: '', message: 'geometry at offset 0: SHA-256 does not match' }],
    },
    {
      name: 'a super_empty.img whose metadata header and tables both fail',
      file: 'super_empty.img',
      build: () => buildSuperEmpty(empty, GEO, { headerChecksum: [{ slot: 0, copy: 'primary' }], tablesChecksum: [{ slot: 0, copy: 'primary' }] }),
      errors: [
        { path: '', message: 'slot 0 primary metadata (offset 4096): metadata header SHA-256 does not match' },
        { path: '', message: 'slot 0 primary metadata (offset 4096): metadata tables SHA-256 does not match' },
      ],
    },
  ],
});
