// Path MTU through a router: the VTEPs' underlays are two links joined by a router
// namespace whose way out to the far VTEP has MTU 1400, so a full-sized inner packet (1450 bytes over
// IPv4, 1430 over IPv6) no longer fits once encapsulated. With --df set or inherit (and
// always over IPv6, whose routers never fragment), the sending VTEP learns the remote's
// path MTU from the underlay and answers what no longer fits with ICMP "fragmentation
// needed" / ICMPv6 "packet too big" written into its TAP, so the inner TCP lowers its
// segment size and the copy completes. A kernel vxlan in vxlan-tap's place does the same
// (skb_tunnel_check_pmtu): the test shows it first, on the same setup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, ping, tcpTransfer, vtepStats } from './helpers.js';

/** Fails after `ms` instead of the transfer's own minute: a black hole shows fast. */
async function transfer(lab: Lab, toNs: string, toAddress: string, fromNs: string, ms = 25_000): Promise<{ sent: string; received: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the copy to ${toAddress} did not complete in ${ms} ms`)), ms)));
  try {
    return await Promise.race([tcpTransfer(lab, toNs, toAddress, fromNs, 2), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Addresses {
  /** The sender's underlay address (its prefix), the router's on that link, and the same for the far link. */
  near: string;
  nearRouter: string;
  far: string;
  farRouter: string;
  prefix: number;
}

const V4: Addresses = { near: '198.51.100.2', nearRouter: '198.51.100.254', far: '203.0.113.1', farRouter: '203.0.113.254', prefix: 24 };
const V6: Addresses = { near: '2001:db8:a::2', nearRouter: '2001:db8:a::fe', far: '2001:db8:b::1', farRouter: '2001:db8:b::fe', prefix: 64 };

describe.skipIf(!isRoot).each([
  [4, 'set', 'kernel'],
  [4, 'set', 'vxlan-tap'],
  [4, 'inherit', 'kernel'],
  [4, 'inherit', 'vxlan-tap'],
  [6, 'set', 'kernel'],
  [6, 'set', 'vxlan-tap'],
  [6, 'inherit', 'kernel'],
  [6, 'inherit', 'vxlan-tap'],
] as const)('path MTU 1400 over IPv%i, df %s: %s sending to a kernel vxlan', (family, df, sender) => {
  const lab = new Lab(`pmtu${family}${df[0]}${sender[0]}`);
  const a = family === 4 ? V4 : V6;
  let near: string;
  let far: string;

  beforeAll(async () => {
    near = lab.namespace('n');
    const router = lab.namespace('r');
    far = lab.namespace('f');
    lab.link(near, `${a.near}/${a.prefix}`, router, `${a.nearRouter}/${a.prefix}`, { dev: 'ul0' });
    lab.link(router, `${a.farRouter}/${a.prefix}`, far, `${a.far}/${a.prefix}`, { dev: 'ul1' });
    // Only the router's way out is narrow: both VTEPs see 1500 on their own links, so
    // each offers a full-sized TCP segment and only the path can say it does not fit.
    lab.ip(router, 'link', 'set', 'ul1', 'mtu', '1400');
    lab.exec(router, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward; echo 1 > /proc/sys/net/ipv6/conf/all/forwarding');
    lab.ip(near, 'route', 'add', 'default', 'via', a.nearRouter);
    lab.ip(far, 'route', 'add', 'default', 'via', a.farRouter);
    // The receiving end: a kernel vxlan at its own link's MTU less 50 or 70.
    const dfWords = family === 4 ? ['df', df] : [];
    lab.kernelVxlan(far, { vni: 42, remote: a.near, local: a.far, dev: 'ul1', address: '192.0.2.1/24', extra: dfWords });
    lab.ip(far, 'addr', 'add', '2001:db8:42::1/64', 'dev', 'vx0');
    if (sender === 'kernel') {
      // Its MTU as vxlan-tap's default: 1450 over IPv4, 1430 over IPv6.
      lab.kernelVxlan(near, { vni: 42, remote: a.far, local: a.near, dev: 'ul0', address: '192.0.2.2/24', extra: dfWords });
      lab.ip(near, 'addr', 'add', '2001:db8:42::2/64', 'dev', 'vx0');
    } else {
      await lab.vtep(near, '--vni', '42', '--peer', a.far, '--local', a.near, '--tap', 'vxt0', '--df', df, '--address', '192.0.2.2/24', '--address', '2001:db8:42::2/64');
    }
    expect(ping(lab, near, '192.0.2.1')).toBe(3);
    expect(ping(lab, near, '2001:db8:42::1')).toBe(3);
  });
  afterAll(() => lab.cleanup());

  it('completes a TCP copy, IPv4 inside', async () => {
    const { sent, received } = await transfer(lab, far, '192.0.2.1', near);
    expect(sent.startsWith(`${2 * 1024 * 1024} `)).toBe(true);
    expect(received).toBe(sent);
  }, 40_000);

  it('completes a TCP copy, IPv6 inside', async () => {
    const { sent, received } = await transfer(lab, far, '2001:db8:42::1', near);
    expect(sent.startsWith(`${2 * 1024 * 1024} `)).toBe(true);
    expect(received).toBe(sent);
  }, 40_000);

  it('leaves the inner stack with the inner path MTU, the outer path MTU less the encapsulation', () => {
    const inner = String(1400 - (family === 4 ? 50 : 70));
    for (const [version, address] of [['-4', '192.0.2.1'], ['-6', '2001:db8:42::1']] as const) {
      expect(lab.ip(near, version, 'route', 'get', address)).toMatch(new RegExp(`mtu ${inner}\\b`));
    }
  });

  it.skipIf(sender === 'kernel')('learned the remote path MTU and answered the inner senders', () => {
    const stats = vtepStats(lab, near, '--tap', 'vxt0');
    expect(stats.pathMtuAnswered).toBeGreaterThan(0);
  });
});
