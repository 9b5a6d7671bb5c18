/**
 * Block-based (non-A/B) OTAs (FORMATS.md §8): `<part>.transfer.list` with
 * `<part>.new.dat[.br]` and `<part>.patch.dat`. This handler describes the
 * transfer list; src/formats/block-ota/rebuild.ts rebuilds the partition image of a
 * full OTA from its siblings.
 */
import type { DocumentHandler } from '../types';
import { parseTransferList, overlappingWrites, OTA_BLOCK } from './transfer-list';

export const TRANSFER_LIST_NAME = /(?:^|\/)([^/]+)\.transfer\.list$/;
/** Transfer lists of big incremental OTAs run to tens of MiB. */
const MAX_LIST_BYTES = 64 << 20;

export const blockOtaHandler: DocumentHandler = {
  id: 'block-ota',
  kind: 'document',
  description: 'block-based OTA transfer list (versions 1-4) for <part>.new.dat[.br] / patch.dat',
  maxBytes: MAX_LIST_BYTES,
  // The name is the evidence that this text is a transfer list; the first line must agree.
  detect: ({ peek, name }) => TRANSFER_LIST_NAME.test(name) && /^\d+\r?\n/.test(peek.toString('latin1', 0, 16)),
  decode(bytes, ctx) {
    const tl = parseTransferList(bytes.toString('latin1'));
    for (const p of tl.problems.slice(0, 50)) ctx.fact({ kind: 'unreadable', message: `line ${p.line}: ${p.message}` });
    if (tl.problems.length > 50) ctx.fact({ kind: 'unreadable', message: `${tl.problems.length - 50} more bad lines` });
    for (const o of overlappingWrites(tl)) {
      ctx.fact({ kind: 'blockota-range', message: `line ${o.line} writes block ${o.block}, which line ${o.other} already writes` });
    }
    return {
      version: tl.version,
      totalBlocks: tl.totalBlocks,
      commands: tl.counts,
      newBlocks: tl.newBlocks,
      newDataBytes: tl.newBlocks * OTA_BLOCK,
      imageBlocks: tl.imageBlocks,
      imageBytes: tl.imageBlocks * OTA_BLOCK,
      incremental: tl.incremental,
      needsSourceImage: tl.incremental || undefined,
    };
  },
};
