// The outer IP/UDP header on the wire (native I/O), read by tcpdump at a kernel VTEP:
// --ttl, --tos (with ECN copied from the inner packet), --df, --srcport with the source
// port taken from the inner flow (the max exclusive, as the kernel's), and a valid outer
// UDP checksum, or none with --no-udpcsum.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { capture, isRoot, ping } from './helpers.js';

interface OuterHeader {
  tos: number;
  ttl: number;
  df: boolean;
  srcPort: number;
  checksumOk: boolean;
  /** Sent without UDP checksum (0). */
  noChecksum: boolean;
  /** tcpdump's decode of the inner packet. */
  inner: string;
}

// tcpdump -vv prints each packet as a block that starts with a timestamp:
//   02:40:43.251673 IP (tos 0x20, ttl 17, id 1, offset 0, flags [DF], proto UDP (17), length 134)
//       198.51.100.2.40012 > 198.51.100.1.4789: [udp sum ok] VXLAN, flags [I] (0x08), vni 42
//   IP (tos 0x0, ttl 64, ...) 192.0.2.2 > 192.0.2.1: ICMP echo request, ...
function parseOuter(lines: string[]): OuterHeader[] {
  const blocks: string[][] = [];
  for (const line of lines) {
    if (/^\d\d:\d\d:\d\d\.\d+ /.test(line)) blocks.push([line]);
    else blocks.at(-1)?.push(line);
  }
  return blocks.flatMap(([outer = '', udpLine = '', ...inner]) => {
    const ip = /IP \(tos (0x[0-9a-f]+)(?:,ECT\(\d\)|,CE)?, ttl (\d+), .*flags \[([^\]]*)\], proto UDP/.exec(outer);
    const udp = /198\.51\.100\.2\.(\d+) > 198\.51\.100\.1\.4789: \[(udp sum ok|no cksum|bad udp cksum[^\]]*)\]/.exec(udpLine);
    if (!ip || !udp) return [];
    return [{ tos: parseInt(ip[1]!, 16), ttl: Number(ip[2]), df: ip[3] === 'DF', srcPort: Number(udp[1]), checksumOk: udp[2] === 'udp sum ok', noChecksum: udp[2] === 'no cksum', inner: inner.join('\n') }];
  });
}

/** Only the datagrams that carry our pings: the TAP's own IPv6 chatter is flooded too. */
const echoRequests = (headers: OuterHeader[]): OuterHeader[] => headers.filter((h) => /ICMP echo request/.test(h.inner));

describe.skipIf(!isRoot)('outer header fields on the wire', () => {
  const lab = new Lab('outer');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess | undefined;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(() => lab.cleanup());

  async function startVtep(...outerOptions: string[]): Promise<void> {
    await vtep?.stop();
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', ...outerOptions);
  }

  /** Captures what leaves vxlan-tap while `send` runs. */
  async function outgoing(send: () => void): Promise<OuterHeader[]> {
    const cap = await capture(lab, kernelHost, 'ul0', '-vv', 'udp dst port 4789 and src host 198.51.100.2');
    send();
    return parseOuter(await cap.stop());
  }

  it('sets fixed TTL, TOS and DF, with ports from the range and valid checksums', async () => {
    await startVtep('--ttl', '17', '--tos', '0x20', '--df', 'set', '--srcport', '40000-40100');
    const headers = await outgoing(() => expect(ping(lab, tapHost, '192.0.2.1', 3)).toBe(3));
    expect(echoRequests(headers)).toHaveLength(3);
    for (const h of headers) {
      expect(h).toMatchObject({ tos: 0x20, ttl: 17, df: true, checksumOk: true });
      expect(h.srcPort).toBeGreaterThanOrEqual(40000);
      expect(h.srcPort).toBeLessThanOrEqual(40100);
    }
  });

  it('keeps one source port per inner flow and spreads flows over the range', async () => {
    await startVtep('--srcport', '40000-40999');
    const pings = echoRequests(await outgoing(() => expect(ping(lab, tapHost, '192.0.2.1', 4)).toBe(4)));
    expect(pings).toHaveLength(4);
    expect(new Set(pings.map((h) => h.srcPort)).size).toBe(1);
    const sendFlows = `const s=require('dgram').createSocket('udp4');let n=0;` +
      `const go=()=>{if(n===16)return s.close();const c=require('dgram').createSocket('udp4');` +
      `c.bind(20000+n,()=>c.send('x',9,'192.0.2.1',()=>{c.close();n++;go();}));};go();`;
    const flows = (await outgoing(() => lab.exec(tapHost, process.execPath, '-e', sendFlows))).filter((h) => /192\.0\.2\.1\.9: /.test(h.inner));
    expect(flows).toHaveLength(16);
    const ports = new Set(flows.map((h) => h.srcPort));
    expect(ports.size).toBeGreaterThanOrEqual(8);
    for (const port of ports) expect(port >= 40000 && port <= 40999).toBe(true);
  });

  it('--srcport 40000-40004 spreads flows over 40000 to 40003, never 40004, as the kernel', async () => {
    await startVtep('--srcport', '40000-40004');
    const sendFlows = `let n=0;const go=()=>{if(n===200)return;const c=require('dgram').createSocket('udp4');` +
      `c.bind(20000+n,()=>c.send('x',9,'192.0.2.1',()=>{c.close();n++;go();}));};go();`;
    const flows = (await outgoing(() => lab.exec(tapHost, process.execPath, '-e', sendFlows))).filter((h) => /192\.0\.2\.1\.9: /.test(h.inner));
    expect(flows.length).toBeGreaterThan(50);
    expect([...new Set(flows.map((h) => h.srcPort))].sort()).toEqual([40000, 40001, 40002, 40003]);
  });

  it('--no-udpcsum sends no outer checksum (0), which the kernel takes', async () => {
    await startVtep('--no-udpcsum');
    const headers = echoRequests(await outgoing(() => expect(ping(lab, tapHost, '192.0.2.1', 3)).toBe(3)));
    expect(headers).toHaveLength(3);
    for (const h of headers) expect(h).toMatchObject({ noChecksum: true, checksumOk: false });
  });

  it('inherits TTL, DS field and DF from the inner packet; ECN follows RFC 6040', async () => {
    await startVtep('--ttl', 'inherit', '--tos', 'inherit', '--df', 'inherit');
    const run = (...args: string[]) => () => void lab.exec(tapHost, 'ping', '-c', '1', '-W', '2', ...args, '192.0.2.1');
    const ect0 = echoRequests(await outgoing(run('-t', '33', '-Q', '0x2a', '-M', 'do')));
    expect(ect0).toHaveLength(1);
    expect(ect0[0]).toMatchObject({ ttl: 33, tos: 0x2a, df: true, checksumOk: true });
    const ce = echoRequests(await outgoing(run('-t', '34', '-Q', '0x2b', '-M', 'dont')));
    // Inner CE leaves as ECT(0); no DF inside, none outside.
    expect(ce).toHaveLength(1);
    expect(ce[0]).toMatchObject({ ttl: 34, tos: 0x2a, df: false });
  });

  it('defaults to TTL 64, TOS 0 and no DF, as the kernel', async () => {
    await startVtep();
    const headers = echoRequests(await outgoing(() => expect(ping(lab, tapHost, '192.0.2.1', 2)).toBe(2)));
    expect(headers).toHaveLength(2);
    for (const h of headers) expect(h).toMatchObject({ ttl: 64, tos: 0, df: false, checksumOk: true });
  });
});
