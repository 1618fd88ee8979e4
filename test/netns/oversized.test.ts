// Frames above our MTU, as the kernel's vxlan delivers them: a kernel peer left at MTU
// 1500 (or 9000) talking to our 1450. Its outer packets are fragmented on the 1500-byte
// underlay and reassembled; we read each datagram whole and hand the frame to the TAP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, ping, vtepStats } from './helpers.js';

describe.skipIf(!isRoot)('inner frames above the MTU', () => {
  const lab = new Lab('big');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.hostPair());
    // No `dev`: the kernel then lets the vxlan MTU exceed the underlay's.
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', address: '192.0.2.1/24' });
    await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it.each([
    [1500, 1472],
    [9000, 8000],
  ])('a kernel peer at MTU %i gets its %i-byte pings answered', (mtu, size) => {
    lab.ip(kernelHost, 'link', 'set', 'vx0', 'mtu', String(mtu));
    const before = vtepStats(lab, tapHost, '--tap', 'vxt0');
    expect(ping(lab, kernelHost, '192.0.2.2', 3, '0.2', String(size))).toBe(3);
    const after = vtepStats(lab, tapHost, '--tap', 'vxt0');
    expect(after.unclaimed.tooShort + after.unclaimed.truncated).toBe(0);
    expect(after.rxErrors - before.rxErrors).toBe(0);
  });
});
