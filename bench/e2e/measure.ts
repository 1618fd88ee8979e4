// One function per end-to-end measurement, each run from the client namespace to the
// server address of a built setup, each bounded in count and time.
import type { Lab } from '../../src/lab/lab.js';
import { finished, runIn, stdoutLine } from './child.js';
import type { Endpoints } from './setups.js';

const TCP_SECONDS = 5;
const UDP_SECONDS = 3;
const UDP_PAYLOAD_BYTES = 64;
const PING_COUNT = 50;
const PING_INTERVAL = '0.01';
/** How the numbers were taken, for the report under the table. */
export const METHOD =
  `TCP: iperf3 -t ${TCP_SECONDS}, one stream a -> b, receiver's rate; p50: ping -c ${PING_COUNT} -i ${PING_INTERVAL}; ` +
  `UDP: iperf3 -u -b 0 -l ${UDP_PAYLOAD_BYTES} -t ${UDP_SECONDS}, packets received per second.`;
// Beyond the test's own duration: connection setup, the result exchange, a slow exit.
const IPERF_SLACK_MS = 20_000;

/** TCP throughput in bits per second, as the receiver counted it. */
export async function tcpThroughput(lab: Lab, endpoints: Endpoints): Promise<number> {
  const end = await iperf(lab, endpoints, TCP_SECONDS, []);
  return end.sum_received.bits_per_second;
}

/** Received 64-byte UDP datagrams per second, the client sending as fast as it can. */
export async function udpPacketRate(lab: Lab, endpoints: Endpoints): Promise<number> {
  const end = await iperf(lab, endpoints, UDP_SECONDS, ['-u', '-b', '0', '-l', String(UDP_PAYLOAD_BYTES)]);
  const { packets, lost_packets: lost, seconds } = end.sum;
  return (packets - lost) / seconds;
}

/** Median round-trip time in ms over PING_COUNT echoes (the summary line has no median). */
export async function pingMedianMs(lab: Lab, { client, serverAddress }: Endpoints): Promise<number> {
  const deadlineSeconds = 10;
  const result = await runIn(lab, client, (deadlineSeconds + 5) * 1000, 'ping', '-c', String(PING_COUNT), '-i', PING_INTERVAL, '-W', '1', '-w', String(deadlineSeconds), serverAddress);
  const times = [...result.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((x, y) => x - y);
  if (times.length === 0) throw new Error(`ping ${serverAddress}: no replies`);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

/** The parts of iperf3's JSON "end" object that are read here. */
interface IperfEnd {
  sum_received: { bits_per_second: number };
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
