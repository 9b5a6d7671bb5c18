/** A layout names a file to flash that the package does not contain. */
import type { Rule } from '../types';
import { isLayoutFact } from '../../formats/layout';
import { imageIndex, findImage } from './images';

const rule: Rule = {
  id: 'layout/missing-image',
  description: 'A flash layout (PIT, scatter, rawprogram) names a file to flash that the package does not contain',
  defaultSeverity: 'error',
  check(ctx) {
    const index = imageIndex(ctx.root);
    for (const a of ctx.artifacts()) {
      // A lone layout file is not a package: nothing can be missing from it.
      if (a === ctx.root) continue;
      for (const f of a.facts) {
        if (!isLayoutFact(f)) continue;
        const reported = new Set<string>();
        for (const e of f.entries) {
          if (!e.flashed || !e.file || reported.has(e.file)) continue;
          if (findImage(index, e.file) || findImage(index, `${e.file}_sparsechunk.0`)) continue;
          reported.add(e.file);
          ctx.report({ path: a.path, message: `${e.partition} is flashed from "${e.file}", which is not in the package` });
        }
      }
    }
  },
};
export default rule;
