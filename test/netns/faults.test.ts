// Faults from outside the process: the TAP deleted, the underlay going down and up, the
// peer restarting, SIGTERM while traffic flows. None goes silent: a lost TAP ends the
// process (exit 1, one error line, everything released); the others heal.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, ping, pingAsync, vtepStats, waitFor } from './helpers.js';

// A fixed MAC: the kernel host's neighbour cache outlives each restart.
const RUN = ['--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02'];

describe.skipIf(!isRoot)('faults', () => {
  const lab = new Lab('fault');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(() => lab.cleanup());

  it.each(['on', 'off'])('a TAP deleted from outside (offload %s): one error line, exit 1, socket and control socket released', async (offload) => {
    const vtep = await lab.vtep(tapHost, ...RUN, '--offload', offload);
    const control = /"control":"([^"]+)"/.exec(vtep.stderr())![1]!;
    expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
    lab.ip(tapHost, 'link', 'del', 'vxt0');
    expect(await waitFor(() => vtep.child.exitCode !== null, 5000)).toBe(true);
    expect(await vtep.stop()).toBe(1);
    const errors = vtep.stderr().split('\n').filter((l) => l.includes('"level":50'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/"reason":"TAP device vxt0 failed \(E\w+\)"/);
    expect(existsSync(control)).toBe(false);
    // Port, name and control socket are free: the same command starts again.
    const again = await lab.vtep(tapHost, ...RUN, '--offload', offload);
    expect(ping(lab, kernelHost, '192.0.2.2', 2, '0.1')).toBe(2);
    expect(await again.stop()).toBe(0);
  });

  it('the underlay going down and up: sends refused are counted and logged a few times, then traffic flows again', async () => {
    const vtep = await lab.vtep(tapHost, ...RUN);
    try {
      expect(ping(lab, tapHost, '192.0.2.1', 1)).toBe(1);
      lab.ip(tapHost, 'link', 'set', 'ul0', 'down');
      // Pings into a dead underlay: each one a refused send (no route).
      expect(await pingAsync(lab, tapHost, '192.0.2.1', 50, '0.01')).toBe(0);
      lab.ip(tapHost, 'link', 'set', 'ul0', 'up');
      expect(await waitFor(() => ping(lab, tapHost, '192.0.2.1', 1) === 1, 10_000)).toBe(true);
      const stats = vtepStats(lab, tapHost, '--tap', 'vxt0');
      expect(stats.sendErrors).toBeGreaterThan(0);
      const warnings = vtep.stderr().split('\n').filter((l) => l.includes('the underlay refused datagrams'));
      expect(warnings.length).toBeGreaterThan(0);
      expect(warnings.length).toBeLessThan(20);
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });

  it('the peer restarting: traffic flows again once it is back', async () => {
    const vtep = await lab.vtep(tapHost, ...RUN);
    try {
      expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
      lab.ip(kernelHost, 'link', 'del', 'vx0');
      expect(ping(lab, tapHost, '192.0.2.1', 2, '0.1')).toBe(0);
      lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24' });
      expect(await waitFor(() => ping(lab, kernelHost, '192.0.2.2', 1) === 1, 10_000)).toBe(true);
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });

  it('SIGTERM under a ping flood: exit 0, the TAP and the control socket gone', async () => {
    const vtep = await lab.vtep(tapHost, ...RUN);
    const control = /"control":"([^"]+)"/.exec(vtep.stderr())![1]!;
    const flood = lab.spawn(kernelHost, 'ping', '-f', '-c', '20000', '-w', '20', '192.0.2.2');
    const flooded = new Promise((resolve) => flood.once('exit', resolve));
    expect(await waitFor(() => vtepStats(lab, tapHost, '--tap', 'vxt0').rxPackets > 1000, 10_000)).toBe(true);
    expect(await vtep.stop()).toBe(0);
    expect(lab.ip(tapHost, '-j', 'link', 'show')).not.toContain('"vxt0"');
    expect(existsSync(control)).toBe(false);
    flood.kill('SIGINT');
    await flooded;
  });
});
