import type { Rule } from '../types';
import { isLayoutFact, type LayoutFact } from '../../formats/layout';

const MAX_REPORTED = 20;

/** Overlaps between entries that have both a start and a size, per device. */
function overlaps(f: LayoutFact): string[] {
  const out: string[] = [];
  const byDevice = new Map<string, { name: string; s: number; e: number }[]>();
  for (const e of f.entries) {
    if (e.startBytes === null || !e.sizeBytes) continue;
    const list = byDevice.get(e.device) ?? [];
    list.push({ name: e.partition, s: e.startBytes, e: e.startBytes + e.sizeBytes });
    byDevice.set(e.device, list);
  }
  for (const [device, list] of byDevice) {
    list.sort((a, b) => a.s - b.s || a.e - b.e);
    let reach = list[0];
    for (const p of list.slice(1)) {
      if (p.s < reach.e && out.length < MAX_REPORTED) out.push(`${p.name} (bytes ${p.s}-${p.e - 1}) overlaps ${reach.name} (up to ${reach.e - 1}) on ${device}`);
      if (p.e > reach.e) reach = p;
    }
    const limit = f.deviceBytes?.[device];
    for (const p of list) if (limit !== undefined && p.e > limit && out.length < MAX_REPORTED) out.push(`${p.name} ends at byte ${p.e}, past the ${limit} bytes of ${device}`);
  }
  return out;
}

/**
 * Partitions of one table that share space, or that lie outside the space
 * the table says is usable: GPT's usable LBAs, an MBR extended partition, a
 * liblp group's maximum size (reported by those decoders), and any overlap
 * between the placed entries of a PIT, scatter or rawprogram layout.
 */
const rule: Rule = {
  id: 'layout/overlap',
  description: 'Two partitions of a partition table overlap, or a partition lies outside the usable space',
  defaultSeverity: 'error',
  check(ctx) {
    for (const { artifact, fact } of ctx.facts('layout-overlap')) ctx.report({ path: artifact.path, message: fact.message, offset: fact.offset });
    for (const a of ctx.artifacts()) {
      for (const f of a.facts) {
        if (!isLayoutFact(f) || f.overlapsChecked) continue;
        for (const message of overlaps(f)) ctx.report({ path: a.path, message: `${f.layout}: ${message}` });
      }
    }
  },
};
export default rule;
