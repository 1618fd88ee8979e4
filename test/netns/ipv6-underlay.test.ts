// An IPv6 underlay: vxlan-tap against a kernel vxlan whose remote and local are IPv6.
// The kernel rejects zero-checksum UDP over IPv6 by default, so this also proves that
// our outer UDP checksums are right.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { capture, isRoot, ping, tcpTransfer } from './helpers.js';

describe.skipIf(!isRoot)('IPv6 underlay with a kernel peer', () => {
  const lab = new Lab('v6');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(async () => {
    kernelHost = lab.namespace('k');
    tapHost = lab.namespace('t');
    lab.link(kernelHost, '2001:db8::1/64', tapHost, '2001:db8::2/64');
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '2001:db8::2', local: '2001:db8::1', dev: 'ul0', address: '192.0.2.1/24' });
    await lab.vtep(tapHost, '--vni', '42', '--peer', '2001:db8::1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--address', '2001:db8:42::2/64');
    lab.ip(kernelHost, 'addr', 'add', '2001:db8:42::1/64', 'dev', 'vx0');
  });
  afterAll(() => lab.cleanup());

  it('defaults the TAP MTU to 1430 (1500 - 70)', () => {
    expect(JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vxt0'))[0].mtu).toBe(1430);
  });

  it('pings both ways over the IPv6 underlay, IPv4 and IPv6 inside', () => {
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
    expect(ping(lab, tapHost, '2001:db8:42::1')).toBe(3);
  });

  it('carries a 4 MB TCP transfer intact', async () => {
    const { sent, received } = await tcpTransfer(lab, kernelHost, '192.0.2.1', tapHost, 4);
    expect(received).toBe(sent);
  });

  it('is learned by the kernel behind its IPv6 address', () => {
    const tapMac = JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vxt0'))[0].address as string;
    expect(lab.exec(kernelHost, 'bridge', 'fdb', 'show', 'dev', 'vx0')).toMatch(new RegExp(`${tapMac} dst 2001:db8::2`));
  });

  it('sends outer flow label 0, as the kernel does by default (not the host automatic one)', async () => {
    const seen = await capture(lab, kernelHost, 'ul0', '-v', 'ip6 and udp dst port 4789 and src host 2001:db8::2');
    expect(ping(lab, tapHost, '192.0.2.1', 3, '0.1')).toBe(3);
    const outer = (await seen.stop()).filter((l) => /^\S.*IP6 \(/.test(l));
    expect(outer.length).toBeGreaterThanOrEqual(3);
    // tcpdump -v names a flow label only when it is not 0.
    for (const line of outer) expect(line).not.toMatch(/flowlabel/);
  });
});

describe.skipIf(!isRoot)('outer IPv6 flow label, --flowlabel', () => {
  const lab = new Lab('v6fl');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(() => {
    kernelHost = lab.namespace('k');
    tapHost = lab.namespace('t');
    lab.link(kernelHost, '2001:db8::1/64', tapHost, '2001:db8::2/64');
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '2001:db8::2', local: '2001:db8::1', dev: 'ul0', address: '2001:db8:42::1/64' });
  });
  afterAll(() => lab.cleanup());

  /** Each captured outer header's flow label with that of the inner IPv6 header after it ('0' when tcpdump names none). */
  async function labels(send: () => void): Promise<{ outer: string; inner: string }[]> {
    const seen = await capture(lab, kernelHost, 'ul0', '-v', 'ip6 and udp dst port 4789 and src host 2001:db8::2');
    send();
    const lines = await seen.stop();
    const label = (line: string): string => /flowlabel (0x[0-9a-f]+),/.exec(line)?.[1] ?? '0';
    return lines.flatMap((line, i) => (/^\S.*IP6 \(.*VXLAN/.test(line) && /ICMP6, echo request/.test(lines[i + 1] ?? '') ? [{ outer: label(line), inner: label(lines[i + 1]!) }] : []));
  }

  // One MAC for both runs: the kernel host's neighbour cache outlives the first.
  const run = (flowlabel: string): Promise<VtepProcess> =>
    lab.vtep(tapHost, '--vni', '42', '--peer', '2001:db8::1', '--tap', 'vxt0', '--address', '2001:db8:42::2/64', '--mac', '02:00:00:00:00:02', '--flowlabel', flowlabel);

  it('--flowlabel 0x54321 sends that label', async () => {
    const vtep = await run('0x54321');
    try {
      const seen = await labels(() => expect(ping(lab, tapHost, '2001:db8:42::1', 3, '0.1')).toBe(3));
      expect(seen.length).toBeGreaterThanOrEqual(3);
      for (const { outer } of seen) expect(outer).toBe('0x54321');
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });

  it('--flowlabel inherit copies the inner IPv6 label (the host sets one of its own)', async () => {
    const vtep = await run('inherit');
    try {
      const seen = await labels(() => expect(ping(lab, tapHost, '2001:db8:42::1', 3, '0.1')).toBe(3));
      expect(seen.length).toBeGreaterThanOrEqual(3);
      for (const { outer, inner } of seen) {
        expect(inner).not.toBe('0');
        expect(outer).toBe(inner);
      }
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });
});
