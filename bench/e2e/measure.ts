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
const PING_COUNT = 200;
const PING_INTERVAL = '0.01';
const PING_DEADLINE_SECONDS = 10;
/** How the numbers were taken, one line a measurement, for the report and the JSON. */
export const METHOD: readonly string[] = [
  `TCP: iperf3 -t ${TCP_SECONDS}, one stream a -> b, the receiver's rate; TCP x${TCP_STREAMS}: the same with -P ${TCP_STREAMS}.`,
  `p50/p99: ping -c ${PING_COUNT} -i ${PING_INTERVAL}, percentiles interpolated between ranks.`,
  `UDP: iperf3 -u -b 0 -l ${UDP_PAYLOAD_BYTES} -t ${UDP_SECONDS}, packets received per second.`,
  'CPU s/GB, over the one-stream TCP test, per 10^9 bytes received: "vtep" is the vxlan-tap processes\' utime+stime ' +
    '(/proc/<pid>/stat); "system" is the whole machine\'s system+irq+softirq time (/proc/stat), where kernel vxlan works.',
  'ping CPU: the vxlan-tap processes\' CPU time during the ping test over its duration (100% = one core busy).',
];
// Beyond the test's own duration: connection setup, the result exchange, a slow exit.
const IPERF_SLACK_MS = 20_000;

export interface Transfer {
  /** As the receiver counted them. */
  bitsPerSecond: number;
  bytes: number;
}

export interface Latency {
  /** Echo replies received (of PING_COUNT sent). */
  replies: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
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

/** Round-trip times over PING_COUNT echoes (the summary line has no percentiles). */
export async function pingLatency(lab: Lab, { client, serverAddress }: Endpoints): Promise<Latency> {
  const result = await runIn(
    lab,
    client,
    (PING_DEADLINE_SECONDS + 5) * 1000,
    'ping',
    ...['-c', String(PING_COUNT), '-i', PING_INTERVAL, '-W', '1', '-w', String(PING_DEADLINE_SECONDS), serverAddress],
  );
  const times = [...result.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (times.length === 0) throw new Error(`ping ${serverAddress}: no replies`);
  return {
    replies: times.length,
    p50Ms: percentile(times, 50),
    p99Ms: percentile(times, 99),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
  };
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
