/**
 * The shared shape of every flash layout romscope reads (GPT, Samsung PIT,
 * MTK scatter, Qualcomm rawprogram, liblp super metadata). A layout decoder
 * records one `layout` fact; the layout/* rules compare it with the images
 * in the package (too large, missing, overlapping).
 */
import type { Fact } from '../report/model';

export interface LayoutEntry {
  /** Partition name as the layout writes it ("system", "boot_a", "BOOT"). */
  partition: string;
  /** File the layout flashes into it ("boot.img"); null when the layout names none. */
  file: string | null;
  /** Partition size in bytes; null when unknown (0 = "grow" / rest of the disk in many layouts). */
  sizeBytes: number | null;
  /** Start on its device in bytes; null when the layout does not fix it. */
  startBytes: number | null;
  /** Device the entry lives on ("lun0", "emmc", "super", "disk"); overlap is judged per device. */
  device: string;
  /** Whether the vendor's flashing tool writes this entry in a normal flash (is_download, a file name...). */
  flashed: boolean;
}

export interface LayoutFact extends Fact {
  kind: 'layout';
  /** The layout format ("gpt", "samsung-pit", "mtk-scatter", "qcom-rawprogram", "lp-metadata"). */
  layout: string;
  entries: LayoutEntry[];
  /** Usable bytes per device when the layout knows them (a whole-disk GPT). */
  deviceBytes?: Record<string, number>;
  /** Partition sizes are upper bounds for whole groups (super_empty.img), not exact partitions. */
  sizesAreLimits?: boolean;
  /** The decoder judged overlaps itself and raised `layout-overlap` facts (with exact messages): layout/overlap does not judge these entries again. */
  overlapsChecked?: boolean;
}

export function layoutFact(layout: string, entries: LayoutEntry[], extra: Partial<LayoutFact> = {}): LayoutFact {
  return { kind: 'layout', message: `${layout} layout with ${entries.length} entries`, layout, entries, ...extra };
}

export function isLayoutFact(f: Fact): f is LayoutFact {
  return f.kind === 'layout' && Array.isArray((f as LayoutFact).entries);
}

/** "boot_a" → "boot": slot suffixes do not change which image goes where. */
export function baseName(partition: string): string {
  return partition.replace(/_(a|b)$/i, '');
}

/**
 * A number as a text layout writes it (`0x1F`, `31`, Qualcomm's `33.`):
 * a number when it is an exact integer, a bigint past 2^53 (real layouts
 * write `0xFFFFFFFFFFFFFFFF` for "to the end"), null when it is no number.
 */
export function layoutNumber(v: string): number | bigint | null {
  const t = v.trim();
  let b: bigint;
  if (/^\d{1,40}\.?$/.test(t)) b = BigInt(t.replace(/\.$/, ''));
  else if (/^0x[0-9a-f]{1,32}$/i.test(t)) b = BigInt(t);
  else return null;
  return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

/** A layout number as a size or offset the layout rules can compare: null when it is past 2^53 or not known. */
export function exactNumber(v: number | bigint | null): number | null {
  return typeof v === 'number' ? v : null;
}
