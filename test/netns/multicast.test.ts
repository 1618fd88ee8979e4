// Multicast flooding: three hosts on one underlay switch, kernel VTEPs with
// `group 239.1.1.1 dev ul0` mixed with vxlan-tap --group 239.1.1.1 --dev ul0. Also with
// --accept-from peers, where the senders to the group are the VTEPs to accept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { capture, isRoot, ping } from './helpers.js';

describe.skipIf(!isRoot).each(['any', 'peers'])('multicast group flooding, kernel and vxlan-tap mixed, --accept-from %s', (acceptFrom) => {
  const lab = new Lab('mcast');
  const underlay = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
  const overlay = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
  const kinds = ['vxlan-tap', 'kernel', 'vxlan-tap'] as const;
  const hosts: string[] = [];

  beforeAll(async () => {
    const sw = lab.namespace('sw');
    for (const i of [0, 1, 2]) hosts.push(lab.namespace(`h${i + 1}`));
    lab.bridgeLinks(sw, hosts.map((ns, i) => ({ ns, address: `${underlay[i]}/24` })));
    for (const [i, ns] of hosts.entries()) {
      if (kinds[i] === 'kernel') {
        lab.kernelVxlan(ns, { vni: 42, group: '239.1.1.1', dev: 'ul0', local: underlay[i], address: `${overlay[i]}/24` });
      } else {
        // Host 3 also names its --local address: group traffic must still arrive.
        const local = i === 2 ? ['--local', underlay[i]!] : [];
        await lab.vtep(ns, '--vni', '42', '--group', '239.1.1.1', '--dev', 'ul0', ...local, '--tap', 'vxt0', '--address', `${overlay[i]}/24`, '--accept-from', acceptFrom);
      }
    }
  });
  afterAll(() => lab.cleanup());

  it.each([
    [0, 1],
    [1, 2],
    [2, 0],
  ])('host %i pings host %i across the group', (from, to) => {
    expect(ping(lab, hosts[from]!, overlay[to]!, 3)).toBe(3);
  });

  it('sends the first ARP to the group with TTL 1', async () => {
    lab.exec(hosts[0]!, 'ip', 'neigh', 'flush', 'dev', 'vxt0');
    const group = await capture(lab, hosts[2]!, 'ul0', '-v', 'udp dst port 4789 and dst host 239.1.1.1 and src host 198.51.100.1');
    expect(ping(lab, hosts[0]!, overlay[1]!, 1)).toBe(1);
    const lines = await group.stop();
    expect(lines.some((line) => /ttl 1,/.test(line))).toBe(true);
    expect(lines.some((line) => /Request who-has 192\.0\.2\.2/.test(line))).toBe(true);
  });

  it('sends learned unicast only to its owner, not to the third host', async () => {
    const toHost3 = await capture(lab, hosts[2]!, 'ul0', `udp dst port 4789 and dst host ${underlay[2]}`);
    expect(ping(lab, hosts[0]!, overlay[1]!, 10, '0.05')).toBe(10);
    const echoes = (await toHost3.stop()).filter((l) => /ICMP echo request/.test(l));
    expect(echoes).toEqual([]);
  });

  it('rejects a group address that is not multicast', async () => {
    await expect(lab.vtep(hosts[0]!, '--vni', '43', '--group', '198.51.100.9', '--port', '4790')).rejects.toThrow(/exited with 2.*--group must be a multicast address/);
  });
});
