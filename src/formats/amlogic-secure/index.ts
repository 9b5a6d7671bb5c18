/**
 * Amlogic secure-boot image (`dt.img`, `boot.img` and friends of a device
 * with secure boot on): the magic `@AML`, then (little-endian) u32 version
 * at 4, u32 payload size at 16, u32 header size at 20 (512) and a 32-byte
 * SHA-256 at 24, then the payload, encrypted with the device's key. The
 * digest is over data romscope cannot decrypt, so it is shown, not
 * checked. A payload that is plain (an FDT, a gzip stream, a boot image)
 * is given as the child `payload`. (The `@AML` block header of a BL2
 * bootloader is another structure, at offset 16 of `bootloader.img`.)
 */
import type { ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { FDT_MAGIC } from '../fdt';

export const amlogicSecureHandler: ContainerHandler = {
  id: 'amlogic-secure',
  kind: 'container',
  description: 'Amlogic secure-boot image (@AML header over an encrypted dt.img, boot.img...)',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 56 && peek.toString('latin1', 0, 4) === '@AML' && peek.readUInt32LE(20) >= 56 && peek.readUInt32LE(20) <= 4096,
  async decode(src, ctx) {
    const h = await src.read(0, 56);
    const payloadSize = h.readUInt32LE(16);
    const headerSize = h.readUInt32LE(20);
    const info: Record<string, unknown> = { version: h.readUInt32LE(4), payloadSize, headerSize, sha256: h.subarray(24, 56).toString('hex') };
    const end = headerSize + payloadSize;
    if (end > src.size) ctx.fact({ kind: 'truncated', message: `the header gives a ${payloadSize}-byte payload after ${headerSize} bytes, the file has ${src.size}`, offset: 16 });
    else if (src.size > end) info.trailingBytes = src.size - end;
    const first = await src.read(headerSize, 8);
    const plain = first.length >= 4 && (first.readUInt32BE(0) === FDT_MAGIC || (first[0] === 0x1f && first[1] === 0x8b) || first.toString('latin1', 0, 8) === 'ANDROID!');
    info.payloadEncrypted = !plain;
    if (!plain) {
      info.note = "the payload is encrypted with the device's key: it is hashed, not decoded, and its SHA-256 (over the decrypted data) is not checked";
      return { info, children: [] };
    }
    return { info, children: [{ name: 'payload', source: new SliceSource(src, headerSize, payloadSize, 'payload') }] };
  },
};
