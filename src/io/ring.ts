/**
 * A fixed ring of reusable read buffers, each on its own SharedArrayBuffer so
 * hashing threads can see a slot's bytes without a copy. A slot is counted:
 * the reader holds it while it fills and hands it round, every hashing
 * thread it is posted to holds it until it has hashed it, and it is reused
 * only when all have let go. A reader waiting for a slot is the backpressure
 * that keeps memory at the ring's size however fast the file reads.
 */
export class Slot {
  /** The whole slot; chunks are views of it. */
  readonly buf: Buffer;
  refs = 0;
  constructor(
    readonly sab: SharedArrayBuffer,
    readonly index: number,
  ) {
    this.buf = Buffer.from(sab);
  }
}

export class BufferRing {
  private readonly slots: Slot[] = [];
  private readonly free: Slot[] = [];
  private readonly waiters: ((s: Slot) => void)[] = [];
  private readonly bySab = new Map<ArrayBufferLike, Slot>();

  constructor(
    readonly slotSize: number,
    readonly count: number,
  ) {}

  /** A free slot, held once by the caller; waits while all are in use. */
  acquire(): Promise<Slot> {
    const s = this.free.pop() ?? this.create();
    if (s) {
      s.refs = 1;
      return Promise.resolve(s);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private create(): Slot | undefined {
    if (this.slots.length >= this.count) return undefined;
    const s = new Slot(new SharedArrayBuffer(this.slotSize), this.slots.length);
    this.slots.push(s);
    this.bySab.set(s.sab, s);
    return s;
  }

  retain(s: Slot): void {
    if (s.refs <= 0) throw new Error('internal: retaining a free ring slot');
    s.refs++;
  }

  release(s: Slot): void {
    if (s.refs <= 0) throw new Error('internal: releasing a free ring slot');
    if (--s.refs > 0) return;
    const w = this.waiters.shift();
    if (w) {
      s.refs = 1;
      w(s);
    } else this.free.push(s);
  }

  /** The slot a chunk is a view of, when it is one of this ring's (held slots only keep their bytes). */
  slotOf(b: Uint8Array): Slot | undefined {
    const s = this.bySab.get(b.buffer);
    return s && s.refs > 0 ? s : undefined;
  }

  /** Slots in use now (for tests: all go back when reading and hashing are done). */
  get inUse(): number {
    return this.slots.length - this.free.length;
  }
}
