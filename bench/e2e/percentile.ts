// Percentiles of a sample, interpolated linearly between the two nearest ranks (as
// numpy's default): p50 of an even count is the mean of the middle two, as a median is.

/** The p-th percentile (0..100) of `values`, which need not be sorted. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((x, y) => x - y);
  const position = ((sorted.length - 1) * p) / 100;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
