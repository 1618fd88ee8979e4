import { afterEach, describe, expect, it } from 'vitest';
import { asRunResults, chartData } from '../../bench/chart/data.js';
import { logAxis, renderSvg } from '../../bench/chart/svg.js';
import { epollTargets, formatThreadsCpu, processTicks, statNice, syscallFirstFd, systemTicks, threadsCpu } from '../../bench/e2e/cpu.js';
import { LATENCY_WINDOWS, latencyOf, pingerRoundTrips, type PingWindow } from '../../bench/e2e/measure.js';
import { ovsMissing } from '../../bench/e2e/ovs.js';
import { percentile } from '../../bench/e2e/percentile.js';
import { formatLatency, formatThroughput, threadCpuLines, underlayLines } from '../../bench/e2e/report.js';
import { baselineRow, floorRow, formatRatio, resultsFileName, rowCpu, withRatios, type RowResult, type RunResults } from '../../bench/e2e/results.js';
import { benchSetups, unavailable, vethEnds } from '../../bench/e2e/setups.js';
import { runOffersOption } from '../../lab/lab.js';

describe('percentile', () => {
  it('interpolates between the nearest ranks of the sorted values', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(5);
    expect(percentile(values, 25)).toBe(2);
    expect(percentile(values, 99)).toBeCloseTo(4.96, 10);
  });

  it('is the mean of the middle two at p50 of an even count, like a median', () => {
    expect(percentile([0.4, 0.1, 0.3, 0.2], 50)).toBeCloseTo(0.25, 10);
  });

  it('leaves the input unsorted and takes one value', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
    expect(percentile([7], 99)).toBe(7);
  });

  it('refuses no values and p outside 0..100', () => {
    expect(() => percentile([], 50)).toThrow('percentile of no values');
    expect(() => percentile([1], 101)).toThrow('outside 0..100');
    expect(() => percentile([1], Number.NaN)).toThrow('outside 0..100');
  });
});

describe('CPU time from /proc', () => {
  it('adds utime and stime of /proc/<pid>/stat, whatever the command name holds', () => {
    // Fields 14 (utime) = 150 and 15 (stime) = 70; the name has a space and a parenthesis.
    const stat = '4242 (node (a) b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 70 0 0 20 0 11 0 12345 1000000 5000';
    expect(processTicks(stat)).toBe(220);
  });

  it('adds system, irq and softirq of the aggregate cpu line of /proc/stat', () => {
    const stat = ['cpu  100 5 300 9000 20 7 40 0 0 0', 'cpu0 50 2 150 4500 10 3 20 0 0 0', 'intr 12345'].join('\n');
    expect(systemTicks(stat)).toBe(347);
  });

  it('refuses text that is not such a line', () => {
    expect(() => processTicks('garbage')).toThrow('not a /proc/<pid>/stat line');
    expect(() => systemTicks('intr 1')).toThrow('no aggregate cpu line');
  });

  it('turns the measured seconds into seconds per GB and the share during ping', () => {
    const duringTcp = { vtepSeconds: 6, systemSeconds: 4, wallSeconds: 5 };
    const duringPing = { vtepSeconds: 0.5, systemSeconds: 0.2, wallSeconds: 2 };
    expect(rowCpu(duringTcp, 2e9, duringPing, true)).toEqual({
      duringTcp,
      duringPing,
      vtepSecondsPerGB: 3,
      systemSecondsPerGB: 2,
      vtepShareDuringPing: 0.25,
    });
    expect(rowCpu(duringTcp, 2e9, duringPing, false)).toEqual({ duringTcp, duringPing, systemSecondsPerGB: 2 });
  });
});

