/**
 * An image in the package is larger than the partition a layout in the same
 * package writes it to (GPT, PIT, scatter, rawprogram, super). Sparse images
 * are compared by their expanded size, compressed ones by their decoded size.
 */
import type { Rule } from '../types';
import { isLayoutFact, baseName } from '../../formats/layout';
import { imageIndex, imageSize, findImage } from './images';

const rule: Rule = {
  id: 'layout/image-too-large',
  description: 'An image in the package is larger than the partition its layout writes it to',
  defaultSeverity: 'error',
  check(ctx) {
    const index = imageIndex(ctx.root);
    for (const a of ctx.artifacts()) {
      for (const f of a.facts) {
        if (!isLayoutFact(f)) continue;
        const seen = new Set<string>();
        for (const e of f.entries) {
          if (!e.sizeBytes) continue;
          const img = findImage(index, e.file ?? `${baseName(e.partition)}.img`);
          if (!img || seen.has(img.path)) continue;
          const size = imageSize(img);
          if (size === null || size <= e.sizeBytes) continue;
          seen.add(img.path);
          const limit = f.sizesAreLimits ? 'the most its group allows' : 'the partition';
          ctx.report({
            path: img.path,
            message: `${size} bytes${size !== img.size ? ' once expanded' : ''}, but ${f.layout} (${a.path || 'the input'}) gives ${e.partition} ${e.sizeBytes} bytes (${limit})`,
          });
        }
      }
    }
  },
};
export default rule;
