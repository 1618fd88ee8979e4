// Soak test, on demand (root; not part of `npm test`): three vxlan-tap VTEPs on one
// underlay switch with loss, delay and reordering (tc netem, or where the kernel lacks
// sch_netem the lab's HTB + BPF impairment: loss and reordering), carrying TCP, UDP and ICMP
// for a while, with a handover of one VTEP half-way, while h1's control socket takes a
// burst of 200 clients every 30 s. Passes when no process died, the memory of each grew
// less than 5 % after the warm-up, and every VTEP's counters add up.
//   npm run soak [-- --minutes 10]      (node dist/bench/soak.js)
import { parseArgs } from 'node:util';
import { BUILT_MAIN, Lab, type VtepProcess } from '../lab/lab.js';
import { impairUnderlay } from '../lab/impairment.js';
import { isAlive, rssKb, terminate } from '../lab/process-watch.js';
import { controlBurst } from '../lab/control-burst.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' } } });
const minutes = Number(values.minutes);
if (!(minutes > 0)) throw new Error(`--minutes must be a positive number, not ${values.minutes}`);
const seconds = Math.round(minutes * 60);
const warmUpSeconds = Math.min(60, Math.round(seconds / 5));
const NETEM = ['delay', '2ms', '1ms', 'loss', '0.5%', 'reorder', '5%', '50%'];
const [FALLBACK_LOSS, FALLBACK_REORDER] = [0.5, 5]; // percent, as NETEM's
const RSS_GROWTH_LIMIT = 0.05;
const BURST_CLIENTS = 200;
const BURST_EVERY_MS = 30_000;
const WARM_UP_BURSTS = 10;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function stats(lab: Lab, ns: string): Record<string, any> {
  return JSON.parse(lab.exec(ns, process.execPath, BUILT_MAIN, 'stats', '--json', '--tap', 'vxt0')) as Record<string, any>;
}

/** Receive: datagrams = delivered + drops; transmit: frames = sent + noTarget + proxyConsumed. */
function balanced(s: Record<string, any>): boolean {
  const { noTarget, proxyConsumed, ...rxDrops } = s['drops'] as Record<string, number>;
  const rxDropped = Object.values(rxDrops).reduce((a, b) => a + b, 0);
  return s['rxDatagrams'] === s['rxPackets'] + rxDropped && s['txFrames'] === s['txEncapsulated'] + noTarget! + proxyConsumed!;
}

const lab = new Lab('soak');
const successors: number[] = [];
process.once('SIGINT', () => void lab.cleanup().finally(() => process.exit(130)));

