import { phrases, str, sized, counted, labelled } from '../summary';
/**
 * ext2/ext3/ext4 file systems (partition images: `system.img`, `vendor.img`,
 * the expanded view of a sparse image, a logical partition of super, a
 * payload partition). The superblock's identity goes to `info`; the
 * directory tree is walked (directory blocks and inodes only) to count files
 * and check link counts and cycles; the property files at their usual paths
 * become children, each read through its own block runs (not copied), and
 * `resolve` gives any other file by its path. See ./fs.ts for what is read
 * and checked.
 */
import type { RandomSource } from '../../io/source';
import { BufferSource } from '../../io/source';
import type { ChildSpec, ContainerHandler, DecodeContext, FsListEntry } from '../types';
import { PROPERTY_PATHS } from '../build-prop/paths';
import { PostureScan, typeOf } from '../fs-scan';
import { EXT4_LIMITS, Ext4Fs, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isExt4, type Inode, type Problem } from './fs';
import { isoSeconds } from '../../io/time';

/** Where Android keeps property files, relative to a partition's root (shared with the EROFS reader). */
export { PROPERTY_PATHS };

/** Directories walked at most (Android's largest partitions have a few thousand). */
const MAX_WALK_DIRS = 100_000;

/** security.capability (vfs_cap_data): revision, effective flag, permitted and inheritable sets. */
function capability(v: Buffer): Record<string, unknown> | string {
  if (v.length < 12) return v.toString('hex');
  const magic = v.readUInt32LE(0);
  const hi = (at: number) => (v.length >= at + 4 ? BigInt(v.readUInt32LE(at)) << 32n : 0n);
  const permitted = BigInt(v.readUInt32LE(4)) | hi(12);
  const inheritable = BigInt(v.readUInt32LE(8)) | hi(16);
  return { revision: magic >>> 24, effective: (magic & 1) === 1, permitted: `0x${permitted.toString(16)}`, inheritable: `0x${inheritable.toString(16)}` };
}

/** What a user wants to know of one file: type, mode, owner, size, SELinux label, capabilities, other xattrs. */
export async function fileInfo(fs: Ext4Fs, ino: Inode): Promise<Record<string, unknown>> {
  const info: Record<string, unknown> = {
    inode: ino.ino,
    type: typeOf(ino.mode),
    mode: `0${(ino.mode & 0o7777).toString(8).padStart(3, '0')}`,
    uid: ino.uid,
    gid: ino.gid,
    size: ino.size,
    links: ino.links,
    mtime: isoSeconds(ino.mtime),
  };
  const xattrs = await fs.xattrs(ino);
  const other: Record<string, string> = {};
  for (const x of xattrs) {
    if (x.name === 'security.selinux') info.selinux = x.value.toString('utf8').replace(/\0+$/, '');
    else if (x.name === 'security.capability') info.capabilities = capability(x.value);
    else if (x.name !== 'system.data') other[x.name] = x.value.length <= 64 ? x.value.toString('hex') : `${x.value.length} bytes`;
  }
  if (Object.keys(other).length) info.xattrs = other;
  return info;
}

/** The child for one inode: a regular file through its blocks, a symlink as the link itself (its target's bytes, never followed); null for anything else. */
async function childFor(fs: Ext4Fs, ino: Inode, path: string): Promise<ChildSpec | null> {
  const kind = ino.mode & S_IFMT;
  if (kind !== S_IFREG && kind !== S_IFLNK) return null;
  const info = await fileInfo(fs, ino);
  if (fs.isEncrypted(ino)) {
    return { name: path, source: new BufferSource(Buffer.alloc(0), path), info, readable: false, facts: [{ kind: 'unsupported', message: `${path} is encrypted (fscrypt); its bytes are not decoded` }] };
  }
  const content = await fs.content(ino, path);
  if (kind === S_IFLNK) {
    const target = Buffer.isBuffer(content) ? content : await content.read(0, Math.min(content.size, 4096));
    info.target = target.toString('utf8');
    // The link itself: its target's bytes, opened as nothing (a symlink is never followed).
    return { name: path, source: new BufferSource(target, path), info, open: false };
  }
  return { name: path, source: Buffer.isBuffer(content) ? new BufferSource(content, path) : content, info };
}

/** Opens the file system with its problems turned into facts (the first EXT4_LIMITS.maxProblems, then a count). */
async function openFs(src: RandomSource, ctx: DecodeContext): Promise<{ fs: Ext4Fs; flush(): void }> {
  let shown = 0;
  const hidden: Record<string, number> = {};
  const fs = await Ext4Fs.open(
    src,
    (p: Problem) => {
      if (shown++ < EXT4_LIMITS.maxProblems) ctx.fact({ kind: p.kind, message: p.message, ...(p.offset !== undefined ? { offset: p.offset } : {}) });
      else hidden[p.kind] = (hidden[p.kind] ?? 0) + 1;
    },
    (n, what) => ctx.budget.chargeMemory(n, what),
  );
  return {
    fs,
    flush() {
      for (const [kind, n] of Object.entries(hidden)) ctx.fact({ kind: kind as Problem['kind'], message: `and ${n} more ${kind === 'fs-checksum' ? 'checksum mismatches' : 'inconsistencies'} (not listed one by one)` });
    },
  };
}

