// End-to-end benchmark (root): builds each setup in its own fresh namespaces, one after
// another, measures ping latency (p50, p99), TCP throughput (one and several streams), the
// 64-byte UDP packet rate and the CPU spent per GB across it, prints one table with ratios
// to kernel vxlan <-> kernel vxlan measured in the same run (absolute numbers drift on
// shared machines; ratios hold), and keeps the raw results in bench/results/<time>.json
// (`npm run bench:chart` draws them).
//   npm run bench [-- --only <text>]      (node dist/bench/e2e.js)
import { parseArgs } from 'node:util';
import { Lab, runOffersOption } from '../lab/lab.js';
import { BENCH_TOOLS, missingToolsLine } from '../lab/system-tools.js';
import { withCpu } from './e2e/cpu.js';
import { heapReport } from './e2e/heap.js';
import { describeMachine, formatMachine } from './e2e/machine.js';
import { METHOD, pingLatency, TCP_STREAMS, tcpThroughput, udpPacketRate } from './e2e/measure.js';
import {
  baselineRow,
  LATENCY_METRICS,
  ratio,
  rowCpu,
  saveResults,
  THROUGHPUT_METRICS,
  UDP_METRIC,
  type RatioMetric,
  type RowResult,
  type RunResults,
} from './e2e/results.js';
import { benchSetups, buildSetup, vethEnds, type Setup } from './e2e/setups.js';
import { formatTable } from './table.js';

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/** The lab being measured, for the signal handler to clean up. */
let activeLab: Lab | undefined;

