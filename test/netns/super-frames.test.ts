// TCP super-frames end to end: TSO trains leave in one sendmsg each (UDP GSO), coalesced
// trains arrive in one recvmsg (UDP GRO), and every byte still arrives intact, with loss
// and reordering on the underlay (impairUnderlay), IPv4 and IPv6 inside and outside, two
// MSS values, both directions, against the kernel's vxlan and between two vxlan-taps.
// Ping and UDP keep working beside a transfer. The underlay is either a wire that
// completes every checksum, or NIC-like as in the benchmark (checksums left to the veth
// wherever the receiver allows it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, nicEnd, type VethEnd } from '../../lab/lab.js';
import { clearImpairment, impairUnderlay } from '../../lab/impairment.js';
import { isRoot, pingAsync, tcpTransfer, udpDatagrams } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const MEGABYTES = 2;

type End = 'kernel' | 'vxlan-tap';

const UNDERLAY = { 4: ['198.51.100.1', '198.51.100.2', 24], 6: ['2001:db8::1', '2001:db8::2', 64] } as const;
const OVERLAY = { 4: ['192.0.2.1', '192.0.2.2', '192.0.2.0/24', 24], 6: ['2001:db8:42::1', '2001:db8:42::2', '2001:db8:42::/64', 64] } as const;

describe.skipIf(!isRoot).each([
  ['kernel', 'vxlan-tap', 4, 'on', 'wire'],
  ['kernel', 'vxlan-tap', 6, 'on', 'wire'],
  ['vxlan-tap', 'vxlan-tap', 4, 'on', 'wire'],
  ['vxlan-tap', 'vxlan-tap', 6, 'on', 'wire'],
  ['vxlan-tap', 'vxlan-tap', 4, 'off', 'wire'],
  ['kernel', 'vxlan-tap', 4, 'on', 'NIC-like'],
  ['vxlan-tap', 'vxlan-tap', 6, 'on', 'NIC-like'],
  ['vxlan-tap', 'vxlan-tap', 4, 'off', 'NIC-like'],
] as const)('%s <-> %s, IPv%i underlay, --offload %s, %s veth', (endA, endB, outer, offload, veth) => {
  const lab = new Lab(`sf${outer}${endA === 'kernel' ? 'k' : 't'}${offload}${veth === 'wire' ? 'w' : 'n'}`);
  const hosts: string[] = [];
  const devs: string[] = [];

  const stats = (i: number): { underlay?: { gso: boolean; gsoSends: number; groTrains: number } } =>
    JSON.parse(lab.exec(hosts[i]!, process.execPath, MAIN, 'stats', '--tap', devs[i]!, '--json'));
  const tapEnds = (): number[] => [0, 1].filter((i) => [endA, endB][i] === 'vxlan-tap');

  /** Both directions, IPv4 and IPv6 inside: every transfer intact. */
  async function transfersIntact(): Promise<void> {
    for (const inner of [4, 6] as const) {
      for (const [from, to] of [[0, 1], [1, 0]] as const) {
        const { sent, received } = await tcpTransfer(lab, hosts[to]!, OVERLAY[inner][to]!, hosts[from]!, MEGABYTES);
        expect(sent.startsWith(`${MEGABYTES * 1024 * 1024} `)).toBe(true);
        expect(received).toBe(sent);
      }
    }
  }

  /** The MSS both ends advertise on the overlay routes; undefined: the MTU's. */
  function setMss(mss: number | undefined): void {
    for (const [i, ns] of hosts.entries()) {
      for (const inner of [4, 6] as const) {
        const args = ['route', 'replace', OVERLAY[inner][2], 'dev', devs[i]!, ...(mss === undefined ? [] : ['advmss', String(mss)])];
        lab.ip(ns, ...(inner === 6 ? ['-6', ...args] : args));
      }
    }
  }

  beforeAll(async () => {
    const ends = [endA, endB] as End[];
    for (const name of ['a', 'b']) hosts.push(lab.namespace(name));
    const [ulA, ulB, ulPrefix] = UNDERLAY[outer];
    // GRO on the underlay either way, as a NIC's receive path does it (a veth needs to be asked).
    const wire: VethEnd = { txChecksum: false, gro: true };
    const end = (self: End, peer: End): VethEnd => (veth === 'wire' ? wire : nicEnd(self === 'kernel' && peer === 'vxlan-tap'));
    lab.link(hosts[0]!, `${ulA}/${ulPrefix}`, hosts[1]!, `${ulB}/${ulPrefix}`, { ends: [end(endA, endB), end(endB, endA)] });
    for (const [i, end] of ends.entries()) {
      const ns = hosts[i]!;
      const self = UNDERLAY[outer][i]!;
      const peer = UNDERLAY[outer][1 - i]!;
      const v4 = `${OVERLAY[4][i]}/${OVERLAY[4][3]}`;
      const v6 = `${OVERLAY[6][i]}/${OVERLAY[6][3]}`;
      if (end === 'kernel') {
        devs.push(lab.kernelVxlan(ns, { vni: 42, remote: String(peer), local: String(self), dev: 'ul0', address: v4 }));
        lab.ip(ns, 'addr', 'add', v6, 'dev', 'vx0');
      } else {
        devs.push('vxt0');
        // Trains leave as trains (GSO) over IPv4 too: outer IDs may overlap (--outer-ids).
        await lab.vtep(ns, '--offload', offload, '--outer-ids', 'overlap', '--vni', '42', '--peer', String(peer), '--tap', 'vxt0', '--address', v4, '--address', v6);
      }
    }
    // Neighbours and learning settle before anything is counted.
    for (const inner of [4, 6] as const) expect(await pingAsync(lab, hosts[0]!, OVERLAY[inner][1], 5, '0.3')).toBeGreaterThan(0);
  });
  afterAll(() => lab.cleanup());

  it('carries TCP intact both ways, IPv4 and IPv6 inside, at two MSS values, under loss and reordering', async () => {
    for (const ns of hosts) impairUnderlay(lab, ns, 'ul0', 1, 30);
    let dropped = 0;
    try {
      for (const mss of [undefined, 900]) {
        setMss(mss);
        await transfersIntact();
      }
    } finally {
      setMss(undefined);
      for (const ns of hosts) dropped += clearImpairment(lab, ns, 'ul0');
    }
    // The impairment did bite: TCP recovered from real losses.
    expect(dropped).toBeGreaterThan(0);
  });

  it('keeps ping and UDP working beside a TCP transfer', async () => {
    const transfer = tcpTransfer(lab, hosts[1]!, OVERLAY[4][1], hosts[0]!, 4 * MEGABYTES);
    const [pings4, pings6, udp4, udp6] = await Promise.all([
      pingAsync(lab, hosts[0]!, OVERLAY[4][1], 10, '0.05'),
      pingAsync(lab, hosts[1]!, OVERLAY[6][0], 10, '0.05'),
      udpDatagrams(lab, hosts[1]!, OVERLAY[4][1], hosts[0]!, 10, 1000),
      udpDatagrams(lab, hosts[0]!, OVERLAY[6][0], hosts[1]!, 10, 3000),
    ]);
    const { sent, received } = await transfer;
    expect(received).toBe(sent);
    // The transfer fills the underlay's queues, and a full queue may drop a packet of
    // anything: most, not necessarily all, get through.
    for (const count of [pings4, pings6, udp4, udp6]) expect(count).toBeGreaterThanOrEqual(8);
  });

  it.skipIf(offload === 'off')('sent TCP super-frames as GSO trains and received GRO trains', () => {
    for (const i of tapEnds()) {
      const underlay = stats(i).underlay!;
      expect(underlay.gso).toBe(true);
      expect(underlay.gsoSends).toBeGreaterThan(0);
      expect(underlay.groTrains).toBeGreaterThan(0);
    }
  });

  it.skipIf(offload === 'on')('sends no trains and reports no underlay offload with --offload off', () => {
    for (const i of tapEnds()) expect(stats(i).underlay).toBeUndefined();
  });
});

