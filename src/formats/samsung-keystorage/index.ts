/**
 * Samsung LSI key storage (`keystorage.bin` of Exynos Galaxy firmware):
 * the magic `SLSI`, then little-endian u32 header size, u32 table end and
 * u32 count of used key slots; from 0x30, 16-byte slots of an 8-byte
 * NUL-padded name (`cp_key`, `vbmeta`, `fimc`; `none` for an empty slot)
 * and two 32-bit words. The keys themselves are signed data the bootloader
 * checks; romscope names the slots and does not interpret the rest.
 */
import type { DocumentHandler } from '../types';
import { cString } from '../image-checksum';

const SLOTS_AT = 0x30;
const SLOT = 16;
const MAX_SLOTS = 64;

export const samsungKeystorageHandler: DocumentHandler = {
  id: 'samsung-keystorage',
  kind: 'document',
  description: 'Samsung LSI key storage (keystorage.bin, SLSI header): named key slots',
  traits: { role: 'signature', confidence: 'magic' },
  maxBytes: 4 << 20,
  detect: ({ peek }) => peek.length >= SLOTS_AT + SLOT && peek.toString('latin1', 0, 4) === 'SLSI' && peek.readUInt32LE(8) > SLOTS_AT && peek.readUInt32LE(8) <= 4096,
  decode(bytes) {
    const tableEnd = Math.min(bytes.readUInt32LE(8), bytes.length);
    const used = bytes.readUInt32LE(12);
    const slots: Record<string, unknown>[] = [];
    for (let at = SLOTS_AT; at + SLOT <= tableEnd && slots.length < MAX_SLOTS; at += SLOT) {
      const name = cString(bytes, at, 8);
      if (name === '' || name === 'none') continue;
      slots.push({ name, words: [bytes.readUInt32LE(at + 8), bytes.readUInt32LE(at + 12)].map((w) => `0x${w.toString(16)}`) });
    }
    return { headerSize: bytes.readUInt32LE(4), tableEnd: bytes.readUInt32LE(8), usedSlots: used, tag: cString(bytes, 0x18, 8), keySlots: slots };
  },
};