describe('CPU time by thread from /proc', () => {
  it('reads the nice value of a thread\'s stat', () => {
    const stat = '4243 (node) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 70 0 0 30 10 11 0 12345 1000000 5000';
    expect(statNice(stat)).toBe(10);
    expect(() => statNice('garbage')).toThrow('not a /proc/<pid>/stat line');
  });

  it('finds the epoll set a thread waits on, and none while it runs', () => {
    expect(syscallFirstFd('281 0x12 0x7f21b4fb7790 0x400 0xffffffff 0x0 0x8 0x7f21b4fb76e8 0x7f2216f9a0e6\n')).toBe(18);
    expect(syscallFirstFd('running')).toBeUndefined();
    expect(syscallFirstFd('-1 0x7ffd1d8c1f08 0x7f2216f9a0e6')).toBeUndefined();
  });

  it('lists the fds an epoll set watches', () => {
    const fdinfo = [
      'pos:\t0',
      'flags:\t02000002',
      'tfd:       21 events:       19 data:               15  pos:0 ino:2707 sdev:f',
      'tfd:       92 events: 80000019 data:               5c  pos:0 ino:4a1 sdev:6',
    ].join('\n');
    expect(epollTargets(fdinfo)).toEqual([21, 92]);
    expect(epollTargets('pos:\t0\n')).toEqual([]);
  });

  const before = new Map([
    [100, { ticks: 10 }],
    [101, { ticks: 5 }],
    [110, { ticks: 0 }],
    [111, { ticks: 20 }],
  ]);
  const after = new Map([
    [100, { ticks: 12, nice: 10 }],
    [101, { ticks: 8, nice: 10 }],
    [110, { ticks: 150, nice: 0 }],
    [111, { ticks: 70, nice: 0 }],
    [112, { ticks: 4, nice: 10 }],
  ]);
  const cpu = threadsCpu(100, new Set([110, 111]), before, after, 2.4, 5, 100);

  it('groups the threads\' seconds as workers, the main thread (tid = pid) and the rest, a new thread from zero', () => {
    expect(cpu.workerSeconds).toEqual([1.5, 0.5]);
    expect(cpu.mainSeconds).toBeCloseTo(0.02);
    expect(cpu.otherSeconds).toBeCloseTo(0.07);
    expect(cpu.threads.map((t) => [t.tid, t.role, t.nice])).toEqual([
      [100, 'main', 10],
      [101, 'other', 10],
      [110, 'worker', 0],
      [111, 'worker', 0],
      [112, 'other', 10],
    ]);
  });

  it('prints one line per process, with the s/GB of the multi-stream test', () => {
    expect(formatThreadsCpu(cpu)).toBe('2 workers 2.00 s (1.50 + 0.50), main 0.02 s, other 0.07 s of 2.40 s in 5.00 s');
    const measured = row('vxlan-tap x', { parallel: 1 }, { tcpParallel: { bitsPerSecond: 1, bytes: 2e9 }, threadCpu: [{ side: 'a', ...cpu }] });
    expect(threadCpuLines(measured)).toEqual([
      '  vxlan-tap x, vxlan-tap in a: 2 workers 2.00 s (1.50 + 0.50), main 0.02 s, other 0.07 s of 2.40 s in 5.00 s, 1.20 s/GB',
    ]);
    expect(formatThreadsCpu(threadsCpu(100, new Set(), before, after, 2.4, 5, 100))).toMatch(/^workers not found, main/);
    expect(threadCpuLines(row('kernel', { parallel: 1 }))).toEqual([]);
  });
});

describe('the pinger\'s output', () => {
  it('gives the round trips of the echoes that were answered and counts every echo sent', () => {
    expect(pingerRoundTrips('0 0.1234\n1 lost\n2 2.5\n')).toEqual({ sent: 3, roundTripsMs: [0.1234, 2.5] });
    expect(pingerRoundTrips('')).toEqual({ sent: 0, roundTripsMs: [] });
  });

  it('refuses what it did not print', () => {
    expect(() => pingerRoundTrips('64 bytes from 192.0.2.2: icmp_seq=1 time=0.1 ms')).toThrow('not a pinger line');
  });

  it('summarises round trips as p50, p99 and the extremes', () => {
    expect(latencyOf([0.3, 0.1, 0.2])).toEqual({ replies: 3, p50Ms: 0.2, p99Ms: expect.closeTo(0.298, 10), minMs: 0.1, maxMs: 0.3 });
  });
});

/** One latency window as measured: p99 and max follow from p50 in these tests (2x and 4x). */
function window(name: string, p50: number, lost = 0): PingWindow {
  return { name, spacingMs: 10, sent: 200, replies: 200 - lost, p50Ms: p50, p99Ms: 2 * p50, minMs: p50 / 2, maxMs: 4 * p50 };
}

