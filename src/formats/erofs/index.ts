import { phrases, str, sized, counted } from '../summary';
/**
 * EROFS, the read-only file system of most Android partitions since 2020
 * (`system.img`, `vendor.img`, `product.img`, `system_dlkm.img`...). The
 * superblock gives the image's identity (checked against its crc32c when
 * the `sb_csum` feature is set); the children are the build property files
 * at their usual paths, each a source over that file's data, and `resolve`
 * opens any other file by its path. Only the metadata on the way and the
 * files asked for are read. See ./layout.ts for the layout, ./reader.ts for
 * the reads.
 */
import type { ChildSpec, ContainerHandler, DecodeContext, FsListEntry } from '../types';
import { PostureScan } from '../fs-scan';
import { BlockCacheSource } from '../../io/block-cache';
import type { RandomSource } from '../../io/source';
import { BudgetError, FormatError, RomscopeError, errorMessage } from '../../io/errors';
import { crc32cUpdate } from '../../io/crc32c';
import type { Fact } from '../../report/model';
import { COMPAT_SB_CHKSUM, EROFS_MAGIC, INCOMPAT_READ, SB_OFFSET, SB_SIZE, compatNames, incompatNames, parseSuperblock, ALGORITHMS, LAYOUT_NAMES, type Superblock } from './layout';
import { PROPERTY_PATHS } from '../build-prop/paths';
import { ErofsReader, invalid, isDir, isLink, isReg, type ErofsInode } from './reader';
import { isoSeconds } from '../../io/time';
import type { ErofsInfo } from '../../report/info';

/** Where Android keeps property files, relative to a partition's root (shared with the ext4 reader). */
export { PROPERTY_PATHS };

async function open(src: RandomSource): Promise<{ sb: Superblock; raw: Buffer }> {
  const raw = await src.read(SB_OFFSET, SB_SIZE);
  if (raw.length < SB_SIZE) throw new FormatError(`the EROFS superblock needs ${SB_SIZE} bytes at offset ${SB_OFFSET}, the file has ${src.size}`, SB_OFFSET, 'truncated');
  if (raw.readUInt32LE(0) !== EROFS_MAGIC) throw new FormatError('no EROFS magic at offset 1024', SB_OFFSET);
  const sb = parseSuperblock(raw);
  if (sb.blkszbits < 9 || sb.blkszbits > 16) throw invalid(`the superblock's block size 2^${sb.blkszbits} is not one EROFS uses (512 bytes to 64 KiB)`, SB_OFFSET + 12);
  return { sb, raw };
}

/** The file's description for its child info (mode in octal, owner, SELinux label). */
async function describe(r: ErofsReader, i: ErofsInode): Promise<Record<string, unknown>> {
  const info: Record<string, unknown> = {
    mode: `0${(i.mode & 0o7777).toString(8)}`,
    uid: i.uid,
    gid: i.gid,
    size: i.size,
    nid: i.nid,
    layout: LAYOUT_NAMES[i.layout],
  };
  try {
    const label = (await r.xattrs(i)).find((x) => x.name === 'security.selinux');
    if (label) info.selinux = label.value.toString('utf8').replace(/\0+$/, '');
  } catch {
    // A bad xattr area is reported when the file is read; the label is only a description.
  }
  return info;
}

function fileChild(r: ErofsReader, i: ErofsInode, path: string, info: Record<string, unknown>): ChildSpec {
  return { name: path, source: r.data(i, path), info };
}

function asFact(e: unknown, fallback: Fact['kind'] = 'fs-invalid'): Fact {
  const kind = e instanceof BudgetError ? 'budget' : e instanceof RomscopeError && e.factKind ? e.factKind : fallback;
  const offset = e instanceof RomscopeError ? e.offset : undefined;
  return { kind, message: errorMessage(e), ...(offset !== undefined ? { offset } : {}) };
}

