// examples/: every config file starts as it is shipped, on host B of the topology
// examples/README.md describes (hosts A, B and C on one underlay switch, each on eth0),
// against kernel VTEPs on A and C, and pings across. So an example cannot rot.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { EtcdStore } from '../../lab/etcd.js';
import { isRoot, ping } from './helpers.js';

const EXAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const example = (name: string): string => path.join(EXAMPLES, name);
const A = '198.51.100.1';
const B = '198.51.100.2';
const C = '198.51.100.3';
const ETCD = '198.51.100.10';
const NET_ADMIN_ONLY = ['setpriv', '--bounding-set=-all,+net_admin', '--inh-caps=-all,+net_admin', '--ambient-caps=-all,+net_admin', '--no-new-privs'];

interface Hosts {
  lab: Lab;
  sw: string;
  a: string;
  b: string;
  c: string;
}

/** The underlay of examples/README.md: a switch, and hosts A, B, C on it through eth0. */
function underlay(tag: string): Hosts {
  const lab = new Lab(tag);
  const sw = lab.namespace('sw');
  const [a, b, c] = ['a', 'b', 'c'].map((name) => lab.namespace(name)) as [string, string, string];
  lab.bridgeLinks(sw, [{ ns: a, address: `${A}/24` }, { ns: b, address: `${B}/24` }, { ns: c, address: `${C}/24` }], 'eth0');
  return { lab, sw, a, b, c };
}

/** Pings until one gets through (membership takes a moment to program), at most `tries` rounds. */
function pingSoon(lab: Lab, ns: string, address: string, tries = 10): number {
  for (let i = 0; i < tries; i++) {
    const got = ping(lab, ns, address, 1, '0.2');
    if (got > 0) return ping(lab, ns, address);
  }
  return 0;
}

