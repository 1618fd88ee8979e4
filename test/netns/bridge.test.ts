// Containers behind a bridge on each of two hosts, the VTEP a port of that bridge:
// a kernel vxlan on one host, vxlan-tap --bridge on the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, ping } from './helpers.js';

describe.skipIf(!isRoot)('containers on bridges joined by VXLAN', () => {
  const lab = new Lab('brdg');
  const containers: Record<string, string> = {};

  /** A "container": a namespace whose eth0 is a veth into br0 of `host`. */
  function container(host: string, name: string, address: string): void {
    const ns = lab.namespace(name);
    lab.ip(host, 'link', 'add', `v-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    lab.ip(host, 'link', 'set', `v-${name}`, 'master', 'br0');
    lab.ip(host, 'link', 'set', `v-${name}`, 'up');
    lab.ip(ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    lab.ip(ns, 'link', 'set', 'eth0', 'up');
    containers[name] = ns;
  }

  beforeAll(async () => {
    const kernelHost = lab.namespace('hk');
    const tapHost = lab.namespace('ht');
    lab.link(kernelHost, '198.51.100.1/24', tapHost, '198.51.100.2/24');
    for (const host of [kernelHost, tapHost]) {
      lab.ip(host, 'link', 'add', 'br0', 'type', 'bridge');
      lab.ip(host, 'link', 'set', 'br0', 'up');
    }
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0' });
    lab.ip(kernelHost, 'link', 'set', 'vx0', 'master', 'br0');
    await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--bridge', 'br0');
    container(kernelHost, 'k1', '192.0.2.11');
    container(kernelHost, 'k2', '192.0.2.12');
    container(tapHost, 't1', '192.0.2.21');
    container(tapHost, 't2', '192.0.2.22');
  });
  afterAll(() => lab.cleanup());

  it('makes the TAP a port of the bridge', () => {
    expect(JSON.parse(lab.ip(lab.namespaces.find((n) => n.endsWith('-ht'))!, '-j', 'link', 'show', 'vxt0'))[0].master).toBe('br0');
  });

  it.each([
    ['k1', '192.0.2.21'],
    ['k2', '192.0.2.22'],
    ['t1', '192.0.2.12'],
    ['t2', '192.0.2.11'],
  ])('container %s reaches %s on the other host', (from, to) => {
    expect(ping(lab, containers[from]!, to)).toBe(3);
  });

  it('fails with one line and exit 1 when the bridge does not exist', async () => {
    const host = lab.namespaces.find((n) => n.endsWith('-ht'))!;
    await expect(lab.vtep(host, '--vni', '43', '--tap', 'vxt1', '--bridge', 'nobr0', '--port', '4790')).rejects.toThrow(/exited with 1.*bridge nobr0 does not exist/);
  });
});