export const erofsHandler: ContainerHandler = {
  id: 'erofs',
  summary: (i) => phrases('erofs', str(i.volumeName) && `label ${JSON.stringify(i.volumeName)}`, sized('size', i.size), counted(i.entries, 'entry', 'entries')),
  kind: 'container',
  description: 'EROFS file system image (system.img, vendor.img, product.img, *_dlkm.img): identity and build properties',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  detect: ({ peek }) => peek.length >= SB_OFFSET + SB_SIZE && peek.readUInt32LE(SB_OFFSET) === EROFS_MAGIC && peek[SB_OFFSET + 12] >= 9 && peek[SB_OFFSET + 12] <= 16,
  async decode(src, ctx) {
    const { sb, raw } = await open(src);
    const info: ErofsInfo = {
      fileSystem: 'erofs',
      blockSize: sb.blockSize,
      uuid: sb.uuid,
      volumeName: sb.volumeName,
      buildTime: isoSeconds(sb.buildTime),
      blocks: sb.blocks,
      size: sb.blocks * sb.blockSize,
      inodes: sb.inodes,
      rootNid: sb.rootNid,
      featuresCompat: compatNames(sb.featureCompat),
      featuresIncompat: incompatNames(sb.featureIncompat),
      filesRead: 'only the build property files and init scripts at their usual paths (children) and files asked for by path',
    };
    if (sb.comprAlgs && sb.featureIncompat & 0x2) info.compression = ALGORITHMS.filter((_, k) => sb.comprAlgs & (1 << k));
    if (sb.blocks * sb.blockSize > src.size) {
      ctx.fact({ kind: 'truncated', message: `the superblock counts ${sb.blocks} blocks of ${sb.blockSize} bytes (${sb.blocks * sb.blockSize}), the image has ${src.size}`, offset: SB_OFFSET + 36 });
    }
    if (sb.featureCompat & COMPAT_SB_CHKSUM) await checkSuperblock(src, sb, raw, ctx);
    const unread = sb.featureIncompat & ~INCOMPAT_READ;
    if (unread) {
      ctx.fact({ kind: 'unsupported', message: `the image uses EROFS features romscope does not read (${incompatNames(unread).join(', ')}); its files are not read`, offset: SB_OFFSET + 80 });
      return { info, children: [] };
    }
    if (sb.extraDevices > 0) ctx.fact({ kind: 'unsupported', message: `the image spans ${sb.extraDevices + 1} devices; data on the extra devices is not read`, offset: SB_OFFSET + 86 });
    const r = new ErofsReader(src, sb, ctx.budget);
    const children: ChildSpec[] = [];
    try {
      const root = await r.inode(sb.rootNid);
      info.root = { mode: `0${(root.mode & 0o7777).toString(8)}`, uid: root.uid, gid: root.gid };
      for (const path of PROPERTY_PATHS) {
        const i = await r.lookup(path, true);
        if (i && isReg(i)) children.push(fileChild(r, i, path, await describe(r, i)));
      }
    } catch (e) {
      if (e instanceof BudgetError) throw e; // the walk's budget finding, on the image
      ctx.fact(asFact(e));
    }
    if (ctx.headersOnly) {
      // The tree walk reads every directory and inode: --no-hash keeps to the property files.
      info.tree = 'not walked (--no-hash)';
      return { info, children };
    }
    const scan = new PostureScan((f) => ctx.fact(f));
    // The walk reads inodes and directory blocks one by one: through a bounded cache of the metadata area.
    const walked = await walk(new ErofsReader(new BlockCacheSource(src), sb), ctx, scan);
    info.directories = walked.dirs;
    info.entries = scan.inodes;
    scan.finish(walked.complete, 'this file system');
    for (const path of scan.scripts) {
      if (children.some((c) => c.name === path)) continue;
      try {
        const i = await r.lookup(path, false);
        if (i && isReg(i)) children.push(fileChild(r, i, path, await describe(r, i)));
      } catch (e) {
        ctx.fact(asFact(e));
      }
    }
    if (scan.scripts.length) info.initScripts = scan.scripts.length;
    return { info, children };
  },
  async resolve(src, path, ctx) {
    const { sb } = await open(src);
    if (sb.featureIncompat & ~INCOMPAT_READ) return null;
    const r = new ErofsReader(src, sb, ctx.budget);
    const clean = path
      .split('/')
      .filter((p) => p !== '' && p !== '.')
      .join('/');
    try {
      const i = await r.lookup(clean, true);
      if (!i || !isReg(i)) return null;
      return fileChild(r, i, clean, await describe(r, i));
    } catch (e) {
      ctx.fact(asFact(e));
      return null;
    }
  },
  async list(src, path) {
    const { sb } = await open(src);
    if (sb.featureIncompat & ~INCOMPAT_READ)
      throw new FormatError(`the image uses EROFS features romscope does not read (${incompatNames(sb.featureIncompat & ~INCOMPAT_READ).join(', ')})`, SB_OFFSET + 80, 'unsupported');
    const r = new ErofsReader(src, sb);
    const i = await r.lookup(path, false);
    if (!i) return null;
    if (!isDir(i)) return [await listEntry(r, i, path.split('/').filter(Boolean).pop() ?? '')];
    const out: FsListEntry[] = [];
    for await (const d of r.dirents(i)) {
      if (d.name === '.' || d.name === '..') continue;
      out.push(await listEntry(r, await r.inode(d.nid), d.name));
    }
    return out;
  },
};

