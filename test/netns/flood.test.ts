// Three hosts on one underlay switch, each vxlan-tap listing the other two as peers:
// broadcasts are replicated to both, and once MACs are learned unicast goes only to
// its owner. Counted on the third host's underlay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { capture, isRoot, ping } from './helpers.js';

describe.skipIf(!isRoot)('head-end replication over a flood list', () => {
  const lab = new Lab('flood');
  const underlay = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
  const hosts: string[] = [];
  // Datagrams the VTEPs address to host 3 (the switch may show it others' traffic).
  const toHost3 = `udp dst port 4789 and dst host ${underlay[2]}`;

  beforeAll(async () => {
    const sw = lab.namespace('sw');
    for (const name of ['h1', 'h2', 'h3']) hosts.push(lab.namespace(name));
    lab.bridgeLinks(sw, hosts.map((ns, i) => ({ ns, address: `${underlay[i]}/24` })));
    for (const [i, ns] of hosts.entries()) {
      const peers = underlay.filter((_, j) => j !== i).flatMap((p) => ['--peer', p]);
      await lab.vtep(ns, '--vni', '42', ...peers, '--tap', 'vxt0', '--address', `192.0.2.${i + 1}/24`);
    }
  });
  afterAll(() => lab.cleanup());

  it('floods the first ARP request to both other hosts', async () => {
    const seenByHost3 = await capture(lab, hosts[2]!, 'ul0', toHost3);
    const arpAtHost3 = await capture(lab, hosts[2]!, 'vxt0', 'arp');
    expect(ping(lab, hosts[0]!, '192.0.2.2', 1)).toBe(1);
    // tcpdump decodes VXLAN: the inner packet is on the line after the outer one.
    expect((await seenByHost3.stop()).some((line) => /Request who-has 192\.0\.2\.2/.test(line))).toBe(true);
    expect((await arpAtHost3.stop()).some((line) => /Request who-has 192\.0\.2\.2/.test(line))).toBe(true);
  });

  it('sends learned unicast only to its owner', async () => {
    const seenByHost3 = await capture(lab, hosts[2]!, 'ul0', toHost3);
    const seenByHost2 = await capture(lab, hosts[1]!, 'ul0', `udp dst port 4789 and dst host ${underlay[1]}`);
    expect(ping(lab, hosts[0]!, '192.0.2.2', 10, '0.05')).toBe(10);
    // Only the pings count: the TAPs' own IPv6 chatter (MLD, DAD) is rightly flooded.
    const echoes = (lines: string[]): number => lines.filter((l) => /192\.0\.2\.1 > 192\.0\.2\.2: ICMP echo request/.test(l)).length;
    expect(echoes(await seenByHost3.stop())).toBe(0);
    expect(echoes(await seenByHost2.stop())).toBe(10);
  });
});
