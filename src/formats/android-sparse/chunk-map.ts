/**
 * Where every block of an expanded sparse image comes from, in typed arrays
 * (a few bytes per chunk, whatever the image size).
 */
export const enum ChunkKind {
  Raw = 1,
  Fill = 2,
  DontCare = 3,
}

export class ChunkMap {
  count = 0;
  startBlock = new Float64Array(64);
  blocks = new Float64Array(64);
  kind = new Uint8Array(64);
  /** RAW: byte offset of the data in the sparse file; FILL: the 4-byte pattern as u32 (little-endian). */
  arg = new Float64Array(64);
  /** Which sparse file holds a RAW chunk's data (split images join several). */
  file = new Uint16Array(64);

  push(startBlock: number, blocks: number, kind: ChunkKind, arg: number, file = 0): void {
    if (this.count === this.kind.length) this.grow();
    const i = this.count++;
    this.startBlock[i] = startBlock;
    this.blocks[i] = blocks;
    this.kind[i] = kind;
    this.arg[i] = arg;
    this.file[i] = file;
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const f = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.startBlock = f(this.startBlock);
    this.blocks = f(this.blocks);
    this.arg = f(this.arg);
    const k = new Uint8Array(n);
    k.set(this.kind);
    this.kind = k;
    const fi = new Uint16Array(n);
    fi.set(this.file);
    this.file = fi;
  }

  /** Index of the last chunk starting at or before `block` (-1 if none). */
  find(block: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.startBlock[mid] <= block) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
}
