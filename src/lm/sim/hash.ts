/**
 * Fast deterministic draws for SimLM. Every per-call random choice is a function of a 53-bit
 * string hash (two 32-bit multiply–xorshift lanes), never of a global generator, so a reply
 * depends only on what the request contains. The seeded generators of core/random.ts are kept for
 * drawing the world, where speed does not matter.
 */

/** 53-bit non-cryptographic hash of a string, continued from `seed` (chain calls to hash several strings). */
export function hashString(text: string, seed = 0): number {
  let a = 0x9e3779b9 ^ (seed >>> 0);
  let b = 0x85ebca6b ^ Math.floor(seed / 4294967296);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  a = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d);
  a ^= Math.imul(b ^ (b >>> 13), 0x297a2d39);
  b = Math.imul(b ^ (b >>> 16), 0x85ebca77);
  b ^= Math.imul(a ^ (a >>> 12), 0xc2b2ae3d);
  return (b & 0x1fffff) * 4294967296 + (a >>> 0);
}

/** Mixes a number (sample index, seed, salt) into a hash. */
export function hashMix(hash: number, value: number): number {
  return hashString(String(value), hash);
}

/** A uniform draw in [0, 1) named by `salt` under `hash`: independent salts give independent draws. */
export function hash01(hash: number, salt: number): number {
  return new Draws(hashMix(hash, salt)).next();
}

/** A small counter-based generator seeded by a hash (for a renderer's several choices in one call). */
export class Draws {
  private state: number;

  constructor(hash: number) {
    this.state = (hash ^ Math.floor(hash / 4294967296)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Draws.pick: cannot pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}
