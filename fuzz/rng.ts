/**
 * A small seeded generator (splitmix32-style mixing over a 32-bit state):
 * every fuzz case is derived from (run seed, case number) alone, so any case
 * can be generated again without running the ones before it.
 */
export class Rng {
  private s: number;
  constructor(...seeds: number[]) {
    let s = 0x9e3779b9;
    for (const x of seeds) s = mix((s ^ (x >>> 0)) >>> 0);
    this.s = s;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    return mix(this.s);
  }

  /** An integer in [0, n); 0 when n <= 0. */
  below(n: number): number {
    if (n <= 1) return 0;
    if (n <= 0x100000000) return Math.floor((this.u32() / 0x100000000) * n);
    return Math.floor(((this.u32() * 0x100000000 + this.u32()) / 2 ** 64) * n);
  }

  /** True with probability 1/n. */
  oneIn(n: number): boolean {
    return this.below(n) === 0;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
}