/** A row whose latency windows all have the p50 `p50` (cold twice that). */
function row(label: string, figures: { tcp?: number; parallel?: number; udp?: number; p50?: number }, extra: Partial<RowResult> = {}): RowResult {
  return {
    label,
    baseline: false,
    floor: false,
    vtepArgs: [],
    veth: [
      { txChecksum: true, gro: true },
      { txChecksum: true, gro: true },
    ],
    heap: [],
    ...(figures.tcp === undefined ? {} : { tcp: { bitsPerSecond: figures.tcp, bytes: figures.tcp } }),
    ...(figures.parallel === undefined ? {} : { tcpParallel: { bitsPerSecond: figures.parallel, bytes: figures.parallel } }),
    ...(figures.udp === undefined ? {} : { udpPacketsPerSecond: figures.udp }),
    ...(figures.p50 === undefined
      ? {}
      : { latency: LATENCY_WINDOWS.map((w, i) => window(w.name, i === 0 ? 2 * figures.p50! : figures.p50!)) }),
    ...extra,
  };
}

const KERNEL = 'kernel vxlan <-> kernel vxlan';
const FLOOR = 'C floor <-> kernel vxlan';
const TX_OFF_B = [
  { txChecksum: true, gro: true },
  { txChecksum: false, gro: true },
];

const RESULTS: RunResults = {
  date: '2026-11-30T09:32:00.725Z',
  machine: { cpu: 'Test CPU', cores: 2, kernel: '6.1.0', node: 'v20.0.0' },
  method: [],
  rows: [
    row('raw veth (no tunnel)', { tcp: 12e9, parallel: 15e9, udp: 200e3, p50: 0.05 }),
    row(KERNEL, { tcp: 10e9, parallel: 12e9, udp: 100e3, p50: 0.1 }, { baseline: true }),
    row(FLOOR, { tcp: 1e9, parallel: 1e9, udp: 50e3, p50: 0.2 }, { floor: true, veth: TX_OFF_B }),
    row('OVS userspace (netdev) <-> kernel vxlan', {}, { skipped: 'needs ovs-vswitchd: apt-get install openvswitch-switch' }),
    row('vxlan-tap <-> vxlan-tap --io dgram', {}, { error: 'iperf3 client: timed out' }),
    row('vxlan-tap <-> kernel vxlan', { tcp: 4e9, udp: 75e3, p50: 0.4 }, { veth: TX_OFF_B }),
  ],
};

describe('ratios to the two reference rows', () => {
  it('finds the kernel row and the floor row among the measured', () => {
    expect(baselineRow(RESULTS)?.label).toBe(KERNEL);
    expect(floorRow(RESULTS)?.label).toBe(FLOOR);
    const floorFailed = { ...RESULTS, rows: RESULTS.rows.map((r) => (r.floor ? { ...r, error: 'cc failed' } : r)) };
    expect(floorRow(floorFailed)).toBeUndefined();
  });

  it('print with two decimals, or two significant digits under 0.1', () => {
    expect(formatRatio(31.456)).toBe('31.46');
    expect(formatRatio(0.1)).toBe('0.10');
    expect(formatRatio(0.0036)).toBe('0.0036');
  });

  it('are written into every measured row of the file, by metric name', () => {
    const rows = withRatios(RESULTS).rows;
    const tap = rows.at(-1)!;
    expect(tap.ratios!.kernel['TCP, 1 stream']).toBeCloseTo(0.4, 10);
    expect(tap.ratios!.floor['TCP, 1 stream']).toBeCloseTo(4, 10);
    expect(tap.ratios!.kernel['UDP 64 B']).toBeCloseTo(0.75, 10);
    expect(tap.ratios!.kernel['p50 cold']).toBeCloseTo(4, 10);
    expect(tap.ratios!.floor['p99 10 ms']).toBeCloseTo(2, 10);
    expect(tap.ratios!.floor['max 0.5 ms']).toBeCloseTo(2, 10);
    // Not measured: no four-stream figure, so no ratio at all.
    expect(tap.ratios!.kernel).not.toHaveProperty('TCP, 4 streams');
    expect(Object.keys(rows[1]!.ratios!.kernel)).toHaveLength(3 + 4 * 3);
    expect(rows[3]!.ratios).toBeUndefined();
    expect(rows[4]!.ratios).toBeUndefined();
  });
});

