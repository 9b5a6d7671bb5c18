/**
 * MediaTek's partition image header (`mkimage` of the MTK build; u-boot's
 * tools/mtk_image.h calls it the LK header): `lk.img`, `logo.bin`, `tee.img`,
 * `md1img.img`, `scp.img`... Each image is a 512-byte header followed by its
 * data; several are concatenated (lk, then `cert1`/`cert2`, then
 * `lk_main_dtb` with its own certificates). Header, little-endian:
 *
 * | off | field |
 * |---|---|
 * | 0 | u32 magic 0x58881688 |
 * | 4 | u32 data size |
 * | 8 | char[32] name |
 * | 40 | u32 load address (0xffffffff: none) |
 * | 44 | u32 mode |
 * | 48 | u32 extension magic 0x58891689 (absent in old images) |
 * | 52 | u32 header size (512) |
 * | 56 | u32 header version |
 * | 60 | u32 image type |
 * | 64 | u32 last image of the list (1) |
 * | 68 | u32 alignment of the next header |
 * | 72 | u32 high 32 bits of the data size |
 * | 76 | u32 high 32 bits of the load address |
 *
 * The extended fields were read off real images (the next header sits at
 * the data's end rounded up to the alignment; the last has the list-end
 * flag). Every image is a child named after it.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import type { Fact } from '../../report/model';
import { SliceSource } from '../../io/source';

export const MTK_IMAGE_MAGIC = 0x58881688;
const EXT_MAGIC = 0x58891689;
const HEADER_SIZE = 512;
/** Images in one file: real files have up to a dozen (md1img); more is not a believable chain. */
export const MAX_MTK_IMAGES = 256;

function cString(b: Buffer, at: number, len: number): string {
  const raw = b.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('latin1');
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** A header at `at` in `b`: the magic, and a name of printable characters. */
export function isMtkImageHeader(b: Buffer, at = 0): boolean {
  if (b.length < at + 48 || b.readUInt32LE(at) !== MTK_IMAGE_MAGIC) return false;
  const name = cString(b, at + 8, 32);
  return name.length > 0 && /^[\x20-\x7e]+$/.test(name);
}

export const mtkImageHandler: ContainerHandler = {
  id: 'mtk-image',
  kind: 'container',
  description: 'MediaTek partition image (lk, logo, tee, md1img...): 512-byte headers with magic 0x58881688, each followed by its data',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  detect: ({ peek }) => isMtkImageHeader(peek),
  async decode(src, ctx) {
    const images: Record<string, unknown>[] = [];
    const children: ChildSpec[] = [];
    let at = 0;
    let ended = false;
    while (at + HEADER_SIZE <= src.size && images.length < MAX_MTK_IMAGES) {
      const h = await src.read(at, HEADER_SIZE);
      if (h.length < HEADER_SIZE || !isMtkImageHeader(h)) break;
      const extended = h.readUInt32LE(48) === EXT_MAGIC;
      const sizeHigh = extended ? h.readUInt32LE(72) : 0;
      const size = h.readUInt32LE(4) + sizeHigh * 2 ** 32;
      const headerSize = extended ? h.readUInt32LE(52) : HEADER_SIZE;
      const align = extended ? h.readUInt32LE(68) : 0;
      const name = cString(h, 8, 32);
      const entry: Record<string, unknown> = {
        index: images.length,
        name,
        offset: at,
        size,
        loadAddress: h.readUInt32LE(40) === 0xffffffff ? undefined : hex(h.readUInt32LE(40)),
        mode: hex(h.readUInt32LE(44)),
      };
      if (extended) Object.assign(entry, { headerVersion: h.readUInt32LE(56), imageType: hex(h.readUInt32LE(60)), listEnd: h.readUInt32LE(64) === 1, alignment: align });
      images.push(entry);
      const facts: Fact[] = [];
      // The header size must cover the 80 bytes read; a smaller or page-sized-plus value would not be a header this decoder knows.
      if (headerSize < 80 || headerSize > 0x10000) {
        ctx.fact({ kind: 'layout-invalid', message: `image ${images.length - 1} (${name}): header size ${headerSize} is not a believable header size; the images after it are not read`, offset: at + 52 });
        break;
      }
      const dataAt = at + headerSize;
      const avail = Math.max(0, Math.min(size, src.size - dataAt));
      if (avail < size) facts.push({ kind: 'truncated', message: `image ${name} needs ${size} bytes from offset ${dataAt}, the file ends after ${avail}`, offset: src.size });
      children.push({ name, source: new SliceSource(src, dataAt, avail, name), info: { offset: dataAt }, facts: facts.length ? facts : undefined });
      if (facts.length) {
        ended = true;
        at = src.size;
        break;
      }
      let next = dataAt + size;
      if (align > 1 && align <= 0x100000) next = Math.ceil(next / align) * align;
      at = next;
      if (entry.listEnd === true) {
        ended = true;
        break;
      }
    }
    if (images.length >= MAX_MTK_IMAGES && !ended) ctx.fact({ kind: 'budget', message: `more than ${MAX_MTK_IMAGES} images; the rest are not listed` });
    const info: Record<string, unknown> = { images, imageCount: images.length };
    const rest = Math.max(0, src.size - at);
    if (rest > 0) info.bytesAfterImages = rest;
    return { info, children };
  },
};
