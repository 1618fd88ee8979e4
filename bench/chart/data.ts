// What the chart shows, from the raw results of one run: for every measured setup but the
// baseline, its throughput and latency as multiples of the baseline's (kernel vxlan on both
// ends = 1). Pure: no files, no drawing.
import { baselineRow, LATENCY_METRICS, ratio, THROUGHPUT_METRICS, type RatioMetric, type RunResults } from '../e2e/results.js';

export interface ChartGroup {
  label: string;
  /** One per metric of the panel, in its order; undefined where not measured. */
  ratios: (number | undefined)[];
}

export interface ChartPanel {
  title: string;
  metrics: string[];
  groups: ChartGroup[];
}

export interface Chart {
  title: string;
  subtitle: string;
  panels: ChartPanel[];
  /** The setups of the run that have no bars, and why. */
  notMeasured: { label: string; reason: string }[];
}

/** Fails with one line where `value` does not look like a bench results file. */
export function asRunResults(value: unknown): RunResults {
  const candidate = value as Partial<RunResults> | null;
  if (typeof candidate?.date !== 'string' || typeof candidate.machine !== 'object' || !Array.isArray(candidate.rows)) {
    throw new Error('not the results of npm run bench (no date, machine and rows)');
  }
  return candidate as RunResults;
}

export function chartData(results: RunResults): Chart {
  const baseline = baselineRow(results);
  if (baseline === undefined) throw new Error('the results have no measured baseline row, so no ratios');
  const measured = results.rows.filter((row) => row !== baseline && row.error === undefined && row.skipped === undefined);
  const panel = (title: string, metrics: readonly RatioMetric[]): ChartPanel => ({
    title,
    metrics: metrics.map((metric) => metric.name),
    groups: measured.map((row) => ({ label: row.label, ratios: metrics.map((metric) => ratio(row, baseline, metric)) })),
  });
  const { cpu, cores, kernel, node } = results.machine;
  return {
    title: `Each setup as a multiple of ${baseline.label} (= 1), measured in the same run`,
    subtitle: `${results.date} · ${cpu} (${cores} cores) · Linux ${kernel} · Node ${node}`,
    panels: [
      panel('Throughput (higher is better)', THROUGHPUT_METRICS),
      panel('Round-trip latency (lower is better)', LATENCY_METRICS),
    ],
    notMeasured: results.rows.flatMap((row) => {
      const reason = row.skipped ?? (row.error === undefined ? undefined : `failed: ${row.error}`);
      return reason === undefined ? [] : [{ label: row.label, reason }];
    }),
  };
}