export const ext4Handler: ContainerHandler = {
  id: 'ext4',
  summary: (i) => phrases(str(i.type) ?? 'ext4', str(i.label) && `label ${JSON.stringify(i.label)}`, sized('size', i.fsBytes), counted(i.files, 'file'), labelled('state', i.state)),
  kind: 'container',
  description: 'ext2/ext3/ext4 file system image (system.img, vendor.img, product.img, odm.img...)',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  detect: ({ peek }) => isExt4(peek),
  async decode(src, ctx) {
    const { fs, flush } = await openFs(src, ctx);
    const info = fs.describe();
    if (ctx.headersOnly) {
      // The tree scan reads every directory and inode: --no-hash looks up the property files by path only.
      info.tree = 'not walked (--no-hash)';
      const children: ChildSpec[] = [];
      for (const path of PROPERTY_PATHS) {
        const ino = await fs.lookup(path);
        const c = ino && (ino.mode & S_IFMT) === S_IFREG ? await childFor(fs, ino, path) : null;
        if (c) children.push(c);
      }
      info.propertyFiles = children.map((c) => c.name);
      flush();
      return { info, children };
    }
    const scan = new PostureScan((f) => ctx.fact(f));
    const walk = await fs.walkDirs(MAX_WALK_DIRS, (path, ino) => scan.visit({ path, mode: ino.mode, uid: ino.uid, gid: ino.gid, size: ino.size }));
    scan.finish(walk.complete, 'this file system');
    info.directories = walk.dirs;
    info.entries = walk.entries;
    info.files = walk.files;
    info.symlinks = walk.symlinks;
    if (!walk.complete) info.walkIncomplete = `stopped after ${walk.dirs} directories`;
    const children: ChildSpec[] = [];
    for (const path of PROPERTY_PATHS) {
      const ino = await fs.lookup(path);
      if (!ino || (ino.mode & S_IFMT) !== S_IFREG) continue;
      const c = await childFor(fs, ino, path);
      if (c) children.push(c);
    }
    info.propertyFiles = children.map((c) => c.name);
    // Init scripts, for the security posture rules (services run as root).
    for (const path of scan.scripts) {
      const ino = await fs.lookup(path);
      const c = ino && (ino.mode & S_IFMT) === S_IFREG ? await childFor(fs, ino, path) : null;
      if (c && !children.some((x) => x.name === path)) children.push(c);
    }
    if (scan.scripts.length) info.initScripts = scan.scripts.length;
    if (fs.checksums) {
      info.checksumsChecked = fs.checked;
      info.checksumsFailed = fs.failed;
      if (fs.failed === 0 && fs.checked > 0) ctx.fact({ kind: 'fs-checksum-ok', message: `${fs.checked} metadata checksums (crc32c) read, all match` });
    }
    flush();
    return { info, children };
  },
  async resolve(src, path, ctx) {
    const { fs } = await openFs(src, ctx);
    const ino = await fs.lookup(path);
    if (!ino) return null;
    return childFor(fs, ino, path.split('/').filter(Boolean).join('/'));
  },
  async list(src, path, ctx) {
    const { fs } = await openFs(src, ctx);
    const ino = await fs.lookup(path);
    if (!ino) return null;
    if ((ino.mode & S_IFMT) !== S_IFDIR) return [await listEntry(fs, ino, path.split('/').filter(Boolean).pop() ?? '')];
    const out: FsListEntry[] = [];
    for (const e of await fs.readDir(ino)) {
      const child = await fs.inode(e.ino);
      if (child) out.push(await listEntry(fs, child, e.name));
    }
    return out;
  },
};

/** One `ls` line's worth: mode, owner, size, SELinux label, a symlink's target (read, never followed). */
async function listEntry(fs: Ext4Fs, ino: Inode, name: string): Promise<FsListEntry> {
  const e: FsListEntry = { name, mode: ino.mode, uid: ino.uid, gid: ino.gid, size: ino.size };
  const label = (await fs.xattrs(ino)).find((x) => x.name === 'security.selinux');
  if (label) e.selinux = label.value.toString('utf8').replace(/\0+$/, '');
  if ((ino.mode & S_IFMT) === S_IFLNK && !fs.isEncrypted(ino)) {
    const content = await fs.content(ino, name);
    e.target = (Buffer.isBuffer(content) ? content : await content.read(0, Math.min(content.size, 4096))).toString('utf8');
  }
  return e;
}
