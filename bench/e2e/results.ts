// The raw results of one end-to-end run as kept in bench/results/<time>.json, and the
// ratios to the two reference rows (kernel vxlan on both ends, and the C floor against the
// kernel vxlan) that the printed tables, the JSON and the chart all report.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/io/package-root.js';
import type { CpuSpent, ProcessThreadsCpu } from './cpu.js';
import type { Machine } from './machine.js';
import { LATENCY_WINDOWS, type PingWindow, type Transfer } from './measure.js';
import type { VethEnd } from '../../lab/lab.js';
import type { TunnelEnd } from './setups.js';

export interface RowCpu {
  /** As measured: during the one-stream TCP test and during the first latency window after the warm-up. */
  duringTcp: CpuSpent;
  duringPing: CpuSpent;
  /** The userspace tunnel ends' CPU seconds per 10^9 bytes received; absent without one. */
  vtepSecondsPerGB?: number;
  /** The machine's kernel CPU seconds per 10^9 bytes received. */
  systemSecondsPerGB: number;
  /** The userspace tunnel ends' CPU time during that latency window over its duration (1 = one core). */
  vtepShareDuringPing?: number;
}

const BYTES_PER_GB = 1e9;

/** One vxlan-tap process's CPU thread by thread during the multi-stream TCP test. */
export interface VtepThreadsCpu extends ProcessThreadsCpu {
  /** "a" (client side) or "b" (server side). */
  side: string;
}

/** The per-GB and per-second figures of a row from what was measured. */
export function rowCpu(duringTcp: CpuSpent, bytesReceived: number, duringPing: CpuSpent, hasVtep: boolean): RowCpu {
  const gigabytes = bytesReceived / BYTES_PER_GB;
  const systemSecondsPerGB = duringTcp.systemSeconds / gigabytes;
  if (!hasVtep) return { duringTcp, duringPing, systemSecondsPerGB };
  return {
    duringTcp,
    duringPing,
    vtepSecondsPerGB: duringTcp.vtepSeconds / gigabytes,
    systemSecondsPerGB,
    vtepShareDuringPing: duringPing.vtepSeconds / duringPing.wallSeconds,
  };
}

/** A figure over the same figure of each reference row, by metric name; absent where either was not measured. */
export interface RowRatios {
  kernel: Record<string, number>;
  floor: Record<string, number>;
}

export interface RowResult {
  label: string;
  /** The kernel vxlan <-> kernel vxlan row ("vs k"). */
  baseline: boolean;
  /** The C floor <-> kernel vxlan row ("vs f"); absent in files from before it existed. */
  floor?: boolean;
  /** Tunnel ends in a (client) and b (server); absent for the raw veth. */
  ends?: readonly TunnelEnd[];
  vtepArgs: readonly string[];
  /** The underlay veth's ends in a and b: transmit checksum offload and GRO, each on or off. */
  veth: readonly VethEnd[];
  /** Why the row was not measured. */
  skipped?: string;
  error?: string;
  tcp?: Transfer;
  /** The multi-stream TCP test (iperf3 -P). */
  tcpParallel?: Transfer;
  /** Round trips: the cold-start window, then each spacing after the warm-up (LATENCY_WINDOWS). */
  latency?: PingWindow[];
  udpPacketsPerSecond?: number;
  cpu?: RowCpu;
  /** Each vxlan-tap process's CPU by thread during the multi-stream TCP test. */
  threadCpu?: VtepThreadsCpu[];
  /** One line per vxlan-tap process: its memory during the TCP test. */
  heap: string[];
  /** Written with the file, as the tables show them. */
  ratios?: RowRatios;
}

export interface RunResults {
  /** When the run started, ISO 8601 UTC. */
  date: string;
  machine: Machine;
  method: readonly string[];
  rows: RowResult[];
}

/** A figure compared across rows as a multiple of a reference row's. */
export interface RatioMetric {
  name: string;
  value: (row: RowResult) => number | undefined;
}

export const THROUGHPUT_METRICS: readonly RatioMetric[] = [
  { name: 'TCP, 1 stream', value: (row) => row.tcp?.bitsPerSecond },
  { name: 'TCP, 4 streams', value: (row) => row.tcpParallel?.bitsPerSecond },
  { name: 'UDP 64 B', value: (row) => row.udpPacketsPerSecond },
];

/** The figures of a latency window that are compared, each in ms. */
export const LATENCY_STATISTICS = [
  { name: 'p50', key: 'p50Ms' },
  { name: 'p99', key: 'p99Ms' },
  { name: 'max', key: 'maxMs' },
] as const;

export type LatencyStatistic = (typeof LATENCY_STATISTICS)[number];

export function windowOf(row: RowResult, window: string): PingWindow | undefined {
  return row.latency?.find((measured) => measured.name === window);
}

/** One figure ("p99") of one latency window ("10 ms"), named "p99 10 ms". */
export function latencyMetric(window: string, statistic: LatencyStatistic): RatioMetric {
  return { name: `${statistic.name} ${window}`, value: (row) => windowOf(row, window)?.[statistic.key] };
}

export const LATENCY_METRICS: readonly RatioMetric[] = LATENCY_WINDOWS.flatMap((window) =>
  LATENCY_STATISTICS.map((statistic) => latencyMetric(window.name, statistic)),
);

const measured = (row: RowResult): boolean => row.error === undefined && row.skipped === undefined;

export function baselineRow(results: RunResults): RowResult | undefined {
  return results.rows.find((row) => row.baseline && measured(row));
}

export function floorRow(results: RunResults): RowResult | undefined {
  return results.rows.find((row) => row.floor === true && measured(row));
}

/** `row`'s figure over the reference's; undefined where either was not measured. */
export function ratio(row: RowResult, reference: RowResult | undefined, metric: RatioMetric): number | undefined {
  const value = metric.value(row);
  const base = reference === undefined ? undefined : metric.value(reference);
  return value === undefined || base === undefined || base === 0 ? undefined : value / base;
}

/** A ratio as printed: two decimals, or two significant digits under 0.1 (0.0036, not 0.00). */
export function formatRatio(value: number): string {
  return value >= 0.1 ? value.toFixed(2) : value.toPrecision(2);
}

/** Every metric of `row` over the kernel row's and over the floor row's, by metric name. */
export function rowRatios(row: RowResult, kernel: RowResult | undefined, floor: RowResult | undefined): RowRatios {
  const over = (reference: RowResult | undefined): Record<string, number> => {
    const ratios: Record<string, number> = {};
    for (const metric of [...THROUGHPUT_METRICS, ...LATENCY_METRICS]) {
      const value = ratio(row, reference, metric);
      if (value !== undefined) ratios[metric.name] = value;
    }
    return ratios;
  };
  return { kernel: over(kernel), floor: over(floor) };
}

/** The run with every measured row's ratios filled in, as the file keeps them. */
export function withRatios(results: RunResults): RunResults {
  const [kernel, floor] = [baselineRow(results), floorRow(results)];
  return { ...results, rows: results.rows.map((row) => (measured(row) ? { ...row, ratios: rowRatios(row, kernel, floor) } : row)) };
}

/** A file name that sorts by time and is safe everywhere: 2026-11-30T09-41-07Z.json. */
export function resultsFileName(date: Date): string {
  return `${date.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}.json`;
}

export const RESULTS_DIR = path.join(packageRoot(), 'bench', 'results');

/** Writes the run's JSON into RESULTS_DIR; returns its path. */
export function saveResults(results: RunResults): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, resultsFileName(new Date(results.date)));
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
