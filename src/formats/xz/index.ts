import { decodedTo } from '../summary';
/**
 * xz (`.xz`, `.txz`): `boot.img.xz`, `super.img.xz`, `rootfs.tar.xz`.
 * Decoded as a stream by liblzma (node-liblzma) or, under ROMSCOPE_XZ=wasm
 * or without it, by xz-embedded (`src/codecs/xz.ts`); concatenated streams
 * and stream padding are accepted as `xz -dc` accepts them. The decoder
 * verifies every check the format carries: stream header and footer CRC32,
 * block header CRC32, each block's CRC32 / CRC64 / SHA-256 check and each
 * stream's index (xz-embedded cannot compute SHA-256: such streams are
 * `unsupported` there). liblzma reports a failed check and undecodable LZMA2
 * data alike, so both are an `xz-checksum` fact; a stream cut short is
 * `truncated`.
 */
import { xzMemberStream, XZ_CHECK_NAMES } from '../../codecs/xz';
import { memberTransform, strippedName } from '../compressed/member';
import type { TransformHandler } from '../types';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

export const xzHandler: TransformHandler = {
  id: 'xz',
  summary: decodedTo,
  kind: 'transform',
  traits: { role: 'compression', confidence: 'magic', kernelRamdisk: true },
  description: 'xz compressed stream',
  detect: ({ peek }) => peek.length >= 12 && MAGIC.every((b, i) => peek[i] === b),
  childName: (name) => strippedName(name, /\.xz$/i, /\.txz$/i),
  // Stream flags (the first stream's; concatenated streams may differ): the check type.
  headerInfo: (peek) => ({ check: XZ_CHECK_NAMES[peek[7] & 0x0f] ?? `type ${peek[7] & 0x0f}` }),
  transform: (input, ctx, info) => memberTransform(xzMemberStream, 'xz-checksum', input, ctx, info),
};