function stopOnSignal(signal: NodeJS.Signals): void {
  process.once(signal, () => {
    progress(`\n${signal}: removing the namespaces and processes of the running setup`);
    void (activeLab?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

function rowOf(setup: Setup): RowResult {
  return {
    label: setup.label,
    baseline: setup.baseline ?? false,
    ...(setup.ends ? { ends: [...setup.ends] } : {}),
    vtepArgs: [...(setup.vtepArgs ?? [])],
    veth: vethEnds(setup),
    heap: [],
  };
}

async function measureSetup(setup: Setup): Promise<RowResult> {
  const row = rowOf(setup);
  if (setup.needsOption !== undefined && !runOffersOption(setup.needsOption)) {
    const skipped = `the built vxlan-tap has no ${setup.needsOption} option (not in \`vxlan-tap run --help\`)`;
    progress(`skipping: ${setup.label}: ${skipped}`);
    return { ...row, skipped };
  }
  const lab = new Lab('bench');
  activeLab = lab;
  progress(`measuring: ${setup.label}`);
  try {
    const endpoints = await buildSetup(lab, setup);
    const pids = endpoints.vteps.map((vtep) => vtep.process.child.pid!);
    const ping = await withCpu(pids, () => pingLatency(lab, endpoints));
    // Only what the vxlan-tap processes log while the TCP test runs counts for the heap report.
    const logStarts = endpoints.vteps.map((vtep) => vtep.process.stderr().length);
    const tcp = await withCpu(pids, () => tcpThroughput(lab, endpoints));
    const heap = endpoints.vteps.map((vtep, i) => `vxlan-tap in ${vtep.side}: ${heapReport(vtep.process.stderr().slice(logStarts[i]))}`);
    const tcpParallel = await tcpThroughput(lab, endpoints, TCP_STREAMS);
    const udpPacketsPerSecond = await udpPacketRate(lab, endpoints);
    const cpu = rowCpu(tcp.cpu, tcp.result.bytes, ping.cpu, pids.length > 0);
    return { ...row, tcp: tcp.result, tcpParallel, ping: ping.result, udpPacketsPerSecond, cpu, heap };
  } catch (err) {
    return { ...row, error: err instanceof Error ? err.message : String(err) };
  } finally {
    await lab.cleanup();
    activeLab = undefined;
  }
}

function formatResults(rows: readonly RowResult[], baseline: RowResult | undefined): string {
  const fixed = (value: number | undefined, digits: number, scale = 1): string => (value === undefined ? '-' : (value / scale).toFixed(digits));
  const times = (row: RowResult, metric: RatioMetric): string => {
    const value = ratio(row, baseline, metric);
    return value === undefined ? '-' : `${value.toFixed(2)}x`;
  };
  const [oneStream, parallel] = THROUGHPUT_METRICS as [RatioMetric, RatioMetric];
  const [p50, p99] = LATENCY_METRICS as [RatioMetric, RatioMetric];
  return formatTable(
    ['setup', 'TCP Gbit/s', 'vs k', `TCP x${TCP_STREAMS}`, 'vs k', 'p50 ms', 'vs k', 'p99 ms', 'vs k', 'UDP kpps', 'vs k', 'CPU s/GB vtep', 'system', 'ping CPU'],
    rows
      .filter((row) => row.skipped === undefined)
      .map((row) => [
        row.label,
        fixed(row.tcp?.bitsPerSecond, 2, 1e9),
        times(row, oneStream),
        fixed(row.tcpParallel?.bitsPerSecond, 2, 1e9),
        times(row, parallel),
        fixed(row.ping?.p50Ms, 3),
        times(row, p50),
        fixed(row.ping?.p99Ms, 3),
        times(row, p99),
        fixed(row.udpPacketsPerSecond, 1, 1e3),
        times(row, UDP_METRIC),
        fixed(row.cpu?.vtepSecondsPerGB, 2),
        fixed(row.cpu?.systemSecondsPerGB, 2),
        row.cpu?.vtepShareDuringPing === undefined ? '-' : `${(row.cpu.vtepShareDuringPing * 100).toFixed(0)}%`,
      ]),
  );
}

function chosenSetups(): Setup[] {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const setups = benchSetups();
  if (values.only === undefined) return setups;
  // The baseline always runs: without it there are no ratios.
  const chosen = setups.filter((setup) => setup.baseline || setup.label.includes(values.only!));
  if (chosen.length === 1) throw new Error(`--only ${values.only}: no setup label contains it`);
  return chosen;
}

async function main(): Promise<void> {
  const setups = chosenSetups();
  if (process.getuid?.() !== 0) throw new Error('the end-to-end benchmark needs root: it creates network namespaces');
  const missing = missingToolsLine('the end-to-end benchmark needs', BENCH_TOOLS);
  if (missing !== undefined) throw new Error(missing);
  stopOnSignal('SIGINT');
  stopOnSignal('SIGTERM');

  const date = new Date().toISOString();
  const rows: RowResult[] = [];
  for (const setup of setups) rows.push(await measureSetup(setup));
  const results: RunResults = { date, machine: describeMachine(), method: METHOD, rows };

  say(formatMachine(results.machine));
  say();
  say(formatResults(rows, baselineRow(results)));
  say();
  METHOD.forEach((line) => say(line));
  const completing = rows.filter((row) => row.veth.some((end) => !end.txChecksum)).map((row) => row.label);
  say('Underlay veth: GRO on and checksum offload kept at both ends, as a NIC would be.');
  if (completing.length > 0) say(`Except where a kernel vxlan's peer is a vxlan-tap: its end completes checksums on the wire (${completing.join('; ')}).`);
  const heapLines = rows.flatMap((row) => row.heap.map((line) => `  ${row.label}, ${line}`));
  if (heapLines.length > 0) {
    say();
    say('vxlan-tap memory during the TCP test:');
    heapLines.forEach((line) => say(line));
  }
  const skipped = rows.filter((row) => row.skipped !== undefined);
  if (skipped.length > 0) {
    say();
    skipped.forEach((row) => say(`skipped: ${row.label}: ${row.skipped}`));
  }
  const failures = rows.filter((row) => row.error !== undefined);
  if (failures.length > 0) {
    say();
    failures.forEach((row) => say(`failed: ${row.label}: ${row.error}`));
    process.exitCode = 1;
  }
  say();
  say(`raw results: ${saveResults(results)} (npm run bench:chart draws them)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
