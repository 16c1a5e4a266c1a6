import seedrandom from "seedrandom";

export type Rng = seedrandom.PRNG;

// seedrandom's typings omit its constructor form; `new` guarantees a fresh generator that never
// touches the global random generator.
const SeededPRNG = seedrandom as unknown as new (seed: string) => Rng;

/** A deterministic uniform [0, 1) generator for a string seed. */
export function createRng(seed: string): Rng {
  return new SeededPRNG(seed);
}

/** Standard normal draw (Box–Muller) from a seeded generator. */
export function normal(rng: Rng, mu = 0, sigma = 1): number {
  const u = Math.max(rng(), 1e-12);
  const v = rng();
  return mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher–Yates shuffle into a new array. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
