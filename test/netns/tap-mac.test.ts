// The TAP keeps its MAC across restarts (derived from /etc/machine-id and its name), so a
// kernel peer's neighbour entry for it stays right: pings from the peer get through
// straight after a restart. --mac random gives the old behaviour, --mac MAC a fixed one.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { formatMac, persistentMac } from '../../src/wire/mac.js';
import { isRoot, ping } from './helpers.js';

describe.skipIf(!isRoot)('the TAP MAC across restarts', () => {
  const lab = new Lab('mac');
  let kernelHost: string;
  let tapHost: string;

  const tapMac = (): string => JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vxm0'))[0].address;
  const start = (...extra: string[]) => lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxm0', '--address', '192.0.2.2/24', ...extra);
  /** The kernel peer's neighbour entry for the vxlan-tap host. */
  const kernelNeighbour = (): string | undefined => JSON.parse(lab.ip(kernelHost, '-j', 'neigh', 'show', '192.0.2.2', 'dev', 'vx0'))[0]?.lladdr;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(() => lab.cleanup());

  it('gives the TAP the same MAC at every start, the one derived from the machine, the namespace and the TAP name', async () => {
    const machineId = readFileSync('/etc/machine-id', 'utf8').trim();
    const first = await start();
    const firstMac = tapMac();
    expect(firstMac).toBe(formatMac(persistentMac(machineId, 'vxm0', tapHost)));
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
    expect(kernelNeighbour()).toBe(firstMac);
    expect(await first.stop()).toBe(0);

    const second = await start();
    expect(tapMac()).toBe(firstMac);
    // The peer's entry, learned before the restart, still names the TAP: no ping is lost.
    expect(kernelNeighbour()).toBe(firstMac);
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
    expect(await second.stop()).toBe(0);
  });

  it('takes --mac random (a new MAC each start) and --mac MAC', async () => {
    const macs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const vtep = await start('--mac', 'random');
      macs.push(tapMac());
      expect(await vtep.stop()).toBe(0);
    }
    expect(macs[0]).not.toBe(macs[1]);
    const fixed = await start('--mac', '02:00:00:00:4d:01');
    expect(tapMac()).toBe('02:00:00:00:4d:01');
    expect(await fixed.stop()).toBe(0);
  });
});
