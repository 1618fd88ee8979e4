// Where one ping's time goes: a per-stage timeline of echoes through a userspace tunnel end
// (the C floor, vxlan-tap) against a kernel vxlan, from packet captures in the userspace
// end's namespace. The pinger there sends an echo into the TAP; the tunnel end reads it,
// wraps it and sends it on the underlay; the kernel peer answers; the tunnel end receives
// the reply, unwraps it and writes it to the TAP. tcpdump timestamps each packet as the
// kernel passes it (nanoseconds), on the TAP and on the underlay veth, so that
//   encap  = echo seen on the TAP      -> wrapped echo leaves on the underlay
//   peer   = wrapped echo leaves       -> wrapped reply arrives (the kernel peer's part)
//   decap  = wrapped reply arrives     -> reply written to the TAP
// and the two userspace stages (encap, decap) are what the tunnel end adds: each is one
// wake-up from idle, one read, one write. Measured after the bench's warm-up.
//   npm run bench:timeline [-- --only <text> ...] [-- --count N] [-- --spacing ms]
import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_TOOLS, missingToolsLine } from '../lab/system-tools.js';
import { BenchLab } from './e2e/bench-lab.js';
import { compileCPrograms, removeCPrograms, type CPrograms } from './e2e/c-programs.js';
import { finished } from './e2e/child.js';
import { pingWindow, WARM_UP } from './e2e/measure.js';
import { percentile } from './e2e/percentile.js';
import { benchSetups, buildSetup, untilReachable, type Setup } from './e2e/setups.js';

/** The setups drawn by default: the floor and vxlan-tap with its defaults, each against a kernel vxlan. */
const DEFAULT_LABELS = ['C floor <-> kernel vxlan', 'vxlan-tap <-> kernel vxlan --offload on'];
const STAGES = ['encap', 'peer', 'decap'] as const;
type Stage = (typeof STAGES)[number];

/** Written as root (the default drops to a user that cannot write into the run's private directory), packet by packet. */
const CAPTURE = ['-Z', 'root', '-U', '--time-stamp-precision=nano', '-w'];

const say = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Seconds since the epoch (nanosecond resolution) of each echo's request or reply, by sequence number. */
type Seen = Map<number, number>;

/**
 * The ICMP echoes in a capture as tcpdump prints it: on the underlay each datagram takes
 * two lines (VXLAN, then the inner packet), on the TAP one.
 */
function echoes(text: string): { requests: Seen; replies: Seen } {
  const requests: Seen = new Map();
  const replies: Seen = new Map();
  let time: number | undefined;
  for (const line of text.split('\n')) {
    const stamp = /^(\d+\.\d+) /.exec(line);
    if (stamp !== null) time = Number(stamp[1]);
    const echo = /ICMP echo (request|reply), id \d+, seq (\d+)/.exec(line);
    if (echo === null || time === undefined) continue;
    const seen = echo[1] === 'request' ? requests : replies;
    if (!seen.has(Number(echo[2]))) seen.set(Number(echo[2]), time);
  }
  return { requests, replies };
}

/** Per stage, the microseconds each echo spent there (echoes seen at all four points only). */
function stages(tap: ReturnType<typeof echoes>, underlay: ReturnType<typeof echoes>): Record<Stage, number[]> {
  const out: Record<Stage, number[]> = { encap: [], peer: [], decap: [] };
  for (const [seq, sent] of tap.requests) {
    const wrapped = underlay.requests.get(seq);
    const answered = underlay.replies.get(seq);
    const delivered = tap.replies.get(seq);
    if (wrapped === undefined || answered === undefined || delivered === undefined) continue;
    out.encap.push((wrapped - sent) * 1e6);
    out.peer.push((answered - wrapped) * 1e6);
    out.decap.push((delivered - answered) * 1e6);
  }
  return out;
}

async function timeline(setup: Setup, programs: CPrograms, count: number, spacingMs: number): Promise<string[]> {
  const lab = new BenchLab('tl');
  try {
    const endpoints = await buildSetup(lab, setup, programs);
    await untilReachable(lab, endpoints);
    await pingWindow(lab, endpoints, programs.pinger, WARM_UP);
    const tapName = setup.ends?.[0] === 'floor' ? 'floor0' : 'vxtap0';
    const read = (file: string): string => lab.exec(endpoints.client, 'tcpdump', '-r', file, '-nn', '-tt', '--time-stamp-precision=nano');
    const files = { tap: path.join(programs.dir, 'tap.pcap'), underlay: path.join(programs.dir, 'underlay.pcap') };
    const captures = [
      lab.spawn(endpoints.client, 'tcpdump', '-i', tapName, ...CAPTURE, files.tap, 'icmp'),
      lab.spawn(endpoints.client, 'tcpdump', '-i', 'ul0', ...CAPTURE, files.underlay, 'udp port 4789'),
    ];
    // tcpdump says "listening on" once its socket is open.
    await Promise.all(captures.map((c) => new Promise((resolve) => c.stderr!.once('data', resolve))));
    const window = await pingWindow(lab, endpoints, programs.pinger, { name: 'timeline', spacingMs, count });
    for (const c of captures) c.kill('SIGINT');
    await Promise.all(captures.map((c, i) => finished(c, `tcpdump ${i}`, 5_000).catch(() => undefined)));
    const spent = stages(echoes(read(files.tap)), echoes(read(files.underlay)));
    for (const file of Object.values(files)) rmSync(file, { force: true });
    const cell = (values: number[]): string => `${percentile(values, 50).toFixed(1).padStart(7)} ${percentile(values, 99).toFixed(1).padStart(8)}`;
    const matched = spent.encap.length;
    return [
      `${setup.label}: ${matched} of ${window.sent} echoes seen at all four points; round trip p50 ${(window.p50Ms * 1000).toFixed(1)} us, p99 ${(window.p99Ms * 1000).toFixed(1)} us`,
      ...STAGES.map((stage) => `  ${stage.padEnd(6)} ${cell(spent[stage])}`),
    ];
  } finally {
    await lab.cleanup();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string', multiple: true }, count: { type: 'string', default: '500' }, spacing: { type: 'string', default: '10' } } });
  if (process.getuid?.() !== 0) throw new Error('the timeline needs root: it creates network namespaces');
  const missing = missingToolsLine('the timeline needs', BENCH_TOOLS);
  if (missing !== undefined) throw new Error(missing);
  const count = Number(values.count);
  const spacingMs = Number(values.spacing);
  if (!Number.isInteger(count) || count < 1 || count > 60_000) throw new Error(`--count ${values.count}: a whole number of echoes from 1 to 60000`);
  if (!(spacingMs >= 0.1 && spacingMs <= 1000)) throw new Error(`--spacing ${values.spacing}: milliseconds from 0.1 to 1000`);
  const labels = values.only ?? DEFAULT_LABELS;
  const setups = labels.map((text) => {
    const setup = benchSetups().find((s) => s.label.includes(text) && s.ends?.[0] !== 'kernel');
    if (setup === undefined || setup.ends?.[1] !== 'kernel') throw new Error(`--only ${text}: no setup of a userspace end against a kernel vxlan has it in its label`);
    return setup;
  });
  const programs = compileCPrograms();
  try {
    say(`Per-stage time of ${count} echoes ${spacingMs} ms apart after a warm-up, in microseconds (p50, p99):`);
    say(`${''.padEnd(8)} ${'p50'.padStart(7)} ${'p99'.padStart(8)}`);
    for (const setup of setups) (await timeline(setup, programs, count, spacingMs)).forEach((line) => say(line));
  } finally {
    removeCPrograms(programs);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`timeline: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
