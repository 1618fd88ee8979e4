// A receive fuzz: 1,000,000 random and mutated datagrams (truncated, reserved bits, a
// clear I flag, other VNIs, bad source MACs, inner frames of 0 to 9000 bytes). The
// process stays up, every datagram is accounted for (decapsulated or dropped for a
// reason, or dropped by the kernel with the socket buffer full), memory stays bounded,
// and a ping goes through afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { rssKb } from '../../lab/process-watch.js';
import { isRoot, ping, sendVxlan, udpReceiveBufferErrors, vtepStats, waitFor } from './helpers.js';

const DATAGRAMS = 1_000_000;
const RSS_GROWTH_LIMIT_KB = 150 * 1024;

const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

// With two data-path threads the senders' flows spread over both workers' sockets, and
// the counters are their sums: still every datagram accounted for.
describe.skipIf(!isRoot).each([
  ['1', DATAGRAMS],
  ['2', DATAGRAMS / 4],
])('receive fuzz, --threads %s', (threads, datagrams) => {
  const lab = new Lab('fuzz');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    // The kernel's vxlan comes after the fuzz: its own chatter would add to the counts.
    ({ kernelHost, tapHost } = lab.hostPair());
    vtep = await lab.vtep(tapHost, '--threads', threads, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02');
  });
  afterAll(() => lab.cleanup());

  it(`survives ${datagrams} datagrams with every counter balanced`, { timeout: 120_000 }, async () => {
    const rssBefore = rssKb(vtep.child.pid!);
    const kernelDropsBefore = udpReceiveBufferErrors(lab, tapHost);
    const started = Date.now();
    // Four senders with their own seeds, in parallel.
    await Promise.all([1, 2, 3, 4].map((seed) => sendVxlan(lab, kernelHost, '198.51.100.2', 'fuzz', datagrams / 4, 42, '', seed)));
    const accounted = (s: Record<string, any>): number => s.rxDatagrams + sum(s.unclaimed);
    const kernelDrops = (): number => udpReceiveBufferErrors(lab, tapHost) - kernelDropsBefore;
    expect(await waitFor(() => accounted(vtepStats(lab, tapHost, '--tap', 'vxt0')) + kernelDrops() === datagrams, 20_000)).toBe(true);
    const seconds = (Date.now() - started) / 1000;

    const s = vtepStats(lab, tapHost, '--tap', 'vxt0');
    // Each datagram of this VNI was delivered or dropped for one reason.
    expect(s.rxPackets + sum(s.drops) - s.drops.noTarget - s.drops.proxyConsumed).toBe(s.rxDatagrams);
    expect(s.drops.reservedBits).toBeGreaterThan(0);
    expect(s.drops.invalidSrcMac).toBeGreaterThan(0);
    expect(s.drops.truncatedInner).toBeGreaterThan(0);
    expect(s.unclaimed.tooShort).toBeGreaterThan(0);
    expect(s.unclaimed.unknownVni).toBeGreaterThan(0);
    // How many the kernel drops with the socket buffers full depends on the machine's load.
    expect(s.rxPackets).toBeGreaterThan(datagrams / 100);
    const growth = rssKb(vtep.child.pid!) - rssBefore;
    process.stderr.write(`fuzz, --threads ${threads}: ${datagrams} datagrams in ${seconds.toFixed(1)} s, ${kernelDrops()} dropped by the kernel, RSS +${Math.round(growth / 1024)} MB\n`);
    expect(growth).toBeLessThan(RSS_GROWTH_LIMIT_KB);

    lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24' });
    expect(ping(lab, kernelHost, '192.0.2.2', 3, '0.1')).toBe(3);
    expect(vtep.child.exitCode).toBeNull();
  });
});
