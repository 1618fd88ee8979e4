// One function per end-to-end measurement, each run from the client namespace to the
// server address of a built setup, each bounded in count and time.
import type { Lab } from '../../lab/lab.js';
import { finished, runIn, stdoutLine } from './child.js';
import { percentile } from './percentile.js';
import type { Endpoints } from './setups.js';

const TCP_SECONDS = 5;
/** Parallel streams of the multi-stream TCP test: more flows than cores, several source ports. */
export const TCP_STREAMS = 4;
const UDP_SECONDS = 3;
const UDP_PAYLOAD_BYTES = 64;

/** A run of ICMP echoes sent at a fixed spacing (bench/floor/pinger.c). */
export interface PingSpacing {
  name: string;
  spacingMs: number;
  count: number;
}

/** The first echoes after the setup's last tunnel end is ready: what a user sees at start. */
export const COLD_START: PingSpacing = { name: 'cold', spacingMs: 10, count: 200 };
/** Sent and not counted, so that the windows after it find every code path warm. */
export const WARM_UP: PingSpacing = { name: 'warm-up', spacingMs: 2, count: 2000 };
/** Measured after the warm-up, in this order: idle wake-ups first, then closer and closer. */
export const STEADY_SPACINGS: readonly PingSpacing[] = [
  // A minute: long enough for V8's memory reducer and any timer-driven collection to show.
  { name: '10 ms', spacingMs: 10, count: 6000 },
  { name: '2 ms', spacingMs: 2, count: 2500 },
  { name: '0.5 ms', spacingMs: 0.5, count: 4000 },
];
/** Every latency window a row reports, in the order measured. */
export const LATENCY_WINDOWS: readonly PingSpacing[] = [COLD_START, ...STEADY_SPACINGS];
/** How long the pinger waits for replies after its last echo; later ones count as lost. */
const REPLY_WAIT_MS = 1000;

const pings = (spacing: PingSpacing): string => `${spacing.count} echoes ${spacing.spacingMs} ms apart`;

/** How the numbers were taken, one line a measurement, for the report and the JSON. */
export const METHOD: readonly string[] = [
  `TCP: iperf3 -t ${TCP_SECONDS}, one stream a -> b, the receiver's rate; TCP x${TCP_STREAMS}: the same with -P ${TCP_STREAMS}.`,
  `UDP: iperf3 -u -b 0 -l ${UDP_PAYLOAD_BYTES} -t ${UDP_SECONDS}, packets received per second.`,
  'Latency: ICMP echo a -> b from a small C pinger (bench/floor/pinger.c; iputils ping cannot space echoes under 1 ms) that ' +
    'sends on a fixed schedule and times each round trip as ping does (time before sendto, kernel receive timestamp of the ' +
    `reply); no reply within ${REPLY_WAIT_MS} ms after the last echo = lost. p50/p99 interpolated between ranks, over the replies.`,
  `Latency "cold": the first ${pings(COLD_START)}, sent as soon as the last tunnel end is ready (vxlan-tap logs "ready", ` +
    'the C floor prints "ready" and its TAP is up, ovs-vsctl has returned with the bridges configured, a kernel vxlan is up).',
  `Latency "${STEADY_SPACINGS.map((s) => s.name).join('", "')}": after a warm-up of ${pings(WARM_UP)} (not counted), ` +
    `${STEADY_SPACINGS.map(pings).join(', then ')}.`,
  'CPU s/GB, over the one-stream TCP test, per 10^9 bytes received: "vtep" is the userspace tunnel ends\' utime+stime ' +
    '(/proc/<pid>/stat of vxlan-tap, the C floor or ovs-vswitchd); "system" is the whole machine\'s system+irq+softirq ' +
    'time (/proc/stat), where kernel vxlan works.',
  `ping CPU: the userspace tunnel ends' CPU time during the ${STEADY_SPACINGS[0]!.name} window over its duration (100% = one core busy).`,
  `CPU by thread: each vxlan-tap thread's utime+stime (/proc/<pid>/task/<tid>/stat) over the TCP x${TCP_STREAMS} test, grouped as ` +
    'data-path workers (threads whose idle epoll set watches a TAP queue), the main thread (tid = pid) and the rest.',
  'vs k: the figure over kernel vxlan <-> kernel vxlan\'s; vs f: over the C floor\'s (a minimal C TAP <-> UDP forwarder ' +
    'against the kernel vxlan, bench/floor/forwarder.c), both measured in the same run.',
];
// Beyond the test's own duration: connection setup, the result exchange, a slow exit.
const IPERF_SLACK_MS = 20_000;

export interface Transfer {
  /** As the receiver counted them. */
  bitsPerSecond: number;
  bytes: number;
}

export interface Latency {
  /** Echo replies received. */
  replies: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
}

