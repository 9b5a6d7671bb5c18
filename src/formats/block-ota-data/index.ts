/**
 * The data files of a block-based OTA (FORMATS.md §8): `<part>.new.dat` (the
 * new blocks, in the order the transfer list's `new` commands write them;
 * also the decoded `<part>.new.dat.br`) and `<part>.patch.dat` (the patches
 * of an incremental OTA, back to back). Neither is an image: a new.dat often
 * starts with the file system's first blocks, so its bytes look like an ext4
 * image cut short, but block N of the file is not block N of the partition.
 * The name decides, before any magic. The partition image is rebuilt from
 * the transfer list beside it (src/formats/block-ota/rebuild.ts); alone, the
 * file is listed and hashed, and its info says what it needs.
 */
import type { OpaqueHandler } from '../types';
import { OTA_BLOCK } from '../block-ota/transfer-list';

const DATA_NAME = /(?:^|\/)([^/]+)\.(new|patch)\.dat$/i;

export const blockOtaDataHandler: OpaqueHandler = {
  id: 'block-ota-data',
  kind: 'opaque',
  traits: { role: 'update', confidence: 'exact-name' },
  description: 'block OTA data: <part>.new.dat (new blocks in transfer-list order) or <part>.patch.dat (patches); not an image by itself',
  detect: ({ name }) => DATA_NAME.test(name),
  describe: ({ name, size }) => {
    const m = DATA_NAME.exec(name);
    if (!m) return {};
    const [, part, kind] = m;
    return {
      partition: part,
      kind: kind.toLowerCase(),
      blocks: kind.toLowerCase() === 'new' && size !== null ? Math.floor(size / OTA_BLOCK) : undefined,
      rebuiltWith: `${part}.transfer.list`,
    };
  },
  summary: (info) => {
    const part = typeof info.partition === 'string' ? info.partition : '?';
    if (info.kind === 'patch') return [`patches for ${part}`, `applied with ${part}.transfer.list`];
    const blocks = typeof info.blocks === 'number' ? `${info.blocks} blocks` : 'blocks';
    return [`new ${blocks} of ${part} in transfer-list order`, `rebuilt with ${part}.transfer.list`];
  },
};
