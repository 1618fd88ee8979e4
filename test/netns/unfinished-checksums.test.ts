// A kernel vxlan on the same host, its underlay a veth with default offloads (tx on): it
// leaves every inner TCP and UDP checksum unfinished (the field holds the folded
// pseudo-header sum; the kernel on its side trusts the packet's "checksum partial" state,
// which a UDP socket never sees). vxlan-tap completes them, counts them, and carries TCP
// and UDP both ways, IPv4 and IPv6 inside, with and without TAP offloads, on either I/O.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VethEnd, type VtepProcess } from '../../lab/lab.js';
import { isRoot, ping, tcpTransfer, udpDatagrams, vtepStats } from './helpers.js';

/** A veth end as `ip link add ... type veth` leaves it: tx checksum offload on, no GRO. */
const DEFAULT_END: VethEnd = { txChecksum: true, gro: false };

/** Inner checksum errors the kernel counted in `ns` (TCP and UDP InCsumErrors). */
function inCsumErrors(lab: Lab, ns: string): number {
  const lines = lab.exec(ns, 'cat', '/proc/net/snmp').split('\n');
  let total = 0;
  for (const proto of ['Tcp:', 'Udp:']) {
    const [names, values] = lines.filter((l) => l.startsWith(proto)).map((l) => l.split(/\s+/));
    total += Number(values![names!.indexOf('InCsumErrors')]);
  }
  return total;
}

describe.skipIf(!isRoot).each([
  ['native', 'on'],
  ['native', 'off'],
  ['dgram', 'on'],
])('vxlan-tap --io %s --offload %s <-> kernel vxlan on a veth with tx offload on', (io, offload) => {
  const lab = new Lab(`csum-${io}-${offload}`);
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    kernelHost = lab.namespace('k');
    tapHost = lab.namespace('t');
    lab.link(kernelHost, '198.51.100.1/24', tapHost, '198.51.100.2/24', { ends: [DEFAULT_END, DEFAULT_END] });
    expect(lab.offload(kernelHost, 'ul0', 'tx')).toBe(true);
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24' });
    lab.ip(kernelHost, 'addr', 'add', '2001:db8:42::1/64', 'dev', 'vx0');
    vtep = await lab.vtep(tapHost, '--io', io!, '--offload', offload!, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--address', '2001:db8:42::2/64');
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
    expect(ping(lab, tapHost, '2001:db8:42::1')).toBe(3);
  });
  afterAll(() => lab.cleanup());

  it('carries UDP from the kernel side, IPv4 and IPv6 inside, every datagram', async () => {
    expect(await udpDatagrams(lab, tapHost, '192.0.2.2', kernelHost, 50, 200)).toBe(50);
    expect(await udpDatagrams(lab, tapHost, '2001:db8:42::2', kernelHost, 50, 1200)).toBe(50);
  }, 30_000);

  it('carries UDP to the kernel side, IPv4 and IPv6 inside', async () => {
    expect(await udpDatagrams(lab, kernelHost, '192.0.2.1', tapHost, 50, 200)).toBe(50);
    expect(await udpDatagrams(lab, kernelHost, '2001:db8:42::1', tapHost, 50, 1200)).toBe(50);
  }, 30_000);

  it('carries TCP both ways byte for byte, IPv4 and IPv6 inside', async () => {
    for (const [to, toAddress, from] of [
      [tapHost, '192.0.2.2', kernelHost],
      [kernelHost, '192.0.2.1', tapHost],
      [tapHost, '2001:db8:42::2', kernelHost],
      [kernelHost, '2001:db8:42::1', tapHost],
    ] as const) {
      const { sent, received } = await tcpTransfer(lab, to, toAddress, from, 2);
      expect(sent.startsWith(`${2 * 1024 * 1024} `)).toBe(true);
      expect(received).toBe(sent);
    }
  }, 120_000);

  it('counts what it completed, finds nothing bad, and the TAP side saw no checksum errors', () => {
    const stats = vtepStats(lab, tapHost, '--tap', 'vxt0');
    expect(stats.innerChecksumCompleted).toBeGreaterThan(0);
    expect(stats.innerChecksumBad).toBe(0);
    expect(inCsumErrors(lab, tapHost)).toBe(0);
  });

  it('stops cleanly', async () => {
    expect(await vtep.stop()).toBe(0);
  });
});
