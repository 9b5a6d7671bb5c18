import { phrases, sized } from '../summary';
/**
 * The AVB footer at the end of a partition image (FORMATS.md §5.7): 64 bytes,
 * magic "AVBf", big-endian. The footer alone is described here; following it
 * to its vbmeta blob, and checking the image against that vbmeta, is done by
 * the image's parent (image.ts, called by the walk and by android-boot).
 */
import type { DocumentHandler } from '../types';
import { AVB_FOOTER_SIZE, AVB_FOOTER_MAGIC, footerProblems, parseFooter } from './image';
import { u64Value } from '../avb-vbmeta/structs';
import type { AvbFooterInfo } from '../../report/info';

export const avbFooterHandler: DocumentHandler = {
  id: 'avb-footer',
  summary: (i) => phrases(sized('image', i.originalImageSize), sized('vbmeta', i.vbmetaSize)),
  kind: 'document',
  traits: { role: 'signature', confidence: 'magic' },
  description: 'AVB footer (last 64 bytes of a partition image)',
  maxBytes: AVB_FOOTER_SIZE,
  detect: ({ peek, size }) => size === AVB_FOOTER_SIZE && peek.toString('latin1', 0, 4) === AVB_FOOTER_MAGIC,
  decode(b, ctx): AvbFooterInfo {
    const f = parseFooter(b);
    for (const p of footerProblems(f)) ctx.fact({ kind: 'avb-invalid', ...p });
    return {
      version: `${f.major}.${f.minor}`,
      originalImageSize: u64Value(f.originalImageSize),
      vbmetaOffset: u64Value(f.vbmetaOffset),
      vbmetaSize: u64Value(f.vbmetaSize),
    };
  },
};
