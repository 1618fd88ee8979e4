// vxlan-tap against the Linux kernel's own vxlan driver: the proof of wire compatibility.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { isRoot, ping, tcpTransfer, waitFor } from './helpers.js';

describe.skipIf(!isRoot).each([
  ['native', 'on'],
  ['dgram', 'on'],
  ['native', 'off'],
])('vxlan-tap (--io %s --offload %s) <-> kernel vxlan', (io, offload) => {
  const lab = new Lab(`kern-${io}-${offload}`);
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    vtep = await lab.vtep(tapHost, '--io', io!, '--offload', offload!, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it('pings from the kernel side to vxlan-tap', () => {
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
  });

  it('pings from vxlan-tap to the kernel side', () => {
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
  });

  it('carries an 8 MB TCP transfer intact both ways', async () => {
    const toKernel = await tcpTransfer(lab, kernelHost, '192.0.2.1', tapHost, 8);
    expect(toKernel.received).toBe(toKernel.sent);
    expect(toKernel.sent.startsWith(`${8 * 1024 * 1024} `)).toBe(true);
    const toTap = await tcpTransfer(lab, tapHost, '192.0.2.2', kernelHost, 8);
    expect(toTap.received).toBe(toTap.sent);
  });

  it('is learned by the kernel: its MAC sits behind our underlay address', () => {
    const fdb = lab.exec(kernelHost, 'bridge', 'fdb', 'show', 'dev', 'vx0');
    const tapMac = JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vxt0'))[0].address as string;
    expect(fdb).toMatch(new RegExp(`${tapMac} dst 198.51.100.2`));
  });

  it('shrugs off SIGHUP when there is no config file to re-read', async () => {
    vtep.child.kill('SIGHUP');
    expect(await waitFor(() => /SIGHUP: no --config to re-read/.test(vtep.stderr()))).toBe(true);
    expect(vtep.child.exitCode).toBeNull();
    expect(ping(lab, tapHost, '192.0.2.1', 1)).toBe(1);
  });

  it('stops cleanly on SIGTERM and removes the TAP', async () => {
    expect(await vtep.stop()).toBe(0);
    expect(() => lab.ip(tapHost, 'link', 'show', 'vxt0')).toThrow();
  });
});
