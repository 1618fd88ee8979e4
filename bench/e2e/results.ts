// The raw results of one end-to-end run as kept in bench/results/<time>.json, and the
// ratios to the baseline row that both the printed table and the chart report.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/io/package-root.js';
import type { CpuSpent } from './cpu.js';
import type { Machine } from './machine.js';
import type { Latency, Transfer } from './measure.js';
import type { VethEnd } from '../../lab/lab.js';
import type { TunnelEnd } from './setups.js';

export interface RowCpu {
  /** As measured: during the one-stream TCP test and during the ping test. */
  duringTcp: CpuSpent;
  duringPing: CpuSpent;
  /** vxlan-tap processes' CPU seconds per 10^9 bytes received; absent without a vxlan-tap. */
  vtepSecondsPerGB?: number;
  /** The machine's kernel CPU seconds per 10^9 bytes received. */
  systemSecondsPerGB: number;
  /** vxlan-tap processes' CPU time during the ping test over its duration (1 = one core). */
  vtepShareDuringPing?: number;
}

const BYTES_PER_GB = 1e9;

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

export interface RowResult {
  label: string;
  baseline: boolean;
  /** Tunnel ends in a (client) and b (server); absent for the raw veth. */
  ends?: readonly TunnelEnd[];
  vtepArgs: readonly string[];
  /** The underlay veth's ends in a and b: checksum offload kept, GRO on. */
  veth: readonly VethEnd[];
  /** Why the row was not measured. */
  skipped?: string;
  error?: string;
  tcp?: Transfer;
  /** The multi-stream TCP test (iperf3 -P). */
  tcpParallel?: Transfer;
  ping?: Latency;
  udpPacketsPerSecond?: number;
  cpu?: RowCpu;
  /** One line per vxlan-tap process: its memory during the TCP test. */
  heap: string[];
}

export interface RunResults {
  /** When the run started, ISO 8601 UTC. */
  date: string;
  machine: Machine;
  method: readonly string[];
  rows: RowResult[];
}

/** A figure compared across rows as a multiple of the baseline's. */
export interface RatioMetric {
  name: string;
  value: (row: RowResult) => number | undefined;
}

export const THROUGHPUT_METRICS: readonly RatioMetric[] = [
  { name: 'TCP, 1 stream', value: (row) => row.tcp?.bitsPerSecond },
  { name: 'TCP, 4 streams', value: (row) => row.tcpParallel?.bitsPerSecond },
];

export const LATENCY_METRICS: readonly RatioMetric[] = [
  { name: 'ping p50', value: (row) => row.ping?.p50Ms },
  { name: 'ping p99', value: (row) => row.ping?.p99Ms },
];

export const UDP_METRIC: RatioMetric = { name: 'UDP 64 B', value: (row) => row.udpPacketsPerSecond };

export function baselineRow(results: RunResults): RowResult | undefined {
  return results.rows.find((row) => row.baseline && row.error === undefined && row.skipped === undefined);
}

/** `row`'s figure over the baseline's; undefined where either was not measured. */
export function ratio(row: RowResult, baseline: RowResult | undefined, metric: RatioMetric): number | undefined {
  const value = metric.value(row);
  const base = baseline === undefined ? undefined : metric.value(baseline);
  return value === undefined || base === undefined || base === 0 ? undefined : value / base;
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
