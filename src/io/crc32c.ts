/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
 * `crc32cUpdate` runs the raw register (no pre- or post-inversion), which is
 * what file systems that seed it themselves use (EROFS seeds ~0 and keeps
 * the register as is; ext4 seeds ~0 too); `crc32c` is the standard check
 * value (seed ~0, result inverted).
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Feeds `buf` through the register `crc` and returns the new register (no inversions). */
export function crc32cUpdate(crc: number, buf: Uint8Array): number {
  let c = crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/** The standard CRC-32C of `buf` ("123456789" gives e3069283). */
export function crc32c(buf: Uint8Array): number {
  return ~crc32cUpdate(0xffffffff, buf) >>> 0;
}
