import { describe, expect, it } from 'vitest';
import { asRunResults, chartData } from '../../bench/chart/data.js';
import { axisStep, renderSvg } from '../../bench/chart/svg.js';
import { processTicks, systemTicks } from '../../bench/e2e/cpu.js';
import { percentile } from '../../bench/e2e/percentile.js';
import { resultsFileName, rowCpu, type RowResult, type RunResults } from '../../bench/e2e/results.js';
import { benchSetups, vethEnds } from '../../bench/e2e/setups.js';
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

function row(label: string, figures: { tcp?: number; parallel?: number; p50?: number; p99?: number }, extra: Partial<RowResult> = {}): RowResult {
  return {
    label,
    baseline: false,
    vtepArgs: [],
    veth: [],
    heap: [],
    ...(figures.tcp === undefined ? {} : { tcp: { bitsPerSecond: figures.tcp, bytes: figures.tcp } }),
    ...(figures.parallel === undefined ? {} : { tcpParallel: { bitsPerSecond: figures.parallel, bytes: figures.parallel } }),
    ...(figures.p50 === undefined ? {} : { ping: { replies: 200, p50Ms: figures.p50, p99Ms: figures.p99!, minMs: 0, maxMs: 1 } }),
    ...extra,
  };
}

const RESULTS: RunResults = {
  date: '2026-11-30T09:32:00.725Z',
  machine: { cpu: 'Test CPU', cores: 2, kernel: '6.1.0', node: 'v20.0.0' },
  method: [],
  rows: [
    row('raw veth (no tunnel)', { tcp: 12e9, parallel: 15e9, p50: 0.05, p99: 0.1 }),
    row('kernel vxlan <-> kernel vxlan', { tcp: 10e9, parallel: 12e9, p50: 0.1, p99: 0.2 }, { baseline: true }),
    row('vxlan-tap <-> vxlan-tap --io native', { tcp: 2.5e9, parallel: 3e9, p50: 0.45, p99: 1.5 }),
    row('vxlan-tap <-> vxlan-tap --busy-poll 50', {}, { skipped: 'the built vxlan-tap has no --busy-poll option' }),
    row('vxlan-tap <-> vxlan-tap --io dgram', {}, { error: 'iperf3 client: timed out' }),
    row('vxlan-tap <-> kernel vxlan', { tcp: 1e9, p50: 0.3, p99: 0.6 }),
  ],
};

describe('chart data from a results file', () => {
  it('has one group per measured row but the baseline, each metric over the baseline', () => {
    const chart = chartData(RESULTS);
    expect(chart.title).toBe('Each setup as a multiple of kernel vxlan <-> kernel vxlan (= 1), measured in the same run');
    expect(chart.subtitle).toBe('2026-11-30T09:32:00.725Z · Test CPU (2 cores) · Linux 6.1.0 · Node v20.0.0');
    const [throughput, latency] = chart.panels;
    expect(throughput!.metrics).toEqual(['TCP, 1 stream', 'TCP, 4 streams']);
    expect(latency!.metrics).toEqual(['ping p50', 'ping p99']);
    const labels = ['raw veth (no tunnel)', 'vxlan-tap <-> vxlan-tap --io native', 'vxlan-tap <-> kernel vxlan'];
    expect(throughput!.groups.map((group) => group.label)).toEqual(labels);
    expect(latency!.groups.map((group) => group.label)).toEqual(labels);
    expect(throughput!.groups.map((group) => group.ratios)).toEqual([
      [1.2, 1.25],
      [0.25, 0.25],
      [0.1, undefined],
    ]);
    const latencyRatios = latency!.groups.map((group) => group.ratios);
    expect(latencyRatios[0]).toEqual([0.5, 0.5]);
    expect(latencyRatios[1]![0]).toBeCloseTo(4.5, 10);
    expect(latencyRatios[1]![1]).toBeCloseTo(7.5, 10);
    expect(latencyRatios[2]![0]).toBeCloseTo(3, 10);
    expect(latencyRatios[2]![1]).toBeCloseTo(3, 10);
    expect(chart.notMeasured).toEqual([
      { label: 'vxlan-tap <-> vxlan-tap --busy-poll 50', reason: 'the built vxlan-tap has no --busy-poll option' },
      { label: 'vxlan-tap <-> vxlan-tap --io dgram', reason: 'failed: iperf3 client: timed out' },
    ]);
  });

  it('survives a round trip through JSON, as the chart script reads it', () => {
    expect(chartData(asRunResults(JSON.parse(JSON.stringify(RESULTS))))).toEqual(chartData(RESULTS));
  });

  it('refuses results without a measured baseline, and what is not a results file', () => {
    const failedBaseline = { ...RESULTS, rows: RESULTS.rows.map((r) => (r.baseline ? { ...r, error: 'no route' } : r)) };
    expect(() => chartData(failedBaseline)).toThrow('no measured baseline row');
    expect(() => asRunResults({ rows: [] })).toThrow('not the results of npm run bench');
    expect(() => asRunResults(null)).toThrow('not the results of npm run bench');
  });
});

