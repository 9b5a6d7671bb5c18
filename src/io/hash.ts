import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import xxhash from 'xxhash-wasm';

/**
 * `sum16`: the 16-bit sum of every byte (modulo 65536), as MediaTek's SP
 * Flash Tool writes it in Checksum.ini (4 hex digits).
 */
export const HASH_ALGOS = ['md5', 'sha1', 'sha256', 'crc32', 'xxh64', 'sum16'] as const;
export type HashAlgo = (typeof HASH_ALGOS)[number];

export function isHashAlgo(s: string): s is HashAlgo {
  return (HASH_ALGOS as readonly string[]).includes(s);
}

type XXHashAPI = Awaited<ReturnType<typeof xxhash>>;
let xxApi: XXHashAPI | undefined;

/** Loads the xxhash wasm module once; needed before any MultiHash that includes xxh32/xxh64. */
export async function loadXxhash(): Promise<XXHashAPI> {
  if (!xxApi) xxApi = await xxhash();
  return xxApi;
}

export function xxhashApi(): XXHashAPI {
  if (!xxApi) throw new Error('xxhash not loaded: call loadXxhash() first');
  return xxApi;
}

interface Digester {
  update(b: Buffer): void;
  digest(): string;
}

function makeDigester(algo: HashAlgo): Digester {
  switch (algo) {
    case 'crc32': {
      let c = 0;
      return { update: (b) => void (c = crc32(b, c)), digest: () => (c >>> 0).toString(16).padStart(8, '0') };
    }
    case 'sum16': {
      let sum = 0;
      return {
        update: (b) => {
          // Partial sums stay far below 2^53 for any chunk (at most 255 × its length); folded once per chunk.
          let s = 0;
          for (let i = 0; i < b.length; i++) s += b[i];
          sum = (sum + s) % 0x10000;
        },
        digest: () => sum.toString(16).padStart(4, '0'),
      };
    }
    case 'xxh64': {
      const h = xxhashApi().create64(0n);
      return { update: (b) => void h.update(b), digest: () => h.digest().toString(16).padStart(16, '0') };
    }
    default: {
      const h: Hash = createHash(algo);
      return { update: (b) => void h.update(b), digest: () => h.digest('hex') };
    }
  }
}

/** Feeds every chunk to several digests at once, so bytes are read only once. */
export class MultiHash {
  private readonly ds: [HashAlgo, Digester][];
  bytes = 0;
  constructor(algos: Iterable<HashAlgo>) {
    this.ds = [...new Set(algos)].map((a) => [a, makeDigester(a)]);
  }
  update(b: Buffer): void {
    this.bytes += b.length;
    for (const [, d] of this.ds) d.update(b);
  }
  digest(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [a, d] of this.ds) out[a] = d.digest();
    return out;
  }
}

/** Digest lengths in hex characters, used to guess the algorithm of a bare checksum. */
export const HEX_LENGTH_ALGO: Record<number, HashAlgo> = { 8: 'crc32', 32: 'md5', 40: 'sha1', 64: 'sha256' };
