// The printed report of one end-to-end run: a throughput table and a latency table, each
// figure with its ratio to kernel vxlan <-> kernel vxlan ("vs k") and to the C floor
// against the kernel vxlan ("vs f"), the underlay settings of every row, and where each
// vxlan-tap's CPU went thread by thread.
import type { VethEnd } from '../../lab/lab.js';
import { formatTable } from '../table.js';
import { formatThreadsCpu } from './cpu.js';
import { LATENCY_WINDOWS, TCP_STREAMS } from './measure.js';
import { formatRatio, LATENCY_STATISTICS, latencyMetric, ratio, THROUGHPUT_METRICS, windowOf, type RatioMetric, type RowResult } from './results.js';

export interface References {
  kernel: RowResult | undefined;
  floor: RowResult | undefined;
}

const fixed = (value: number | undefined, digits: number, scale = 1): string => (value === undefined ? '-' : (value / scale).toFixed(digits));

/** A figure and its two ratios, as three cells. */
function withRatios(row: RowResult, { kernel, floor }: References, metric: RatioMetric, digits: number, scale = 1): string[] {
  const times = (reference: RowResult | undefined): string => {
    const value = ratio(row, reference, metric);
    return value === undefined ? '-' : `${formatRatio(value)}x`;
  };
  return [fixed(metric.value(row), digits, scale), times(kernel), times(floor)];
}

const measuredRows = (rows: readonly RowResult[]): RowResult[] => rows.filter((row) => row.skipped === undefined);

export function formatThroughput(rows: readonly RowResult[], references: References): string {
  const [oneStream, parallel, udp] = THROUGHPUT_METRICS as [RatioMetric, RatioMetric, RatioMetric];
  const ratios = ['vs k', 'vs f'];
  return formatTable(
    ['setup', 'TCP Gbit/s', ...ratios, `TCP x${TCP_STREAMS}`, ...ratios, 'UDP kpps', ...ratios, 'CPU s/GB vtep', 'system', 'ping CPU'],
    measuredRows(rows).map((row) => [
      row.label,
      ...withRatios(row, references, oneStream, 2, 1e9),
      ...withRatios(row, references, parallel, 2, 1e9),
      ...withRatios(row, references, udp, 1, 1e3),
      fixed(row.cpu?.vtepSecondsPerGB, 2),
      fixed(row.cpu?.systemSecondsPerGB, 2),
      row.cpu?.vtepShareDuringPing === undefined ? '-' : `${(row.cpu.vtepShareDuringPing * 100).toFixed(0)}%`,
    ]),
  );
}

/** One line per row and latency window: lost echoes, then p50, p99 and max with their ratios. */
export function formatLatency(rows: readonly RowResult[], references: References): string {
  const headers = ['setup', 'window', 'lost', ...LATENCY_STATISTICS.flatMap((statistic) => [`${statistic.name} ms`, 'vs k', 'vs f'])];
  const lines = measuredRows(rows).flatMap((row) =>
    LATENCY_WINDOWS.flatMap((window, i) => {
      const measured = windowOf(row, window.name);
      if (measured === undefined && i > 0) return [];
      const lost = measured === undefined ? '-' : String(measured.sent - measured.replies);
      return [
        [
          i === 0 ? row.label : '',
          window.name,
          lost,
          ...LATENCY_STATISTICS.flatMap((statistic) => withRatios(row, references, latencyMetric(window.name, statistic), 3)),
        ],
      ];
    }),
  );
  return formatTable(headers, lines);
}

const endText = (end: VethEnd | undefined): string =>
  end === undefined ? '?' : `tx ${end.txChecksum ? 'on' : 'off'}, gro ${end.gro ? 'on' : 'off'}`;

/** The underlay veth's settings of every row, rows alike in one group. */
export function underlayLines(rows: readonly RowResult[]): string[] {
  const groups = new Map<string, string[]>();
  for (const row of measuredRows(rows)) {
    const key = `a (client) ${endText(row.veth[0])}; b (server) ${endText(row.veth[1])}`;
    groups.set(key, [...(groups.get(key) ?? []), row.label]);
  }
  return [
    'Underlay veth ends (ethtool -k: tx = transmit checksum offload, gro = generic receive offload):',
    ...[...groups].flatMap(([key, labels]) => [`  ${key}:`, ...labels.map((label) => `    ${label}`)]),
  ];
}

/** One line per vxlan-tap process of `row`: its CPU by thread during the multi-stream TCP test. */
export function threadCpuLines(row: RowResult): string[] {
  const gigabytes = (row.tcpParallel?.bytes ?? 0) / 1e9;
  return (row.threadCpu ?? []).map((cpu) => {
    const perGB = gigabytes > 0 ? `, ${(cpu.processSeconds / gigabytes).toFixed(2)} s/GB` : '';
    return `  ${row.label}, vxlan-tap in ${cpu.side}: ${formatThreadsCpu(cpu)}${perGB}`;
  });
}
