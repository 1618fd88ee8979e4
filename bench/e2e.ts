// End-to-end benchmark (root): builds each setup in its own fresh namespaces, one after
// another, and measures ping latency as a user sees it (the first pings after start, then
// p50, p99 and max at three spacings after a warm-up), TCP throughput (one and several
// streams), the 64-byte UDP packet rate and the CPU spent per GB. It prints each figure
// with its ratios to kernel vxlan <-> kernel vxlan and to a minimal C forwarder against
// the kernel vxlan (the floor), both measured in the same run (absolute numbers drift on
// shared machines; ratios hold), and keeps the raw results in bench/results/<time>.json
// (`npm run bench:chart` draws them). Open vSwitch's userspace datapath is measured as a
// peer where it is installed.
//   npm run bench [-- --only <text> ...]  (node dist/bench/e2e.js; --only may be repeated)
import { parseArgs } from 'node:util';
import { BENCH_TOOLS, missingToolsLine } from '../lab/system-tools.js';
import { BenchLab } from './e2e/bench-lab.js';
import { compileCPrograms, removeCPrograms, type CPrograms } from './e2e/c-programs.js';
import { withCpu, withThreadCpu, type CpuSpent } from './e2e/cpu.js';
import { heapReport } from './e2e/heap.js';
import { describeMachine, formatMachine } from './e2e/machine.js';
import { COLD_START, METHOD, pingWindow, STEADY_SPACINGS, TCP_STREAMS, tcpThroughput, udpPacketRate, WARM_UP, type PingWindow } from './e2e/measure.js';
import { formatLatency, formatThroughput, threadCpuLines, underlayLines, type References } from './e2e/report.js';
import { baselineRow, floorRow, rowCpu, saveResults, withRatios, type RowResult, type RunResults } from './e2e/results.js';
import { benchSetups, buildSetup, SETUP_NOTES, unavailable, untilReachable, vethEnds, type Setup } from './e2e/setups.js';

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The lab being measured and the C programs, for the signal handler to clean up. */
let activeLab: BenchLab | undefined;
let programs: CPrograms | undefined;

function stopOnSignal(signal: NodeJS.Signals): void {
  process.once(signal, () => {
    progress(`\n${signal}: removing the namespaces and processes of the running setup`);
    void (activeLab?.cleanup() ?? Promise.resolve()).finally(() => {
      if (programs !== undefined) removeCPrograms(programs);
      process.exit(130);
    });
  });
}

function rowOf(setup: Setup): RowResult {
  return {
    label: setup.label,
    baseline: setup.baseline ?? false,
    floor: setup.floor ?? false,
    ...(setup.ends ? { ends: [...setup.ends] } : {}),
    vtepArgs: [...(setup.vtepArgs ?? [])],
    veth: vethEnds(setup),
    heap: [],
  };
}

