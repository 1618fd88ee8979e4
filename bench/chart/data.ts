// What the chart shows, from the raw results of one run: for every measured setup, its
// throughput and its round trips (p50, p99, max of each latency window) as multiples of
// each reference row's: kernel vxlan on both ends, and the C floor against the kernel
// vxlan (each = 1). Pure: no files, no drawing.
import { COLD_START, LATENCY_WINDOWS } from '../e2e/measure.js';
import {
  baselineRow,
  floorRow,
  LATENCY_STATISTICS,
  latencyMetric,
  ratio,
  THROUGHPUT_METRICS,
  type RatioMetric,
  type RowResult,
  type RunResults,
} from '../e2e/results.js';

export interface ChartGroup {
  label: string;
  /** Per reference (in Chart.references' order), one per metric of the panel; undefined where not measured. */
  ratios: (number | undefined)[][];
}

export interface ChartPanel {
  title: string;
  metrics: string[];
  groups: ChartGroup[];
}

export interface Chart {
  title: string;
  subtitle: string;
  /** The rows every ratio is over, one column of bars each; undefined where that row was not measured. */
  references: { label: string; measured: boolean }[];
  panels: ChartPanel[];
  /** The setups of the run that have no bars, and why. */
  notMeasured: { label: string; reason: string }[];
}

/** The one latency figure of files written before the latency windows. */
interface LegacyPing {
  replies: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
}

/**
 * Fails with one line where `value` does not look like a bench results file. Files from
 * before the latency windows carry one `ping` figure, 200 pings 10 ms apart taken as soon
 * as the setup answered: it is read as the cold-start window.
 */
export function asRunResults(value: unknown): RunResults {
  const candidate = value as Partial<RunResults> | null;
  if (typeof candidate?.date !== 'string' || typeof candidate.machine !== 'object' || !Array.isArray(candidate.rows)) {
    throw new Error('not the results of npm run bench (no date, machine and rows)');
  }
  const rows = candidate.rows.map((row: RowResult & { ping?: LegacyPing }) => {
    const { ping, ...rest } = row;
    if (ping === undefined || row.latency !== undefined) return row;
    return { ...rest, latency: [{ name: COLD_START.name, spacingMs: COLD_START.spacingMs, sent: COLD_START.count, ...ping }] };
  });
  return { ...(candidate as RunResults), rows };
}

/** How a latency window is named on the chart. */
const windowTitle = (name: string): string => (name === COLD_START.name ? 'cold start' : `${name} apart`);

export function chartData(results: RunResults): Chart {
  const baseline = baselineRow(results);
  if (baseline === undefined) throw new Error('the results have no measured baseline row, so no ratios');
  const floor = floorRow(results);
  const floorLabel = results.rows.find((row) => row.floor === true)?.label ?? 'the C floor';
  const measured = results.rows.filter((row) => row.error === undefined && row.skipped === undefined);
  const panel = (title: string, metrics: readonly RatioMetric[], names: readonly string[]): ChartPanel => ({
    title,
    metrics: [...names],
    groups: measured.map((row) => ({
      label: row.label,
      ratios: [baseline, floor].map((reference) => metrics.map((metric) => ratio(row, reference, metric))),
    })),
  });
  const windowNames = LATENCY_WINDOWS.map((window) => windowTitle(window.name));
  const latencyPanels = LATENCY_STATISTICS.map((statistic) =>
    panel(
      `Round trip ${statistic.name} (lower is better)`,
      LATENCY_WINDOWS.map((window) => latencyMetric(window.name, statistic)),
      windowNames,
    ),
  );
  const { cpu, cores, kernel, node } = results.machine;
  return {
    title: 'Each setup as a multiple of a reference row (= 1), measured in the same run',
    subtitle: `${results.date} · ${cpu} (${cores} cores) · Linux ${kernel} · Node ${node}`,
    references: [
      { label: baseline.label, measured: true },
      { label: floorLabel, measured: floor !== undefined },
    ],
    panels: [
      panel(
        'Throughput (higher is better)',
        THROUGHPUT_METRICS,
        THROUGHPUT_METRICS.map((metric) => metric.name),
      ),
      ...latencyPanels,
    ],
    notMeasured: results.rows.flatMap((row) => {
      const reason = row.skipped ?? (row.error === undefined ? undefined : `failed: ${row.error}`);
      return reason === undefined ? [] : [{ label: row.label, reason }];
    }),
  };
}
