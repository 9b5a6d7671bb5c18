/**
 * What a hash or hashtree descriptor promises about a partition image,
 * computed over the image as it streams past (FORMATS.md §5.6, §5.8):
 *
 * - hash: H(salt ‖ image[0 : image_size]);
 * - hashtree: the dm-verity root digest. Level 0 hashes every data block
 *   (salt first, the last block zero-padded); each digest takes a slot of
 *   the next power of two bytes; slots fill hash blocks; each full hash block
 *   is hashed into the level above, until a level is a single block, whose
 *   salted hash is the root (an image of one data block: that block's hash).
 *
 * The tree is never materialised: only the current partial block of each
 * level is kept, so memory is O(levels × block size) whatever the image size.
 */
import { createHash, type Hash } from 'node:crypto';
import { descriptorHash, type HashDescriptor, type HashtreeDescriptor } from './structs';

/** Gets exactly the bytes the descriptor covers, in order, then gives the digest. */
export interface DigestComputation {
  update(b: Buffer): void;
  finish(): Buffer;
}

/** Why a descriptor's digest cannot be computed, or null when it can. */
export function digestUnsupported(d: HashDescriptor | HashtreeDescriptor): string | null {
  const h = descriptorHash(d.hashAlgorithm);
  if (!h) return `unknown hash algorithm "${d.hashAlgorithm}"`;
  if (!h.node) return `${d.hashAlgorithm} is not available in node:crypto`;
  if (d.type === 'hashtree' && (!isBlockSize(d.dataBlockSize) || !isBlockSize(d.hashBlockSize))) return `block sizes ${d.dataBlockSize}/${d.hashBlockSize} are not powers of two from 512 to 1 MiB`;
  return null;
}

/** dm-verity block sizes are powers of two; avbtool writes 4096. */
export function isBlockSize(n: number): boolean {
  return n >= 512 && n <= 1 << 20 && (n & (n - 1)) === 0;
}

/** Two descriptors with the same key ask for the same computation over the same bytes. */
export function computationKey(d: HashDescriptor | HashtreeDescriptor): string {
  const common = `${d.type}|${d.hashAlgorithm}|${d.salt.toString('hex')}|${d.imageSize}`;
  return d.type === 'hashtree' ? `${common}|${d.dataBlockSize}|${d.hashBlockSize}` : common;
}

/** The computation a descriptor asks for (check digestUnsupported first). */
export function startComputation(d: HashDescriptor | HashtreeDescriptor): DigestComputation {
  const algo = descriptorHash(d.hashAlgorithm)!.node!;
  if (d.type === 'hash') {
    const h = createHash(algo).update(d.salt);
    return { update: (b) => void h.update(b), finish: () => h.digest() };
  }
  return new HashtreeBuilder(algo, d.salt, d.dataBlockSize, d.hashBlockSize);
}

interface Level {
  buf: Buffer;
  fill: number;
}

export class HashtreeBuilder implements DigestComputation {
  private readonly base: Hash;
  private readonly size: number;
  private readonly slot: number;
  private readonly partial: Buffer;
  private partialFill = 0;
  private dataBlocks = 0;
  private firstDigest: Buffer | null = null;
  private readonly levels: Level[] = [];
  /** Every finished hash block of each level, when the tree itself is wanted (treeBytes). */
  private readonly kept: Buffer[][] | null;

  constructor(
    algo: string,
    salt: Buffer,
    private readonly dataBlockSize: number,
    private readonly hashBlockSize: number,
    keepTree = false,
  ) {
    this.kept = keepTree ? [] : null;
    this.base = createHash(algo).update(salt);
    this.size = this.base.copy().digest().length;
    let slot = 1;
    while (slot < this.size) slot *= 2;
    this.slot = slot;
    this.partial = Buffer.alloc(dataBlockSize);
  }

  update(chunk: Buffer): void {
    const bd = this.dataBlockSize;
    let o = 0;
    if (this.partialFill > 0) {
      const n = Math.min(bd - this.partialFill, chunk.length);
      chunk.copy(this.partial, this.partialFill, 0, n);
      this.partialFill += n;
      o = n;
      if (this.partialFill < bd) return;
      this.dataBlock(this.partial);
      this.partialFill = 0;
    }
    for (; chunk.length - o >= bd; o += bd) this.dataBlock(chunk.subarray(o, o + bd));
    if (o < chunk.length) {
      chunk.copy(this.partial, 0, o);
      this.partialFill = chunk.length - o;
    }
  }

  finish(): Buffer {
    if (this.partialFill > 0) {
      this.partial.fill(0, this.partialFill);
      this.dataBlock(this.partial);
      this.partialFill = 0;
    }
    if (this.dataBlocks <= 1) return this.firstDigest ?? this.hash(Buffer.alloc(this.dataBlockSize));
    const top = this.levelCount() - 1;
    // Every level below the top ends with its last, zero-padded block.
    for (let i = 0; i < top; i++) {
      const l = this.levels[i];
      if (l.fill > 0) this.close(i);
    }
    const t = this.levels[top];
    // A top block that filled exactly was already hashed into the slot above it.
    if (t.fill > 0) return this.hash(t.buf);
    return Buffer.from(this.levels[top + 1].buf.subarray(0, this.size));
  }

  /**
   * The tree as dm-verity and update_engine lay it out (after finish()):
   * levels from the top (one block) down to level 0, each a whole number of
   * hash blocks. One data block gives one block (its digest, zero-padded).
   * Only with `keepTree`.
   */
  treeBytes(): Buffer {
    if (!this.kept) throw new Error('internal: the hash tree was not kept');
    if (this.dataBlocks === 0) return Buffer.alloc(0);
    const top = this.levelCount() - 1;
    const out: Buffer[] = [];
    for (let i = top; i >= 0; i--) {
      out.push(...(this.kept[i] ?? []));
      const l = this.levels[i];
      // The top block is hashed for the root but not closed (nor kept) unless it filled exactly.
      if (i === top && l && l.fill > 0) out.push(Buffer.from(l.buf));
    }
    return Buffer.concat(out);
  }

  /** Levels of the tree for the data seen (avbtool calc_hash_level_offsets: until a level is one block). */
  private levelCount(): number {
    let n = this.dataBlocks;
    let levels = 0;
    for (;;) {
      levels++;
      const blocks = Math.ceil((n * this.slot) / this.hashBlockSize);
      if (blocks <= 1) return levels;
      n = blocks;
    }
  }

  private hash(block: Buffer): Buffer {
    return this.base.copy().update(block).digest();
  }

  private dataBlock(block: Buffer): void {
    const d = this.hash(block);
    if (this.dataBlocks++ === 0) this.firstDigest = d;
    this.push(0, d);
  }

  private push(level: number, digest: Buffer): void {
    const l = (this.levels[level] ??= { buf: Buffer.alloc(this.hashBlockSize), fill: 0 });
    digest.copy(l.buf, l.fill);
    l.fill += this.slot;
    if (l.fill >= this.hashBlockSize) this.close(level);
  }

  /** Hashes the level's current block (zero-padded) into the level above and starts a new one. */
  private close(level: number): void {
    const l = this.levels[level];
    const d = this.hash(l.buf);
    if (this.kept) (this.kept[level] ??= []).push(Buffer.from(l.buf));
    l.buf.fill(0);
    l.fill = 0;
    this.push(level + 1, d);
  }
}
