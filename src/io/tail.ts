/** Keeps the last `n` bytes of a stream. */
export class TailKeeper {
  private buf = Buffer.alloc(0);
  constructor(private readonly n: number) {}
  push(c: Buffer): void {
    if (c.length >= this.n) this.buf = Buffer.from(c.subarray(c.length - this.n));
    else this.buf = Buffer.concat([this.buf, c]).subarray(-this.n);
  }
  bytes(): Buffer {
    return this.buf;
  }
}
