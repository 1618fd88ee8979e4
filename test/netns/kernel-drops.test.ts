// Datagrams the kernel drops before the VXLAN socket reads them are shown in `stats` and in
// the metrics: those its full receive buffer turned away (SO_RXQ_OVFL), and the UDP
// checksum errors of the namespace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { isRoot, ping, vtepStats, waitFor } from './helpers.js';

/** Sends `count` UDP datagrams of `size` bytes to dst:4789 from `ns`, as fast as it can (python3). */
function blast(lab: Lab, ns: string, dst: string, count: number, size: number): void {
  lab.exec(ns, 'python3', '-c', `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
data = bytes([8, 0, 0, 0, 0, 0, 0x2a, 0]) + bytes(${size - 8})
for _ in range(${count}):
    s.sendto(data, ('${dst}', 4789))
`);
}

/** Sends `count` UDP datagrams to dst:4789 whose checksum is wrong (a raw socket: the kernel leaves it as it is). */
function badChecksums(lab: Lab, ns: string, dst: string, count: number): void {
  lab.exec(ns, 'python3', '-c', `
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
payload = bytes([8, 0, 0, 0, 0, 0, 0x2a, 0]) + bytes(64)
for _ in range(${count}):
    s.sendto(struct.pack('!HHHH', 40000, 4789, 8 + len(payload), 0x1234) + payload, ('${dst}', 0))
`);
}

describe.skipIf(!isRoot)('drops the kernel makes before the VXLAN socket', () => {
  const lab = new Lab('kdrops');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--metrics', '127.0.0.1:9464');
    expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
  });
  afterAll(() => lab.cleanup());

  it('starts with nothing dropped', () => {
    const drops = vtepStats(lab, tapHost, '--tap', 'vxt0').kernelDrops;
    expect(drops.socketOverflows).toBe(0);
    expect(drops.udpChecksumErrors).toEqual({ udp: 0, udp6: 0 });
  });

  it('shows the namespace UDP checksum errors', async () => {
    badChecksums(lab, kernelHost, '198.51.100.2', 5);
    expect(await waitFor(() => vtepStats(lab, tapHost, '--tap', 'vxt0').kernelDrops.udpChecksumErrors.udp >= 5)).toBe(true);
    const metrics = lab.exec(tapHost, 'python3', '-c', "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:9464/metrics').read().decode())");
    expect(metrics).toMatch(/vxlan_tap_udp_checksum_errors_total\{family="ipv4"\} ([5-9]|\d\d+)/);
  });

  it('shows the datagrams a full receive buffer turned away', async () => {
    // Stopped, the VTEP reads nothing: its receive buffer (a few MB) fills and the rest is dropped.
    vtep.child.kill('SIGSTOP');
    try {
      blast(lab, kernelHost, '198.51.100.2', 20_000, 1000);
    } finally {
      vtep.child.kill('SIGCONT');
    }
    // The count rides on each datagram read: one sent once the queue has drained brings it up to date.
    const overflows = async (): Promise<number> => vtepStats(lab, tapHost, '--tap', 'vxt0').kernelDrops.socketOverflows as number;
    let seen = 0;
    for (let i = 0; i < 20 && seen === 0; i++) {
      ping(lab, kernelHost, '192.0.2.2', 1, '0.2');
      seen = await overflows();
    }
    expect(seen).toBeGreaterThan(0);
    const metrics = lab.exec(tapHost, 'python3', '-c', "import urllib.request;print(urllib.request.urlopen('http://127.0.0.1:9464/metrics').read().decode())");
    expect(Number(/vxlan_tap_socket_overflows_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  }, 60_000);

  it('stops cleanly', async () => {
    expect(await vtep.stop()).toBe(0);
  });
});
