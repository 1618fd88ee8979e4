// The kernel's zero-checksum options for an IPv6 underlay on the wire, against a kernel
// peer that uses both: --udp6zerocsumrx and --udp6zerocsumtx (zero-checksum UDP over
// IPv6, which the kernel otherwise drops before any socket sees it, counted only as a
// UDP checksum error). --no-udpcsum and --srcport are in outer-header.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { capture, isRoot, ping, vtepStats } from './helpers.js';

describe.skipIf(!isRoot)('zero-checksum UDP over IPv6: --udp6zerocsumrx, --udp6zerocsumtx', () => {
  const lab = new Lab('zcsum6');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess | undefined;

  beforeAll(() => {
    kernelHost = lab.namespace('k');
    tapHost = lab.namespace('t');
    lab.link(kernelHost, '2001:db8:a::1/64', tapHost, '2001:db8:a::2/64');
    // The kernel peer sends zero checksums and takes them.
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '2001:db8:a::2', local: '2001:db8:a::1', dev: 'ul0', address: '192.0.2.1/24', extra: ['udp6zerocsumtx', 'udp6zerocsumrx'] });
  });
  afterAll(() => lab.cleanup());

  async function start(...options: string[]): Promise<void> {
    await vtep?.stop();
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '2001:db8:a::1', '--tap', 'vxt0', '--address', '192.0.2.2/24', ...options);
  }

  it('without them, nothing arrives from a peer that sends zero checksums, and stats says why', async () => {
    await start();
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(0);
    expect(vtepStats(lab, tapHost, '--tap', 'vxt0').kernelDrops.udpChecksumErrors.udp6).toBeGreaterThan(0);
  });

  it('with both, talks to it, sending zero checksums itself', async () => {
    await start('--udp6zerocsumrx', '--udp6zerocsumtx');
    const cap = await capture(lab, kernelHost, 'ul0', '-vv', 'udp dst port 4789 and src host 2001:db8:a::2');
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
    const lines = (await cap.stop()).join('\n');
    expect(lines).toMatch(/bad udp cksum 0x0000/);
    expect(lines).not.toMatch(/udp sum ok/);
  });
});
