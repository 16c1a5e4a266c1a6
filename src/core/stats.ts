/** Summary statistics reported for evaluations and suites. */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1); 0 for fewer than two values. */
export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

// Two-sided 97.5% Student-t quantiles for small degrees of freedom; beyond 30 the normal 1.96.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Half-width of the 95% t confidence interval of the mean; 0 for fewer than two values. */
export function ci95(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const df = xs.length - 1;
  const t = df <= T975.length ? T975[df - 1]! : 1.96;
  return (t * std(xs)) / Math.sqrt(xs.length);
}

/** Percentile bootstrap 95% interval of the mean, with a caller-supplied seeded uniform source. */
export function bootstrapCi95(xs: readonly number[], uniform: () => number, resamples = 2000): [number, number] {
  return bootstrapStatisticCi95(xs.length, (idx) => mean(idx.map((i) => xs[i]!)), uniform, resamples);
}

/**
 * Percentile bootstrap 95% interval of any statistic of `n` resampling units (seeds, worlds, …):
 * each resample draws n unit indices with replacement and evaluates `statistic` on them.
 * Resamples where the statistic is not finite are dropped; NaNs when none is left.
 */
export function bootstrapStatisticCi95(n: number, statistic: (indices: readonly number[]) => number, uniform: () => number, resamples = 2000): [number, number] {
  if (n === 0) return [Number.NaN, Number.NaN];
  const values: number[] = [];
  const indices = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) indices[i] = Math.floor(uniform() * n);
    const v = statistic(indices);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return [Number.NaN, Number.NaN];
  values.sort((a, b) => a - b);
  const m = values.length;
  return [values[Math.floor(0.025 * (m - 1))]!, values[Math.ceil(0.975 * (m - 1))]!];
}