describe.skipIf(!isRoot)('examples/', () => {
  let hosts: Hosts | undefined;
  let etcd: EtcdStore | undefined;
  let vtep: VtepProcess | undefined;

  afterEach(async () => {
    if (vtep !== undefined) expect(await vtep.stop()).toBe(0);
    vtep = undefined;
    await hosts?.lab.cleanup();
    await etcd?.cleanup();
    hosts = undefined;
    etcd = undefined;
  });

  it('has a test below for every config file', () => {
    expect(readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort()).toEqual(
      ['bridge-containers', 'etcd-membership', 'flood-list', 'hardened-service', 'multicast-group', 'point-to-point', 'several-vnis'].map((n) => `${n}.json`),
    );
  });

  it('point-to-point.json pings a kernel VTEP', async () => {
    hosts = underlay('expp');
    const { lab, a, b } = hosts;
    lab.kernelVxlan(a, { vni: 42, remote: B, local: A, dev: 'eth0', address: '192.0.2.1/24' });
    vtep = await lab.vtep(b, '--config', example('point-to-point.json'));
    expect(ping(lab, b, '192.0.2.1')).toBe(3);
    expect(ping(lab, a, '192.0.2.2')).toBe(3);
  });

  it('flood-list.json reaches two kernel VTEPs, each flooding to the other two', async () => {
    hosts = underlay('exfl');
    const { lab, a, b, c } = hosts;
    for (const [ns, local, address, others] of [[a, A, '192.0.2.1/24', [B, C]], [c, C, '192.0.2.3/24', [A, B]]] as const) {
      lab.kernelVxlan(ns, { vni: 42, local, dev: 'eth0', address });
      for (const dst of others) lab.exec(ns, 'bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', dst);
    }
    vtep = await lab.vtep(b, '--config', example('flood-list.json'));
    expect(ping(lab, b, '192.0.2.1')).toBe(3);
    expect(ping(lab, b, '192.0.2.3')).toBe(3);
    expect(ping(lab, a, '192.0.2.3')).toBe(3);
  });

  it('multicast-group.json floods to the group on eth0', async () => {
    hosts = underlay('exmc');
    const { lab, a, b, c } = hosts;
    lab.kernelVxlan(a, { vni: 42, group: '239.1.1.1', dev: 'eth0', local: A, address: '192.0.2.1/24' });
    lab.kernelVxlan(c, { vni: 42, group: '239.1.1.1', dev: 'eth0', local: C, address: '192.0.2.3/24' });
    vtep = await lab.vtep(b, '--config', example('multicast-group.json'));
    expect(ping(lab, b, '192.0.2.1')).toBe(3);
    expect(ping(lab, b, '192.0.2.3')).toBe(3);
  });

  it('several-vnis.json keeps VNI 100 and VNI 200 apart, one TAP each', async () => {
    hosts = underlay('exsv');
    const { lab, a, b } = hosts;
    lab.kernelVxlan(a, { name: 'vx100', vni: 100, remote: B, local: A, dev: 'eth0', address: '192.0.2.1/25' });
    lab.kernelVxlan(a, { name: 'vx200', vni: 200, remote: B, local: A, dev: 'eth0', address: '192.0.2.129/25' });
    vtep = await lab.vtep(b, '--config', example('several-vnis.json'));
    expect(ping(lab, b, '192.0.2.1')).toBe(3);
    expect(ping(lab, b, '192.0.2.129')).toBe(3);
  });

  it('bridge-containers.json joins containers behind br0 to the kernel VTEP', async () => {
    hosts = underlay('exbr');
    const { lab, a, b } = hosts;
    lab.kernelVxlan(a, { vni: 42, remote: B, local: A, dev: 'eth0', address: '192.0.2.1/24' });
    lab.ip(b, 'link', 'add', 'br0', 'type', 'bridge');
    lab.ip(b, 'link', 'set', 'br0', 'up');
    const containers = [lab.namespace('ct1'), lab.namespace('ct2')];
    containers.forEach((ct, i) => {
      const port = `veth${i}`;
      lab.ip(b, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ct);
      lab.ip(b, 'link', 'set', port, 'master', 'br0');
      lab.ip(b, 'link', 'set', port, 'up');
      lab.ip(ct, 'link', 'set', 'eth0', 'mtu', '1450');
      lab.ip(ct, 'addr', 'add', `192.0.2.${20 + i}/24`, 'dev', 'eth0');
      lab.ip(ct, 'link', 'set', 'eth0', 'up');
    });
    vtep = await lab.vtep(b, '--config', example('bridge-containers.json'));
    for (const ct of containers) expect(ping(lab, ct, '192.0.2.1')).toBe(3);
    expect(ping(lab, a, '192.0.2.21')).toBe(3);
  });

  it('etcd-membership.json meets a kernel VTEP programmed by vxlan-tap agent', async () => {
    hosts = underlay('exet');
    const { lab, sw, a, b } = hosts;
    lab.ip(sw, 'addr', 'add', `${ETCD}/24`, 'dev', 'br0');
    etcd = new EtcdStore(lab, sw, [ETCD]);
    await etcd.start();
    lab.kernelVxlan(a, { vni: 42, local: A, dev: 'eth0', address: '192.0.2.1/24', extra: ['nolearning', 'proxy'] });
    await lab.vtep(a, 'agent', '--kernel', 'vx0', '--etcd', etcd.urls);
    vtep = await lab.vtep(b, '--config', example('etcd-membership.json'));
    expect(pingSoon(lab, b, '192.0.2.1')).toBe(3);
    expect(ping(lab, a, '192.0.2.2')).toBe(3);
  });

  it('hardened-service.json runs with the service unit\'s one capability and accepts only its peer', async () => {
    hosts = underlay('exhs');
    const { lab, a, b } = hosts;
    lab.kernelVxlan(a, { vni: 42, remote: B, local: A, dev: 'eth0', address: '192.0.2.1/24' });
    vtep = await lab.vtepVia(b, NET_ADMIN_ONLY, '--config', example('hardened-service.json'));
    expect(ping(lab, b, '192.0.2.1')).toBe(3);
    const stats = spawnSync('ip', ['netns', 'exec', b, process.execPath, path.join(EXAMPLES, '../dist/src/cli/main.js'), 'stats', '--tap', 'vx0', '--json'], { encoding: 'utf8', timeout: 10_000 });
    expect(stats.status).toBe(0);
    expect(JSON.parse(stats.stdout).drops.unknownSource ?? 0).toBe(0);
  });
});