async function measureSetup(setup: Setup, built: CPrograms): Promise<RowResult> {
  const row = rowOf(setup);
  let skipped: string | undefined;
  try {
    skipped = unavailable(setup);
  } catch (err) {
    return { ...row, error: message(err) };
  }
  if (skipped !== undefined) {
    progress(`skipping: ${setup.label}: ${skipped}`);
    return { ...row, skipped };
  }
  const lab = new BenchLab('bench');
  activeLab = lab;
  progress(`measuring: ${setup.label}`);
  try {
    const endpoints = await buildSetup(lab, setup, built);
    const ping = (spacing: typeof COLD_START): Promise<PingWindow> => pingWindow(lab, endpoints, built.pinger, spacing);
    // Nothing crossed the tunnel yet: the first echoes are the cold start.
    const latency = [await ping(COLD_START)];
    await untilReachable(lab, endpoints);
    await ping(WARM_UP);
    // What the vxlan-tap processes log during a measurement: their stats lines carry the heap and GC counts.
    const logged = async <T>(what: string, measure: () => Promise<T>): Promise<T> => {
      const starts = endpoints.vteps.map((vtep) => vtep.process.stderr().length);
      const result = await measure();
      heap.push(...endpoints.vteps.map((vtep, i) => `vxlan-tap in ${vtep.side}, ${what}: ${heapReport(vtep.process.stderr().slice(starts[i]))}`));
      return result;
    };
    const heap: string[] = [];
    let duringPing: CpuSpent | undefined;
    for (const spacing of STEADY_SPACINGS) {
      const { result, cpu } = await logged(`${spacing.name} pings`, () => withCpu(endpoints.pids, () => ping(spacing)));
      latency.push(result);
      duringPing ??= cpu;
    }
    const tcp = await logged('TCP', () => withCpu(endpoints.pids, () => tcpThroughput(lab, endpoints)));
    // Where each vxlan-tap's CPU goes when several flows could use several workers.
    const vtepPids = endpoints.vteps.map((vtep) => vtep.process.child.pid!);
    const parallel = await withThreadCpu(vtepPids, () => tcpThroughput(lab, endpoints, TCP_STREAMS));
    const threadCpu = parallel.threads.map((threads, i) => ({ side: endpoints.vteps[i]!.side, ...threads }));
    const udpPacketsPerSecond = await udpPacketRate(lab, endpoints);
    const cpu = rowCpu(tcp.cpu, tcp.result.bytes, duringPing!, endpoints.pids.length > 0);
    return {
      ...row,
      tcp: tcp.result,
      tcpParallel: parallel.result,
      latency,
      udpPacketsPerSecond,
      cpu,
      ...(threadCpu.length > 0 ? { threadCpu } : {}),
      heap,
    };
  } catch (err) {
    return { ...row, error: message(err) };
  } finally {
    await lab.cleanup();
    activeLab = undefined;
  }
}

function chosenSetups(): Setup[] {
  const { values } = parseArgs({ options: { only: { type: 'string', multiple: true } } });
  const setups = benchSetups();
  const texts = values.only ?? [];
  if (texts.length === 0) return setups;
  const missing = texts.filter((text) => !setups.some((setup) => setup.label.includes(text)));
  if (missing.length > 0) throw new Error(`--only ${missing[0]}: no setup label contains it`);
  // The references always run: without them there are no ratios.
  return setups.filter((setup) => setup.baseline || setup.floor || texts.some((text) => setup.label.includes(text)));
}

function report(results: RunResults): void {
  const { rows } = results;
  const references: References = { kernel: baselineRow(results), floor: floorRow(results) };
  say(formatMachine(results.machine));
  say();
  say(formatThroughput(rows, references));
  say();
  say('Round-trip latency (ms):');
  say(formatLatency(rows, references));
  say();
  results.method.forEach((line) => say(line));
  say();
  underlayLines(rows).forEach((line) => say(line));
  const threadLines = rows.flatMap(threadCpuLines);
  if (threadLines.length > 0) {
    say();
    say(`vxlan-tap CPU by thread during the TCP x${TCP_STREAMS} test (utime+stime of /proc/<pid>/task/<tid>/stat; s/GB of the process):`);
    threadLines.forEach((line) => say(line));
  }
  const heapLines = rows.flatMap((row) => row.heap.map((line) => `  ${row.label}, ${line}`));
  if (heapLines.length > 0) {
    say();
    say('vxlan-tap memory and collections during each measurement:');
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
}

async function main(): Promise<void> {
  const setups = chosenSetups();
  if (process.getuid?.() !== 0) throw new Error('the end-to-end benchmark needs root: it creates network namespaces');
  const missing = missingToolsLine('the end-to-end benchmark needs', BENCH_TOOLS);
  if (missing !== undefined) throw new Error(missing);
  stopOnSignal('SIGINT');
  stopOnSignal('SIGTERM');

  const date = new Date().toISOString();
  const built = compileCPrograms();
  programs = built;
  const rows: RowResult[] = [];
  try {
    for (const setup of setups) rows.push(await measureSetup(setup, built));
  } finally {
    removeCPrograms(built);
    programs = undefined;
  }
  const results = withRatios({ date, machine: describeMachine(), method: [...METHOD, ...SETUP_NOTES], rows });
  report(results);
  say();
  say(`raw results: ${saveResults(results)} (npm run bench:chart draws them)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: error: ${message(err)}\n`);
  process.exitCode = 1;
});
