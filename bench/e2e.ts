// End-to-end benchmark (root): builds each setup in its own fresh namespaces, one after
// another, measures ping latency, TCP throughput and the 64-byte UDP packet rate across
// it, and prints one table with ratios to kernel vxlan <-> kernel vxlan measured in the
// same run (absolute numbers drift on shared machines; ratios hold).
//   npm run bench      (node dist/bench/e2e.js)
import { execFileSync } from 'node:child_process';
import { Lab } from '../src/lab/lab.js';
import { heapReport } from './e2e/heap.js';
import { describeMachine } from './e2e/machine.js';
import { METHOD, pingMedianMs, tcpThroughput, udpPacketRate } from './e2e/measure.js';
import { benchSetups, buildSetup, type Setup } from './e2e/setups.js';
import { formatTable } from './table.js';

const REQUIRED_TOOLS = ['ip', 'iperf3', 'ping', 'ethtool'];

interface Row {
  setup: Setup;
  tcpBitsPerSecond?: number;
  pingMs?: number;
  udpPacketsPerSecond?: number;
  /** One line per vxlan-tap process: its memory during the TCP test. */
  heap: string[];
  error?: string;
}

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

function missingTools(): string[] {
  return REQUIRED_TOOLS.filter((tool) => {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore', timeout: 5_000 });
      return false;
    } catch {
      return true;
    }
  });
}

async function measureSetup(setup: Setup): Promise<Row> {
  const lab = new Lab('bench');
  activeLab = lab;
  progress(`measuring: ${setup.label}`);
  try {
    const endpoints = await buildSetup(lab, setup);
    const pingMs = await pingMedianMs(lab, endpoints);
    // Only what the vxlan-tap processes log while the TCP test runs counts for the heap report.
    const logStarts = endpoints.vteps.map((vtep) => vtep.process.stderr().length);
    const tcpBitsPerSecond = await tcpThroughput(lab, endpoints);
    const heap = endpoints.vteps.map((vtep, i) => `vxlan-tap in ${vtep.side}: ${heapReport(vtep.process.stderr().slice(logStarts[i]))}`);
    const udpPacketsPerSecond = await udpPacketRate(lab, endpoints);
    return { setup, tcpBitsPerSecond, pingMs, udpPacketsPerSecond, heap };
  } catch (err) {
    return { setup, heap: [], error: err instanceof Error ? err.message : String(err) };
  } finally {
    await lab.cleanup();
    activeLab = undefined;
  }
}

function formatResults(rows: Row[]): string {
  const baseline = rows.find((row) => row.setup.baseline);
  const fixed = (value: number | undefined, digits: number): string => (value === undefined ? '-' : value.toFixed(digits));
  const ratio = (value: number | undefined, base: number | undefined): string =>
    value === undefined || base === undefined || base === 0 ? '-' : `${(value / base).toFixed(2)}x`;
  return formatTable(
    ['setup', 'TCP Gbit/s', 'vs kernel', 'p50 ms', 'UDP kpps', 'vs kernel'],
    rows.map((row) => [
      row.setup.label,
      fixed(row.tcpBitsPerSecond === undefined ? undefined : row.tcpBitsPerSecond / 1e9, 2),
      ratio(row.tcpBitsPerSecond, baseline?.tcpBitsPerSecond),
      fixed(row.pingMs, 3),
      fixed(row.udpPacketsPerSecond === undefined ? undefined : row.udpPacketsPerSecond / 1e3, 1),
      ratio(row.udpPacketsPerSecond, baseline?.udpPacketsPerSecond),
    ]),
  );
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the end-to-end benchmark needs root: it creates network namespaces');
  const missing = missingTools();
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')} (apt-get install iproute2 iperf3 iputils-ping ethtool)`);
  stopOnSignal('SIGINT');
  stopOnSignal('SIGTERM');

  const setups = benchSetups();
  const rows: Row[] = [];
  for (const setup of setups) rows.push(await measureSetup(setup));

  say(describeMachine());
  say();
  say(formatResults(rows));
  say();
  say(METHOD);
  const withOffloads = setups.filter((setup) => setup.offloads).map((setup) => setup.label);
  say(`Underlay veth keeps checksum offloads for: ${withOffloads.join('; ')}. The others complete checksums on the wire.`);
  const heapLines = rows.flatMap((row) => row.heap.map((line) => `  ${row.setup.label}, ${line}`));
  if (heapLines.length > 0) {
    say();
    say('vxlan-tap memory during the TCP test:');
    heapLines.forEach((line) => say(line));
  }
  const failures = rows.filter((row) => row.error !== undefined);
  if (failures.length > 0) {
    say();
    failures.forEach((row) => say(`failed: ${row.setup.label}: ${row.error}`));
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
