/**
 * The expanded (raw) view of a sparse image as a random-access source built
 * from its chunk map: nothing is materialised, RAW ranges are read from the
 * sparse file, FILL and DONT_CARE ranges are generated.
 */
import { TruncatedError } from '../../io/errors';
import type { FactKind } from '../../facts';
import { STREAM_CHUNK, type RandomSource } from '../../io/source';
import { ChunkKind, type ChunkMap } from './chunk-map';

const ZEROS = Buffer.alloc(STREAM_CHUNK);
const patterns = new Map<number, Buffer>();

/** A read-only 1 MiB buffer of a repeated 4-byte pattern (cached; chunks are never mutated downstream). */
function patternBuffer(p: number): Buffer {
  if (p === 0) return ZEROS;
  let b = patterns.get(p);
  if (!b) {
    b = Buffer.allocUnsafe(STREAM_CHUNK);
    for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(p, i);
    if (patterns.size > 16) patterns.clear();
    patterns.set(p, b);
  }
  return b;
}

/** A chunk map and the sparse file(s) its RAW chunks point into (several for a split image). */
export interface SparseLayer {
  map: ChunkMap;
  files: RandomSource[];
}

export class SparseExpandedSource implements RandomSource {
  readonly kind = 'random' as const;
  readonly size: number;
  /**
   * @param shortKind fact kind raised when RAW data is missing (a block OTA's
   *   new.dat that is too short says more than 'truncated').
   */
  constructor(
    readonly name: string,
    private readonly layer: SparseLayer,
    private readonly blockSize: number,
    totalBlocks: number,
    private readonly shortKind?: FactKind,
  ) {
    this.size = totalBlocks * blockSize;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.stream(offset, offset + length)) parts.push(c);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async *stream(start = 0, end = this.size): AsyncGenerator<Buffer> {
    const { map, files } = this.layer;
    const bs = this.blockSize;
    let pos = Math.max(0, start);
    const stop = Math.min(end, this.size);
    // i: the first chunk that ends after pos. Blocks no chunk covers (a
    // split image's other pieces) read as zeros, as simg2img leaves them.
    const k = map.find(Math.floor(pos / bs));
    let i = k < 0 ? 0 : pos < (map.startBlock[k] + map.blocks[k]) * bs ? k : k + 1;
    while (pos < stop) {
      if (i >= map.count) {
        yield* fill(ZEROS, stop - pos);
        return;
      }
      const cs = map.startBlock[i] * bs;
      if (pos < cs) {
        const to = Math.min(cs, stop);
        yield* fill(ZEROS, to - pos);
        pos = to;
        continue;
      }
      const e = Math.min(cs + map.blocks[i] * bs, stop);
      const kind = map.kind[i] as ChunkKind;
      if (kind === ChunkKind.Raw) {
        const from = map.arg[i] + (pos - cs);
        let got = 0;
        for await (const c of files[map.file[i]].stream(from, from + (e - pos))) {
          got += c.length;
          yield c;
        }
        if (got < e - pos) throw new TruncatedError(`data at offset ${from + got} of ${files[map.file[i]].name} is missing`, from + got, this.shortKind);
      } else {
        yield* fill(kind === ChunkKind.Fill ? patternBuffer(map.arg[i]) : ZEROS, e - pos, (pos - cs) % 4);
      }
      pos = e;
      i++;
    }
  }
}

/** n bytes of a 4-byte-periodic buffer, starting `phase` bytes into the period (reads need not be aligned). */
function* fill(buf: Buffer, n: number, phase = 0): Generator<Buffer> {
  let left = n;
  if (phase) {
    const first = buf.subarray(phase, phase + Math.min(left, buf.length - phase));
    left -= first.length;
    yield first;
  }
  for (; left > 0; left -= buf.length) yield left >= buf.length ? buf : buf.subarray(0, left);
}