/** Directories whose entries could not be read that are reported one by one. */
const MAX_WALK_PROBLEMS = 50;

/**
 * Every directory from the root, breadth first: directory blocks and the
 * inodes they name (no file data), each inode given to the posture scan.
 * A directory reached twice is fs-invalid and not entered again.
 */
async function walk(r: ErofsReader, ctx: DecodeContext, scan: PostureScan): Promise<{ dirs: number; complete: boolean }> {
  const queue = [{ nid: r.sb.rootNid, path: '' }];
  const seen = new Set<number>([r.sb.rootNid]);
  let dirs = 0;
  let problems = 0;
  while (queue.length) {
    const at = queue.shift()!;
    try {
      const dir = await r.inode(at.nid);
      if (!isDir(dir)) continue;
      dirs++;
      for await (const d of r.dirents(dir)) {
        if (d.name === '.' || d.name === '..') continue;
        const i = await r.inode(d.nid);
        const path = at.path ? `${at.path}/${d.name}` : d.name;
        if (!scan.visit({ path, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size })) return { dirs, complete: false };
        if (!isDir(i)) continue;
        if (seen.has(d.nid)) {
          if (problems++ < MAX_WALK_PROBLEMS)
            ctx.fact({ kind: 'fs-invalid', message: `directory inode ${d.nid} ("${d.name.slice(0, 64)}" in ${at.path || 'the root'}) is reached twice: a directory cycle or a hard-linked directory` });
          continue;
        }
        seen.add(d.nid);
        queue.push({ nid: d.nid, path });
      }
    } catch (e) {
      if (problems++ < MAX_WALK_PROBLEMS) ctx.fact(asFact(e));
    }
  }
  return { dirs, complete: true };
}

/** One `ls` line's worth: mode, owner, size, SELinux label, a symlink's target (read, never followed). */
async function listEntry(r: ErofsReader, i: ErofsInode, name: string): Promise<FsListEntry> {
  const e: FsListEntry = { name, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size };
  const label = (await r.xattrs(i)).find((x) => x.name === 'security.selinux');
  if (label) e.selinux = label.value.toString('utf8').replace(/\0+$/, '');
  if (isLink(i)) e.target = await r.readLink(i);
  return e;
}

async function checkSuperblock(src: RandomSource, sb: Superblock, raw: Buffer, ctx: DecodeContext): Promise<void> {
  // The checksum covers the superblock's block from byte 1024 (at least the 128-byte superblock).
  const len = Math.max(sb.blockSize - SB_OFFSET, SB_SIZE);
  const b = Buffer.from(len === SB_SIZE ? raw : await src.read(SB_OFFSET, len));
  if (b.length < len) return;
  b.writeUInt32LE(0, 4);
  const crc = crc32cUpdate(0xffffffff, b);
  if (crc === sb.checksum) ctx.fact({ kind: 'fs-checksum-ok', message: `the EROFS superblock matches its crc32c ${sb.checksum.toString(16)}` });
  else ctx.fact({ kind: 'fs-checksum', message: `the EROFS superblock's crc32c is ${crc.toString(16)}, the superblock says ${sb.checksum.toString(16)}`, offset: SB_OFFSET + 4 });
}
