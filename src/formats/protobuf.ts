/**
 * Hand-written protobuf decoding on @bufbuild/protobuf's wire reader, for the
 * few messages romscope reads (payload manifests, OTA metadata.pb). Each
 * decoder lists the fields it knows; unknown fields are skipped, a known field
 * with the wrong wire type or bytes that end inside a field throw FormatError.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { BudgetError, FormatError } from '../io/errors';

export { BinaryReader, WireType };

const WT_NAMES = ['varint', '64-bit', 'length-delimited', 'start-group', 'end-group', '32-bit'];

export type FieldHandler = (field: number, wt: WireType, r: BinaryReader) => boolean;

/** Reads every field of one message; `on` returns false for fields it does not know (they are skipped). */
export function readFields(buf: Uint8Array, what: string, on: FieldHandler): void {
  const r = new BinaryReader(buf);
  try {
    while (r.pos < r.len) {
      const [no, wt] = r.tag();
      if (no <= 0) throw new FormatError(`${what}: field number ${no}`);
      if (!on(no, wt, r)) r.skip(wt, no);
    }
  } catch (e) {
    if (e instanceof FormatError || e instanceof BudgetError) throw e;
    throw new FormatError(`${what} does not decode as protobuf (${(e as Error).message})`);
  }
}

/** Throws unless a field has the wire type its declaration implies. */
export function want(wt: WireType, expected: WireType, what: string, field: string): void {
  if (wt !== expected) throw new FormatError(`${what}: ${field} has wire type ${WT_NAMES[wt] ?? wt}, not ${WT_NAMES[expected]}`);
}

export const u64 = (r: BinaryReader): bigint => BigInt(r.uint64());
export const i64 = (r: BinaryReader): bigint => BigInt(r.int64());
