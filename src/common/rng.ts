// Seeded PRNG for simulations and tests (never for keys): splitmix64 to seed,
// xoshiro256** to generate. Same seed, same sequence, on every machine.
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (64n - k))) & M64;

export class Rng {
  private s: [bigint, bigint, bigint, bigint];
  constructor(seed: number | bigint) {
    let x = BigInt.asUintN(64, BigInt(seed));
    const next = () => {
      x = (x + 0x9e3779b97f4a7c15n) & M64;
      let z = x;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
      return z ^ (z >> 31n);
    };
    this.s = [next(), next(), next(), next()];
  }
  /** Uniform 64-bit integer. */
  nextU64(): bigint {
    const s = this.s;
    const result = (rotl((s[1] * 5n) & M64, 7n) * 9n) & M64;
    const t = (s[1] << 17n) & M64;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45n);
    return result;
  }
  /** Uniform float in [0, 1). */
  float(): number { return Number(this.nextU64() >> 11n) / 2 ** 53; }
  /** Uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.float() * n); }
  chance(p: number): boolean { return this.float() < p; }
  bytes(n: number): Uint8Array { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = this.int(256); return b; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
}
