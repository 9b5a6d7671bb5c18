/**
 * Rockchip `KRNL` wrapper (`kernel.img`, `boot.img` and `resource.img` of
 * older Rockchip firmware, as rkcrc -k writes them): the magic `KRNL`, a
 * u32 little-endian payload size, the payload, then a u32 Rockchip CRC-32
 * of the payload (verified). The payload (a kernel, a gzip ramdisk, a
 * resource image) is the single child `payload`.
 */
import type { ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';
import { crcTap } from '../image-checksum';

export const rockchipKrnlHandler: ContainerHandler = {
  id: 'rockchip-krnl',
  kind: 'container',
  description: 'Rockchip KRNL wrapper (kernel.img, boot.img): a payload with its size and CRC',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek, size }) => peek.length >= 8 && peek.toString('latin1', 0, 4) === 'KRNL' && (size === null || size >= 12),
  async decode(src, ctx) {
    const h = await src.read(0, 8);
    const payloadSize = h.readUInt32LE(4);
    const info: Record<string, unknown> = { payloadSize };
    const end = 8 + payloadSize;
    const rangeTaps = [];
    if (end + 4 > src.size) {
      ctx.fact({ kind: 'truncated', message: `the KRNL header gives a ${payloadSize}-byte payload and its 4-byte CRC, the ${src.size}-byte file ends ${end + 4 - src.size} bytes short`, offset: 4 });
    } else {
      const crc = (await src.read(end, 4)).readUInt32LE(0);
      info.crc = `0x${crc.toString(16).padStart(8, '0')}`;
      if (src.size > end + 4) info.trailingBytes = src.size - end - 4;
      rangeTaps.push(crcTap(ctx, 'rockchip-crc32', 8, end, crc, "the KRNL payload's CRC", end));
    }
    return { info, children: [{ name: 'payload', source: new SliceSource(src, 8, payloadSize, 'payload') }], rangeTaps };
  },
};