try {
  const underlay = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
  const sw = lab.namespace('sw');
  const hosts = ['h1', 'h2', 'h3'].map((name) => lab.namespace(name));
  lab.bridgeLinks(sw, hosts.map((ns, i) => ({ ns, address: `${underlay[i]}/24` })));
  const vteps: VtepProcess[] = [];
  let impairment = `netem ${NETEM.join(' ')}`;
  for (const [i, ns] of hosts.entries()) {
    try {
      lab.exec(ns, 'tc', 'qdisc', 'add', 'dev', 'ul0', 'root', 'netem', ...NETEM);
    } catch {
      // Some kernels are built without sch_netem: lose and reorder with HTB + BPF instead.
      impairUnderlay(lab, ns, 'ul0', FALLBACK_LOSS, FALLBACK_REORDER);
      impairment = `no sch_netem here: HTB + BPF, loss ${FALLBACK_LOSS} %, reorder ${FALLBACK_REORDER} %, no delay`;
    }
    const peers = underlay.filter((_, j) => j !== i).flatMap((p) => ['--peer', p]);
    vteps.push(await lab.vtep(ns, '--vni', '42', ...peers, '--tap', 'vxt0', '--address', `192.0.2.${i + 1}/24`));
  }
  const [h1, h2, h3] = hosts as [string, string, string];
  for (const port of ['5201', '5202']) lab.spawn(h3, 'iperf3', '-s', '-1', '-p', port);
  await sleep(500);
  const traffic = [
    lab.spawn(h1, 'iperf3', '-c', '192.0.2.3', '-p', '5201', '-t', String(seconds), '-b', '50M'),
    lab.spawn(h2, 'iperf3', '-c', '192.0.2.3', '-p', '5202', '-u', '-t', String(seconds), '-b', '20M'),
    lab.spawn(h1, 'ping', '-q', '-i', '0.05', '-w', String(seconds), '192.0.2.2'),
  ];
  let pingSummary = '';
  traffic[2]!.stdout!.on('data', (chunk: Buffer) => (pingSummary += chunk.toString()));
  const done = Promise.all(traffic.map((child) => new Promise((resolve) => child.once('exit', resolve))));

  // Control bursts on h1 all along: each client costs memory while it is served.
  let bursts = 0;
  let answered = 0;
  const burstTimer = setInterval(() => void controlBurst(lab, h1, `/run/vxlan-tap/netns-${h1}/vxt0.sock`, BURST_CLIENTS).then((n) => ((bursts += 1), (answered += n))), BURST_EVERY_MS);
  void done.then(() => clearInterval(burstTimer));

  // The process serving each host, and its RSS once warmed up (a successor: from its start).
  // The warm-up includes WARM_UP_BURSTS bursts back to back: V8 sizes the main thread's
  // young generation to what bursts leave alive within about ten of them, and keeps it.
  const pids = vteps.map((v) => v.child.pid!);
  for (let i = 0; i < WARM_UP_BURSTS; i++) await controlBurst(lab, h1, `/run/vxlan-tap/netns-${h1}/vxt0.sock`, BURST_CLIENTS);
  await sleep(warmUpSeconds * 1000);
  const baseline = pids.map(rssKb);
  let peak = [...baseline];
  const sample = (): void => void (peak = pids.map((pid, i) => Math.max(peak[i]!, rssKb(pid))));
  for (let t = warmUpSeconds; t < seconds / 2; t += 5, await sleep(5000)) sample();

  const handedOver = lab.exec(h2, process.execPath, BUILT_MAIN, 'handover', '--tap', 'vxt0');
  const successor = Number(/handed over to pid (\d+)/.exec(handedOver)?.[1]);
  successors.push(successor);
  say(`handover at ${Math.round(seconds / 2)} s: h2 now served by pid ${successor}`);
  await sleep(Math.min(warmUpSeconds, seconds / 4) * 1000);
  pids[1] = successor;
  baseline[1] = peak[1] = rssKb(successor);
  for (let t = 0; t < seconds / 4; t += 5, await sleep(5000)) sample();
  await done;
  sample();

  const alive = pids.every(isAlive);
  const growth = pids.map((_, i) => (peak[i]! - baseline[i]!) / baseline[i]!);
  const counters = hosts.map((ns) => stats(lab, ns));
  const ok = alive && growth.every((g) => g < RSS_GROWTH_LIMIT) && counters.every(balanced);
  say(`soak: ${minutes} min, underlay impairment: ${impairment}; TCP 50 Mbit/s + UDP 20 Mbit/s + ping every 50 ms`);
  say(`ping: ${/\d+ packets transmitted.*/.exec(pingSummary)?.[0] ?? '(no summary)'}`);
  say(`control bursts on h1: ${bursts} of ${BURST_CLIENTS} clients, ${answered} of ${bursts * BURST_CLIENTS} answered`);
  hosts.forEach((_, i) => {
    const s = counters[i]!;
    const mb = (kb: number): string => (kb / 1024).toFixed(1);
    say(`h${i + 1}: RSS ${mb(baseline[i]!)} -> peak ${mb(peak[i]!)} MB (+${(growth[i]! * 100).toFixed(1)} %), rx ${s['rxPackets']} delivered of ${s['rxDatagrams']}, tx ${s['txEncapsulated']} of ${s['txFrames']}, counters ${balanced(s) ? 'balanced' : 'NOT balanced'}`);
  });
  say(ok ? 'soak: PASS' : `soak: FAIL${alive ? '' : ' (a VTEP died)'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  successors.forEach(terminate);
  await sleep(500);
  await lab.cleanup();
}