describe('the printed report', () => {
  const references = { kernel: baselineRow(RESULTS), floor: floorRow(RESULTS) };

  it('gives each throughput figure over the kernel row and over the floor row', () => {
    const lines = formatThroughput(RESULTS.rows, references).split('\n');
    expect(lines[0]).toMatch(/^setup\s+TCP Gbit\/s\s+vs k\s+vs f\s+TCP x4\s+vs k\s+vs f\s+UDP kpps\s+vs k\s+vs f\s+CPU s\/GB vtep/);
    const tap = lines.find((line) => line.startsWith('vxlan-tap <-> kernel vxlan'))!;
    expect(tap.split(/\s{2,}/).slice(1, 4)).toEqual(['4.00', '0.40x', '4.00x']);
    expect(lines.some((line) => line.startsWith('OVS'))).toBe(false);
  });

  it('gives one latency line per window with lost echoes, p50, p99 and max and their ratios', () => {
    const lines = formatLatency(RESULTS.rows, references).split('\n');
    const tap = lines.findIndex((line) => line.startsWith('vxlan-tap <-> kernel vxlan'));
    expect(lines.slice(tap, tap + 4).map((line) => line.trim().split(/\s{2,}/))).toEqual([
      ['vxlan-tap <-> kernel vxlan', 'cold', '0', '0.800', '4.00x', '2.00x', '1.600', '4.00x', '2.00x', '3.200', '4.00x', '2.00x'],
      ['10 ms', '0', '0.400', '4.00x', '2.00x', '0.800', '4.00x', '2.00x', '1.600', '4.00x', '2.00x'],
      ['2 ms', '0', '0.400', '4.00x', '2.00x', '0.800', '4.00x', '2.00x', '1.600', '4.00x', '2.00x'],
      ['0.5 ms', '0', '0.400', '4.00x', '2.00x', '0.800', '4.00x', '2.00x', '1.600', '4.00x', '2.00x'],
    ]);
    // A failed row keeps one line of dashes.
    expect(lines.find((line) => line.startsWith('vxlan-tap <-> vxlan-tap --io dgram'))).toMatch(/cold\s+-\s+-/);
  });

  it('names the underlay settings of every measured row, rows alike together', () => {
    expect(underlayLines(RESULTS.rows)).toEqual([
      expect.stringContaining('Underlay veth ends'),
      '  a (client) tx on, gro on; b (server) tx on, gro on:',
      '    raw veth (no tunnel)',
      `    ${KERNEL}`,
      '    vxlan-tap <-> vxlan-tap --io dgram',
      '  a (client) tx on, gro on; b (server) tx off, gro on:',
      `    ${FLOOR}`,
      '    vxlan-tap <-> kernel vxlan',
    ]);
  });
});

