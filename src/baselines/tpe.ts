import type { Rng } from "../core/random";

/**
 * A Tree-structured Parzen Estimator over categorical dimensions (Bergstra et al. 2011; the
 * sampler DSPy's MIPROv2 runs through Optuna), small enough to read: after `startupTrials` uniform
 * draws, the observations are split into the best `gamma` share ("good") and the rest; each
 * dimension gets smoothed category frequencies l(x) (good) and g(x) (rest), and the next point is
 * the one of `candidates` draws from l that maximizes Π l(x)/g(x) — the expected-improvement
 * criterion of TPE. Dimensions are modelled independently (Optuna's default, univariate TPE).
 */

export interface TpeOptions {
  /** Number of categories of each dimension. */
  sizes: readonly number[];
  startupTrials: number;
  gamma?: number;
  candidates?: number;
}

export class CategoricalTpe {
  private readonly observations: { point: number[]; score: number }[] = [];
  private readonly gamma: number;
  private readonly candidates: number;

  constructor(private readonly options: TpeOptions) {
    if (options.sizes.some((k) => !(Number.isInteger(k) && k >= 1))) throw new Error(`TPE dimensions need at least one category each (got ${options.sizes.join(", ")})`);
    this.gamma = options.gamma ?? 0.25;
    this.candidates = options.candidates ?? 24;
  }

  observe(point: readonly number[], score: number): void {
    this.observations.push({ point: [...point], score });
  }

  suggest(rng: Rng): number[] {
    const { sizes } = this.options;
    if (this.observations.length < this.options.startupTrials) return sizes.map((k) => Math.floor(rng() * k));
    // Stable sort: equal scores keep observation order, so the split is deterministic.
    const ranked = [...this.observations].sort((a, b) => b.score - a.score);
    const nGood = Math.max(1, Math.ceil(this.gamma * ranked.length));
    const good = ranked.slice(0, nGood);
    const rest = ranked.slice(nGood);
    const density = (group: typeof ranked, d: number): number[] => {
      const counts = new Array<number>(sizes[d]!).fill(1); // one pseudo-observation per category
      for (const o of group) counts[o.point[d]!]! += 1;
      const total = counts.reduce((a, b) => a + b, 0);
      return counts.map((c) => c / total);
    };
    const l = sizes.map((_, d) => density(good, d));
    const g = sizes.map((_, d) => density(rest, d));
    let best: { point: number[]; ratio: number } | undefined;
    for (let i = 0; i < this.candidates; i++) {
      const point = l.map((p) => draw(p, rng()));
      const ratio = point.reduce((s, x, d) => s + Math.log(l[d]![x]!) - Math.log(g[d]![x]!), 0);
      if (!best || ratio > best.ratio) best = { point, ratio };
    }
    return best!.point;
  }
}

function draw(probabilities: readonly number[], u: number): number {
  let r = u;
  for (let i = 0; i < probabilities.length; i++) if ((r -= probabilities[i]!) < 0) return i;
  return probabilities.length - 1;
}
