/**
 * Samsung uH (`uh.bin`, the micro-hypervisor of Exynos Galaxy phones that
 * runs RKP): a 4 KiB header starting `GREENTEA`, then an ELF image, then a
 * signature block. Little-endian header fields read here: u32 ELF size at
 * 8, u32 ELF offset at 0x48 (0x1000 on the devices seen). The ELF is the
 * child `uh.elf`; the signature (Samsung's, verified by the bootloader with
 * a key in the SoC) is not checked.
 */
import type { ContainerHandler } from '../types';
import { SliceSource } from '../../io/source';

export const samsungUhHandler: ContainerHandler = {
  id: 'samsung-uh',
  kind: 'container',
  description: 'Samsung uH hypervisor image (uh.bin, GREENTEA header over an ELF)',
  traits: { role: 'partition-image', confidence: 'magic' },
  detect: ({ peek }) => peek.length >= 0x4c && peek.toString('latin1', 0, 8) === 'GREENTEA',
  async decode(src, ctx) {
    const h = await src.read(0, 0x4c);
    const elfSize = h.readUInt32LE(8);
    const elfOffset = h.readUInt32LE(0x48) || 0x1000;
    const info: Record<string, unknown> = { elfOffset, elfSize };
    const end = elfOffset + elfSize;
    if (end > src.size) {
      ctx.fact({ kind: 'truncated', message: `the header puts a ${elfSize}-byte ELF at offset ${elfOffset}, the file has ${src.size} bytes`, offset: 8 });
      return { info, children: [] };
    }
    const magic = await src.read(elfOffset, 4);
    info.elf = magic.toString('latin1') === '\x7fELF';
    if (!info.elf) ctx.fact({ kind: 'unreadable', message: `no ELF image at offset ${elfOffset}, where the header puts it`, offset: elfOffset });
    info.signatureBytes = src.size - end;
    return { info, children: [{ name: 'uh.elf', source: new SliceSource(src, elfOffset, elfSize, 'uh.elf') }] };
  },
};
