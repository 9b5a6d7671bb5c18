/**
 * GUIDs as GPT stores them (FORMATS.md §3.4): the first three groups are
 * little-endian (u32, u16, u16), the last two are bytes in string order.
 */

/** `20117F86-E985-4357-B9EE-374BC1D8487D` from its 16 stored bytes at `at`. */
export function formatGuid(b: Buffer, at = 0): string {
  const hex = (x: number, n: number) => x.toString(16).padStart(n, '0');
  const tail = b.subarray(at + 8, at + 16).toString('hex');
  return `${hex(b.readUInt32LE(at), 8)}-${hex(b.readUInt16LE(at + 4), 4)}-${hex(b.readUInt16LE(at + 6), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`.toUpperCase();
}

/** The 16 stored bytes of a GUID string (the inverse of formatGuid). */
export function guidBytes(s: string): Buffer {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(s);
  if (!m) throw new Error(`not a GUID: ${s}`);
  const b = Buffer.alloc(16);
  b.writeUInt32LE(parseInt(m[1], 16), 0);
  b.writeUInt16LE(parseInt(m[2], 16), 4);
  b.writeUInt16LE(parseInt(m[3], 16), 6);
  Buffer.from(m[4] + m[5], 'hex').copy(b, 8);
  return b;
}

export function isZeroGuid(b: Buffer, at = 0): boolean {
  for (let i = at; i < at + 16; i++) if (b[i] !== 0) return false;
  return true;
}
