/**
 * Linux kernel images as found in boot images: arm64 `Image` (magic "ARM\x64"
 * at 56), arm32 `zImage` (0x016F2818 at 0x24), x86 `bzImage` ("HdrS" at
 * 0x202), or a raw kernel named `kernel` by its boot image. Reports the
 * `Linux version ...` banner; a zImage's banner is inside its gzip payload.
 * Device trees appended after the kernel (`Image-dtb`, `zImage-dtb`, what
 * `cat Image dtbs > Image-dtb` makes for bootloaders without a DT section)
 * are children `0.dtb`, `1.dtb`..., each checked as an FDT: for a zImage
 * they start where its header's end address says the zImage ends; for
 * others, at the first valid FDT header from which trees follow each other
 * to the end of the file.
 */
import { gunzipSync } from 'node:zlib';
import type { ContainerHandler } from '../types';
import { appendedTrees, chainedTrees, fdtMagicOffsets, treeChildren, MAX_MAGIC_TRIES } from '../fdt';
import { BufferSource, scanRange, type RandomSource } from '../../io/source';

/** Kernels larger than this are hashed but not searched for their banner. */
const MAX_KERNEL = 96 << 20;
const BANNER = Buffer.from('Linux version ');

function flavour(b: Buffer): string | null {
  if (b.length >= 60 && b.toString('latin1', 56, 60) === 'ARM\x64') return 'arm64-image';
  if (b.length >= 0x28 && b.readUInt32LE(0x24) === 0x016f2818) return 'arm-zimage';
  if (b.length >= 0x206 && b.toString('latin1', 0x202, 0x206) === 'HdrS') return 'x86-bzimage';
  return null;
}

/** The banner starting at `at` (where BANNER is), or null when it is not one. */
function bannerAt(b: Buffer, at: number): string | null {
  const end = b.indexOf(0, at);
  const text = b
    .toString('latin1', at, end < 0 ? Math.min(b.length, at + 512) : Math.min(end, at + 512))
    .split('\n')[0]
    .trim();
  // The format string "Linux version %s" also appears; a real banner has a release after it.
  return /^Linux version \d/.test(text) ? text : null;
}

export function findBanner(b: Buffer): string | null {
  for (let at = b.indexOf(BANNER); at >= 0; at = b.indexOf(BANNER, at + 1)) {
    const text = bannerAt(b, at);
    if (text) return text;
  }
  return null;
}

/** Bytes after a banner's start that bannerAt looks at (512), with room to spare. */
const BANNER_REACH = BANNER.length + 512;

/**
 * findBanner and the FDT magic offsets appendedTrees tries (from `from`),
 * in one pass over the kernel in order, without holding it in memory (an
 * arm64 Image is tens of MiB): each piece is searched with the last
 * BANNER_REACH bytes before it, so a banner or magic across two pieces is
 * found once, and a banner's text is whole when it is looked at.
 */
export async function scanKernel(src: RandomSource, from: number): Promise<{ banner: string | null; candidates: number[] }> {
  let banner: string | null = null;
  const candidates: number[] = [];
  let scratch = Buffer.alloc(0);
  let carry = 0;
  let carryStart = 0;
  const search = (n: number, bufStart: number, eof: boolean) => {
    const b = scratch.subarray(0, n);
    const limit = eof ? n : Math.max(0, n - BANNER_REACH);
    if (!banner) {
      for (let at = b.indexOf(BANNER); at >= 0 && at < limit && !banner; at = b.indexOf(BANNER, at + 1)) banner = bannerAt(b.subarray(0, Math.min(n, at + BANNER_REACH)), at);
    }
    for (const at of fdtMagicOffsets(b, Math.max(0, from - bufStart))) {
      if (at >= limit || candidates.length >= MAX_MAGIC_TRIES) break;
      candidates.push(bufStart + at);
    }
    return limit;
  };
  await scanRange(src, 0, src.size, (c) => {
    const n = carry + c.length;
    if (scratch.length < n) {
      const grown = Buffer.allocUnsafe(Math.max(n, 2 * scratch.length));
      scratch.copy(grown, 0, 0, carry);
      scratch = grown;
    }
    c.copy(scratch, carry);
    const limit = search(n, carryStart, false);
    // What was not looked at as a start moves to the front.
    scratch.copy(scratch, 0, limit, n);
    carry = n - limit;
    carryStart += limit;
  });
  search(carry, carryStart, true);
  return { banner, candidates };
}

function zimagePayloadBanner(b: Buffer): string | null {
  for (let at = b.indexOf(Buffer.from([0x1f, 0x8b, 0x08])); at >= 0 && at < 1 << 20; at = b.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), at + 1)) {
    try {
      const out = gunzipSync(b.subarray(at), { maxOutputLength: MAX_KERNEL, finishFlush: 2 /* Z_SYNC_FLUSH: tolerate trailing data */ });
      const banner = findBanner(out);
      if (banner) return banner;
    } catch {
      // not the payload; keep looking
    }
  }
  return null;
}

export const linuxKernelHandler: ContainerHandler = {
  id: 'linux-kernel',
  kind: 'container',
  traits: { role: 'partition-image', confidence: 'name' },
  description: 'Linux kernel image (arm64 Image, zImage, bzImage, or a raw kernel section), with any device trees appended to it',
  detect: ({ peek, name }) => flavour(peek) !== null || name === 'kernel',
  async decode(src, ctx) {
    if (src.size > MAX_KERNEL) {
      ctx.fact({ kind: 'unsupported', message: `${src.size} bytes is more than the ${MAX_KERNEL} this format is decoded up to` });
      return { info: {}, children: [] };
    }
    const head = await src.read(0, Math.min(src.size, 0x206));
    const kind = flavour(head) ?? 'raw';
    let banner: string | null;
    let trees: { offset: number; size: number }[] = [];
    if (kind === 'arm-zimage') {
      // A zImage (arm32, a few MiB) is read whole: its banner is in the gzip payload.
      const bytes = await src.read(0, src.size);
      banner = findBanner(bytes) ?? zimagePayloadBanner(bytes);
      // zImage header: start and end load addresses at 0x28 and 0x2c; their difference is the zImage's size.
      const end = bytes.readUInt32LE(0x2c) - bytes.readUInt32LE(0x28);
      if (end > 0 && end < bytes.length) {
        const chain = await chainedTrees(new BufferSource(bytes, 'zImage'), end);
        if (chain.leftoverAt === null) trees = chain.trees;
      }
    } else {
      const scan = await scanKernel(src, kind === 'raw' ? 0 : 64);
      banner = scan.banner;
      const found = await appendedTrees(src, scan.candidates);
      if (found) trees = found.trees;
    }
    const info: Record<string, unknown> = { kernelFormat: kind, linuxVersion: banner ?? undefined };
    const m = banner && /^Linux version (\S+)/.exec(banner);
    if (m) info.release = m[1];
    if (kind === 'arm64-image') info.imageSize = Number(head.readBigUInt64LE(16));
    if (trees.length) {
      info.kernelSize = trees[0].offset;
      info.appendedDtbs = trees.length;
    }
    return { info, children: treeChildren(src, trees) };
  },
};
