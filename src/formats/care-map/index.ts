/**
 * The care map of an A/B OTA package (`care_map.pb`, protobuf since Android
 * P; `care_map.txt` before): for each verified partition, the block ranges
 * `update_verifier` reads after the first boot, and the build property and
 * fingerprint it belongs to. AOSP `update_verifier/care_map.proto`:
 *
 *   CareMap { repeated PartitionInfo partitions = 1; }
 *   PartitionInfo { string name = 1; string ranges = 2; string id = 3; string fingerprint = 4; }
 *
 * `ranges` is a range set as transfer lists write it: a count, then that many
 * block numbers, start/end pairs (FORMATS.md §8.1). The text form is lines
 * alternating a partition name and its range set. Recognised by content
 * whatever its name (copies are saved as `<rom>_care_map.pb`).
 */
import type { DocumentHandler } from '../types';
import { readFields, want, WireType } from '../protobuf';
import { FormatError } from '../../io/errors';
import { baseName, looksLikeText, splitLines } from '../text';

const MAX_BYTES = 1 << 20;
/** Real care maps list the handful of verified partitions. */
const MAX_PARTITIONS = 256;
const PARTITION = /^[A-Za-z0-9_.-]{1,64}$/;
const RANGES = /^\d{1,10}(,\d{1,10})+$/;

export interface CareMapPartition {
  name: string;
  /** Blocks the range set covers. */
  blocks: number;
  /** Ranges (start/end pairs) in it. */
  ranges: number;
  /** The build property the fingerprint is read from (`ro.system.build.fingerprint`). */
  id?: string;
  fingerprint?: string;
}

/** A range set's size, or null when it is not one (count, then an even number of ascending block numbers). */
function rangeSet(s: string): { blocks: number; ranges: number } | null {
  if (!RANGES.test(s)) return null;
  const n = s.split(',').map(Number);
  if (n[0] !== n.length - 1 || n[0] % 2 !== 0) return null;
  let blocks = 0;
  for (let i = 1; i < n.length; i += 2) {
    if (n[i + 1] <= n[i]) return null;
    blocks += n[i + 1] - n[i];
  }
  return { blocks, ranges: n[0] / 2 };
}

function partition(name: string, ranges: string, id?: string, fingerprint?: string): CareMapPartition | null {
  const r = rangeSet(ranges);
  if (!PARTITION.test(name) || !r) return null;
  return { name, ...r, ...(id ? { id } : {}), ...(fingerprint ? { fingerprint } : {}) };
}

/** Decodes `care_map.pb`; throws FormatError when it is not one. */
export function decodeCareMapPb(buf: Uint8Array): CareMapPartition[] {
  const out: CareMapPartition[] = [];
  readFields(buf, 'care_map.pb', (f, wt, r) => {
    if (f !== 1) throw new FormatError(`care_map.pb: field ${f} is not partitions (1)`);
    want(wt, WireType.LengthDelimited, 'care_map.pb', 'partitions');
    if (out.length >= MAX_PARTITIONS) throw new FormatError(`care_map.pb: more than ${MAX_PARTITIONS} partitions`);
    const p: Record<number, string> = {};
    readFields(r.bytes(), `care_map.pb partition ${out.length}`, (g, wt2, r2) => {
      if (g < 1 || g > 4) return false;
      want(wt2, WireType.LengthDelimited, 'care_map.pb', 'a partition field');
      p[g] = r2.string();
      return true;
    });
    const part = partition(p[1] ?? '', p[2] ?? '', p[3], p[4]);
    if (!part) throw new FormatError(`care_map.pb: partition ${out.length} has no valid name and range set`);
    out.push(part);
    return true;
  });
  if (out.length === 0) throw new FormatError('care_map.pb lists no partition');
  return out;
}

/** Decodes `care_map.txt` (name line, range-set line, ...); throws FormatError when it is not one. */
export function decodeCareMapText(text: string): CareMapPartition[] {
  const lines = splitLines(text.trim());
  if (lines.length < 2 || lines.length % 2 !== 0 || lines.length > 2 * MAX_PARTITIONS) throw new FormatError('care_map.txt is not pairs of a partition name and a range set');
  const out: CareMapPartition[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const part = partition(lines[i].trim(), lines[i + 1].trim());
    if (!part) throw new FormatError(`care_map.txt line ${i + 1}: not a partition name followed by a range set`);
    out.push(part);
  }
  return out;
}

/** care_map.txt begins with a partition name line and a range set line (its count first). */
const TEXT_START = /^\s*[A-Za-z0-9_.-]+\r?\n\d/;

function decode(b: Buffer): { form: 'protobuf' | 'text'; partitions: CareMapPartition[] } {
  return looksLikeText(b) && TEXT_START.test(b.toString('latin1', 0, 128)) ? { form: 'text', partitions: decodeCareMapText(b.toString('utf8')) } : { form: 'protobuf', partitions: decodeCareMapPb(b) };
}

export const careMapHandler: DocumentHandler = {
  id: 'care-map',
  kind: 'document',
  traits: { role: 'update', confidence: 'name' },
  description: 'A/B OTA care map (care_map.pb, care_map.txt)',
  maxBytes: MAX_BYTES,
  // By content (a strict shape: every partition a name and a valid range set), whatever the name.
  detect: ({ peek, size, name }) => {
    if (size === null || size === 0 || size > peek.length) return false;
    if (/\.txt$/i.test(name) && !/care_map/i.test(baseName(name))) return false;
    // Cheap tests first (detection runs on every small member): the protobuf form starts with field 1, length-delimited (0x0a).
    if (peek[0] !== 0x0a && !(looksLikeText(peek) && TEXT_START.test(peek.toString('latin1', 0, 128)))) return false;
    decode(peek);
    return true;
  },
  decode(bytes, ctx) {
    let d;
    try {
      d = decode(bytes);
    } catch (e) {
      ctx.fact({ kind: 'unreadable', message: (e as Error).message });
      return {};
    }
    return { form: d.form, partitionCount: d.partitions.length, partitions: d.partitions };
  },
};
