import type { DigestSet } from './digest-set';
import { originOf, scanRange, type FileLease, type RandomSource, type ScanFn, type Source } from './source';

/**
 * A container's one hashing pass, driven by its children's reads: every
 * byte range of the container streamed or scanned through this source (a
 * stored member's own pass) also feeds the container's digests when it
 * starts where they have got to, so a member's bytes are read from disk once
 * for both. Before a read starting further on, the gap is hashed first (the
 * bytes between members); `finish` hashes what no child read. Plain `read`s
 * (headers, tables) are not fed: they may come in any order.
 *
 * Off until `start` (the decoder reads through it while the taps are not
 * known yet). Every byte reaches the digests once and in order whatever the
 * children do: a read that is not where the pass is only skips the tee.
 */
export class PassTee implements RandomSource {
  readonly kind = 'random' as const;
  readonly name: string;
  readonly size: number;
  private on = false;
  /** Reads feeding the pass now; a second one does not hash a gap the first may cover. */
  private active = 0;

  constructor(
    private readonly inner: RandomSource,
    private readonly digests: DigestSet,
    /** Told of the bytes the pass reads itself (the gaps), for progress. */
    private readonly onGap: (n: number) => void,
  ) {
    this.name = inner.name;
    this.size = inner.size;
  }

  /** Starts the pass at byte 0 (taps must be on the digest set by now). */
  start(): void {
    this.digests.pos = 0;
    this.on = true;
  }

  /** Hashes the rest, up to the end of the container. */
  async finish(): Promise<void> {
    await this.gap(this.size);
    this.on = false;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.inner.read(offset, length);
  }

  /** The wrapped source's place (a member that is its own container is found through the tee). */
  origin(): { base: Source; offset: number } {
    return originOf(this.inner);
  }

  fileRange(offset: number, length: number): { fd: number; position: number } | null {
    return this.inner.fileRange?.(offset, length) ?? null;
  }

  leaseFile(): FileLease | null {
    return this.inner.leaseFile?.() ?? null;
  }

  prefetch(offset: number, length: number): void {
    this.inner.prefetch?.(offset, length);
  }

  /** Hashes [pos, to) itself. */
  private async gap(to: number): Promise<void> {
    const from = this.digests.pos;
    if (!this.on || from >= to) return;
    this.active++;
    try {
      await scanRange(this.inner, from, to, async (c) => {
        const p = this.digests.update(c);
        this.onGap(c.length);
        if (p) await p;
      });
    } finally {
      this.active--;
    }
  }

  /** Feeds the part of a chunk at `at` that starts where the pass is. */
  private feed(c: Buffer, at: number): void | Promise<void> {
    const pos = this.digests.pos;
    if (!this.on || at > pos || at + c.length <= pos) return;
    return this.digests.update(at === pos ? c : c.subarray(pos - at));
  }

  async *stream(start = 0, end = this.size): AsyncIterable<Buffer> {
    const s = Math.max(0, Math.min(start, this.size));
    if (this.active === 0) await this.gap(s);
    this.active++;
    try {
      let at = s;
      for await (const c of this.inner.stream(s, end)) {
        const p = this.feed(c, at);
        if (p) await p;
        at += c.length;
        yield c;
      }
    } finally {
      this.active--;
    }
  }

  async scan(start: number, end: number, fn: ScanFn): Promise<void> {
    const s = Math.max(0, Math.min(start, this.size));
    if (this.active === 0) await this.gap(s);
    this.active++;
    try {
      let at = s;
      await scanRange(this.inner, s, end, async (c) => {
        const p = this.feed(c, at);
        at += c.length;
        if (p) await p;
        await fn(c);
      });
    } finally {
      this.active--;
    }
  }
}