/** The round trips of one run of echoes at one spacing. */
export interface PingWindow extends Latency {
  /** "cold", or the spacing of a window after the warm-up ("10 ms"). */
  name: string;
  spacingMs: number;
  sent: number;
}

/** The round trips (ms) in the pinger's output, one line an echo: "<seq> <ms>" or "<seq> lost". */
export function pingerRoundTrips(stdout: string): { sent: number; roundTripsMs: number[] } {
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  const roundTripsMs: number[] = [];
  for (const line of lines) {
    const [, time] = /^\d+ (lost|\d+(?:\.\d+)?)$/.exec(line.trim()) ?? [];
    if (time === undefined) throw new Error(`not a pinger line: ${line.slice(0, 80)}`);
    if (time !== 'lost') roundTripsMs.push(Number(time));
  }
  return { sent: lines.length, roundTripsMs };
}

/** p50, p99 and the extremes of some round trips. */
export function latencyOf(roundTripsMs: readonly number[]): Latency {
  return {
    replies: roundTripsMs.length,
    p50Ms: percentile(roundTripsMs, 50),
    p99Ms: percentile(roundTripsMs, 99),
    minMs: Math.min(...roundTripsMs),
    maxMs: Math.max(...roundTripsMs),
  };
}

/** Sends `spacing.count` echoes from the client to the server address with the pinger at `pinger`. */
export async function pingWindow(lab: Lab, { client, serverAddress }: Endpoints, pinger: string, spacing: PingSpacing): Promise<PingWindow> {
  const budgetMs = spacing.count * spacing.spacingMs + REPLY_WAIT_MS + 10_000;
  const spacingUs = String(Math.round(spacing.spacingMs * 1000));
  const result = await runIn(lab, client, budgetMs, pinger, serverAddress, String(spacing.count), spacingUs, String(REPLY_WAIT_MS));
  if (result.code !== 0) throw new Error(`pinger ${serverAddress}: ${result.stderr.trim() || `exit ${result.code}`}`);
  const { sent, roundTripsMs } = pingerRoundTrips(result.stdout);
  if (roundTripsMs.length === 0) throw new Error(`pinger ${serverAddress}: no replies to ${sent} echoes ${spacing.spacingMs} ms apart`);
  return { name: spacing.name, spacingMs: spacing.spacingMs, sent, ...latencyOf(roundTripsMs) };
}

/** TCP throughput over `streams` parallel connections, as the receiver counted it. */
export async function tcpThroughput(lab: Lab, endpoints: Endpoints, streams = 1): Promise<Transfer> {
  const end = await iperf(lab, endpoints, TCP_SECONDS, ['-P', String(streams)]);
  return { bitsPerSecond: end.sum_received.bits_per_second, bytes: end.sum_received.bytes };
}

/** Received 64-byte UDP datagrams per second, the client sending as fast as it can. */
export async function udpPacketRate(lab: Lab, endpoints: Endpoints): Promise<number> {
  const end = await iperf(lab, endpoints, UDP_SECONDS, ['-u', '-b', '0', '-l', String(UDP_PAYLOAD_BYTES)]);
  const { packets, lost_packets: lost, seconds } = end.sum;
  return (packets - lost) / seconds;
}

/** The parts of iperf3's JSON "end" object that are read here. */
interface IperfEnd {
  sum_received: { bits_per_second: number; bytes: number };
  sum: { packets: number; lost_packets: number; seconds: number };
}

/** One iperf3 test: a one-shot server in the server namespace, the client in the client's. */
async function iperf(lab: Lab, { client, server, serverAddress }: Endpoints, seconds: number, clientArgs: string[]): Promise<IperfEnd> {
  const budgetMs = seconds * 1000 + IPERF_SLACK_MS;
  // --forceflush: the "listening" line would otherwise sit in a pipe buffer.
  const serverProcess = lab.spawn(server, 'iperf3', '-s', '-1', '-B', serverAddress, '--forceflush');
  const serverDone = finished(serverProcess, `iperf3 server in ${server}`, budgetMs + 5_000);
  try {
    await stdoutLine(serverProcess, /Server listening/, `iperf3 server in ${server}`, 5_000);
    const result = await runIn(lab, client, budgetMs, 'iperf3', '-c', serverAddress, '-t', String(seconds), '-J', '--connect-timeout', '3000', ...clientArgs);
    const report = JSON.parse(result.stdout || '{}') as { error?: string; end?: IperfEnd };
    if (report.error !== undefined || report.end === undefined) {
      throw new Error(`iperf3 client: ${report.error ?? (result.stderr.trim() || `exit ${result.code}`)}`);
    }
    return report.end;
  } finally {
    // Normally the one-shot server has ended by now; if the test failed, end it here.
    if (serverProcess.exitCode === null && serverProcess.signalCode === null) serverProcess.kill('SIGTERM');
    await serverDone.catch(() => undefined);
  }
}
