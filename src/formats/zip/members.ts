import type { ChildSpec } from '../types';

/** Where a zip member's data lies in the archive, for checks that compare offsets (OTA property files). */
export interface MemberLocation {
  /** Offset of the member's (compressed) data: after its local header, name and extra field. */
  dataStart: number;
  /** Compressed size, from the directory the member was read from. */
  compressedSize: number;
  /** 0 stored, 8 deflated... */
  method: number;
}

export const memberLocations = new WeakMap<ChildSpec, MemberLocation>();