describe.skipIf(!isRoot)('a train whose datagrams do not fit the underlay MTU', () => {
  const lab = new Lab('sfmtu');
  const hosts: string[] = [];

  beforeAll(async () => {
    for (const name of ['a', 'b']) hosts.push(lab.namespace(name));
    lab.link(hosts[0]!, '198.51.100.1/24', hosts[1]!, '198.51.100.2/24');
    // A 1500-byte TAP over a 1500-byte underlay: every full segment needs IP fragments.
    for (const [i, ns] of hosts.entries()) {
      await lab.vtep(ns, '--mtu', '1500', '--vni', '42', '--peer', `198.51.100.${2 - i}`, '--tap', 'vxt0', '--address', `192.0.2.${i + 1}/24`);
    }
  });
  afterAll(() => lab.cleanup());

  it('leaves datagram by datagram (the kernel refuses the train with EMSGSIZE), fragmented and intact; GSO stays on', async () => {
    const { sent, received } = await tcpTransfer(lab, hosts[1]!, '192.0.2.2', hosts[0]!, MEGABYTES);
    expect(received).toBe(sent);
    const stats = JSON.parse(lab.exec(hosts[0]!, process.execPath, MAIN, 'stats', '--tap', 'vxt0', '--json'));
    expect(stats.offload.superFrames).toBeGreaterThan(0);
    expect(stats.underlay).toMatchObject({ gso: true, gsoSends: 0 });
    expect(stats.sendErrors).toBe(0);
  });
});