describe('chart data from a results file', () => {
  it('has one group per measured row, each metric over the kernel row and over the floor row', () => {
    const chart = chartData(RESULTS);
    expect(chart.title).toBe('Each setup as a multiple of a reference row (= 1), measured in the same run');
    expect(chart.subtitle).toBe('2026-11-30T09:32:00.725Z · Test CPU (2 cores) · Linux 6.1.0 · Node v20.0.0');
    expect(chart.references).toEqual([
      { label: KERNEL, measured: true },
      { label: FLOOR, measured: true },
    ]);
    expect(chart.panels.map((panel) => panel.title)).toEqual([
      'Throughput (higher is better)',
      'Round trip p50 (lower is better)',
      'Round trip p99 (lower is better)',
      'Round trip max (lower is better)',
    ]);
    const [throughput, p50] = chart.panels;
    expect(throughput!.metrics).toEqual(['TCP, 1 stream', 'TCP, 4 streams', 'UDP 64 B']);
    expect(p50!.metrics).toEqual(['cold start', '10 ms apart', '2 ms apart', '0.5 ms apart']);
    const labels = ['raw veth (no tunnel)', KERNEL, FLOOR, 'vxlan-tap <-> kernel vxlan'];
    expect(throughput!.groups.map((group) => group.label)).toEqual(labels);
    expect(throughput!.groups.at(-1)!.ratios).toEqual([
      [0.4, undefined, 0.75],
      [4, undefined, 1.5],
    ]);
    expect(p50!.groups.at(-1)!.ratios).toEqual([
      [4, 4, 4, 4],
      [2, 2, 2, 2],
    ]);
    expect(p50!.groups[1]!.ratios[1]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(chart.notMeasured).toEqual([
      { label: 'OVS userspace (netdev) <-> kernel vxlan', reason: 'needs ovs-vswitchd: apt-get install openvswitch-switch' },
      { label: 'vxlan-tap <-> vxlan-tap --io dgram', reason: 'failed: iperf3 client: timed out' },
    ]);
  });

  it('survives a round trip through JSON, as the chart script reads it', () => {
    expect(chartData(asRunResults(JSON.parse(JSON.stringify(withRatios(RESULTS)))))).toEqual(chartData(RESULTS));
  });

  it('reads the one ping figure of older files as the cold-start window', () => {
    const { latency, ...rest } = row('vxlan-tap <-> vxlan-tap', { tcp: 2e9 });
    const ping = { replies: 200, p50Ms: 0.3, p99Ms: 4, minMs: 0.1, maxMs: 4.2 };
    const old = { ...RESULTS, rows: [row(KERNEL, { tcp: 10e9 }, { baseline: true }), { ...rest, ping }] };
    expect(latency).toBeUndefined();
    const read = asRunResults(JSON.parse(JSON.stringify(old)));
    expect(read.rows[1]).not.toHaveProperty('ping');
    expect(read.rows[1]!.latency).toEqual([{ name: 'cold', spacingMs: 10, sent: 200, ...ping }]);
    const chart = chartData(read);
    expect(chart.references[1]).toEqual({ label: 'the C floor', measured: false });
    expect(chart.panels[1]!.groups[1]!.ratios[1]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('refuses results without a measured baseline, and what is not a results file', () => {
    const failedBaseline = { ...RESULTS, rows: RESULTS.rows.map((r) => (r.baseline ? { ...r, error: 'no route' } : r)) };
    expect(() => chartData(failedBaseline)).toThrow('no measured baseline row');
    expect(() => asRunResults({ rows: [] })).toThrow('not the results of npm run bench');
    expect(() => asRunResults(null)).toThrow('not the results of npm run bench');
  });
});

describe('the SVG', () => {
  it('draws one bar per measured ratio in a column per reference, and escapes the labels', () => {
    const svg = renderSvg(chartData(RESULTS));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // 4 groups x 2 references x (3 + 4 x 3) metrics, less the 4-stream figure of one group twice.
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(4 * 2 * 15 - 2);
    expect(svg.match(/>not measured</g)).toHaveLength(2);
    expect(svg).toContain('>over kernel vxlan &#60;-&#62; kernel vxlan (= 1)<');
    expect(svg).toContain('>over C floor &#60;-&#62; kernel vxlan (= 1)<');
    expect(svg).not.toContain('<->');
    expect(svg).toContain('>0.40×<');
    expect(svg).toContain('>not measured: vxlan-tap &#60;-&#62; vxlan-tap --io dgram<');
    expect(svg).toContain('>failed: iperf3 client: timed out<');
  });

  it('puts 1 and every value on a log axis with round ends', () => {
    expect(logAxis([])).toEqual({ min: 0.5, max: 2, ticks: [0.5, 1, 2] });
    expect(logAxis([0.06, 0.39])).toEqual({ min: 0.05, max: 1, ticks: [0.05, 0.1, 0.2, 0.5, 1] });
    expect(logAxis([4.5, 150.96])).toEqual({ min: 1, max: 200, ticks: [1, 10, 100] });
    expect(logAxis([0.03, 6.68])).toEqual({ min: 0.02, max: 10, ticks: [0.1, 1, 10] });
  });
});

describe('results file names', () => {
  it('sort by time and hold no colons', () => {
    expect(resultsFileName(new Date('2026-11-30T09:32:00.725Z'))).toBe('2026-11-30T09-32-00Z.json');
  });
});

describe('the setups', () => {
  it('are the sixteen docs/benchmarking.md lists, one of them the baseline and one the floor', () => {
    const setups = benchSetups();
    expect(setups).toHaveLength(16);
    expect(setups.filter((setup) => setup.baseline).map((setup) => setup.label)).toEqual([KERNEL]);
    expect(setups.filter((setup) => setup.floor).map((setup) => setup.label)).toEqual([FLOOR]);
    expect(setups.find((setup) => setup.label === FLOOR)!.ends).toEqual(['floor', 'kernel']);
    expect(setups.find((setup) => setup.label.startsWith('OVS'))!.ends).toEqual(['ovs', 'kernel']);
    expect(new Set(setups.map((setup) => setup.label)).size).toBe(16);
  });

  it('run one row with Node\'s code on large pages', () => {
    const withOptions = benchSetups().filter((setup) => setup.nodeOptions !== undefined);
    expect(withOptions.map((setup) => [setup.label, setup.nodeOptions])).toEqual([
      ['vxlan-tap <-> kernel vxlan --offload on (node --use-largepages=silent)', '--use-largepages=silent'],
    ]);
  });

  it('pass --threads 2 in two rows, --busy-poll 200, --outer-ids unique and --busy-poll 50 in one each, which need the option from the built CLI', () => {
    const needing = benchSetups().filter((setup) => setup.needsOption !== undefined);
    expect(needing.map((setup) => [setup.needsOption, setup.label, setup.vtepArgs])).toEqual([
      ['--threads', 'vxlan-tap <-> kernel vxlan --offload on --threads 2', ['--offload', 'on', '--threads', '2']],
      ['--busy-poll', 'vxlan-tap <-> kernel vxlan --offload on --busy-poll 200', ['--offload', 'on', '--busy-poll', '200']],
      ['--outer-ids', 'vxlan-tap <-> kernel vxlan --offload on --outer-ids unique', ['--offload', 'on', '--outer-ids', 'unique']],
      ['--threads', 'vxlan-tap <-> vxlan-tap --io native --offload on --threads 2', ['--io', 'native', '--offload', 'on', '--threads', '2']],
      ['--busy-poll', 'vxlan-tap <-> vxlan-tap --io native --offload on --busy-poll 50', ['--io', 'native', '--offload', 'on', '--busy-poll', '50']],
    ]);
  });

  it('give every veth end GRO and checksum offload, but a kernel vxlan end whose peer is the C floor or OVS', () => {
    const ends = new Map(benchSetups().map((setup) => [setup.label, vethEnds(setup)]));
    const nic = { txChecksum: true, gro: true };
    const completing = { txChecksum: false, gro: true };
    expect(ends.get('raw veth (no tunnel)')).toEqual([nic, nic]);
    expect(ends.get(KERNEL)).toEqual([nic, nic]);
    expect(ends.get('vxlan-tap <-> vxlan-tap --io native --offload on')).toEqual([nic, nic]);
    expect(ends.get('vxlan-tap <-> kernel vxlan --offload on')).toEqual([nic, nic]);
    expect(ends.get(FLOOR)).toEqual([nic, completing]);
    expect(ends.get('OVS userspace (netdev) <-> kernel vxlan')).toEqual([nic, completing]);
  });
});

describe('the OVS row without Open vSwitch installed', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('is skipped with one line saying what to install', () => {
    process.env.PATH = '/nonexistent';
    const line = 'needs ovsdb-tool, ovs-vsctl, ovs-vswitchd, ovsdb-server: apt-get install openvswitch-switch';
    expect(ovsMissing()).toBe(line);
    expect(unavailable(benchSetups().find((setup) => setup.ends?.includes('ovs'))!)).toBe(line);
    expect(unavailable(benchSetups().find((setup) => setup.floor)!)).toBeUndefined();
  });
});

describe('the options the built CLI offers', () => {
  it('are read from vxlan-tap run --help, whole words only', () => {
    expect(runOffersOption('--offload')).toBe(true);
    expect(runOffersOption('--vni')).toBe(true);
    expect(runOffersOption('--off')).toBe(false);
    expect(runOffersOption('--no-such-option')).toBe(false);
  });
});