describe('the SVG', () => {
  it('draws one bar per measured ratio and escapes the labels', () => {
    const svg = renderSvg(chartData(RESULTS));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    // 3 groups x 2 metrics x 2 panels, less the one 4-stream figure not measured.
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(11);
    expect(svg.match(/>not measured</g)).toHaveLength(1);
    expect(svg).toContain('vxlan-tap &#60;-&#62; kernel vxlan');
    expect(svg).not.toContain('<->');
    expect(svg).toContain('>7.50×<');
    expect(svg).toContain('>not measured: vxlan-tap &#60;-&#62; vxlan-tap --busy-poll 50<');
    expect(svg).toContain('>the built vxlan-tap has no --busy-poll option<');
  });

  it('cuts the axis into round steps', () => {
    expect(axisStep(1)).toBe(0.2);
    expect(axisStep(1.25)).toBe(0.5);
    expect(axisStep(7.5)).toBe(2);
    expect(axisStep(42)).toBe(10);
  });
});

describe('results file names', () => {
  it('sort by time and hold no colons', () => {
    expect(resultsFileName(new Date('2026-11-30T09:32:00.725Z'))).toBe('2026-11-30T09-32-00Z.json');
  });
});

describe('the setups', () => {
  it('are the nine the README lists, one of them the baseline', () => {
    const setups = benchSetups();
    expect(setups).toHaveLength(9);
    expect(setups.filter((setup) => setup.baseline).map((setup) => setup.label)).toEqual(['kernel vxlan <-> kernel vxlan']);
    expect(new Set(setups.map((setup) => setup.label)).size).toBe(9);
  });

  it('pass --busy-poll 50 in one row, which needs the option from the built CLI', () => {
    const needing = benchSetups().filter((setup) => setup.needsOption !== undefined);
    expect(needing).toHaveLength(1);
    expect(needing[0]!.needsOption).toBe('--busy-poll');
    expect(needing[0]!.vtepArgs).toEqual(['--io', 'native', '--offload', 'on', '--busy-poll', '50']);
    expect(needing[0]!.label).toBe('vxlan-tap <-> vxlan-tap --io native --offload on --busy-poll 50');
  });

  it('give every veth end GRO and checksum offload, but a kernel vxlan end whose peer is a vxlan-tap', () => {
    const ends = new Map(benchSetups().map((setup) => [setup.label, vethEnds(setup)]));
    const nic = { txChecksum: true, gro: true };
    expect(ends.get('raw veth (no tunnel)')).toEqual([nic, nic]);
    expect(ends.get('kernel vxlan <-> kernel vxlan')).toEqual([nic, nic]);
    expect(ends.get('vxlan-tap <-> vxlan-tap --io native --offload on')).toEqual([nic, nic]);
    expect(ends.get('vxlan-tap <-> kernel vxlan --offload on')).toEqual([nic, { txChecksum: false, gro: true }]);
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
