// A restart that loses nothing: `vxlan-tap handover` (and SIGUSR2) start the successor,
// which takes the TAP, the UDP socket, the FDB and the counters over; the predecessor
// exits. A ping every 10 ms across the handover loses no reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isAlive, terminate } from '../../lab/process-watch.js';
import { isRoot, ping, pingAsync, runCli, vtepStats, waitFor } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const PINGS = 300;

describe.skipIf(!isRoot)('handover', () => {
  const lab = new Lab('hand');
  let kernelHost: string;
  let tapHost: string;
  const successors: number[] = [];

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(async () => {
    // Successors are not the lab's children: ended here, by pid.
    successors.forEach(terminate);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await lab.cleanup();
  });


  it.each(['command', 'SIGUSR2'])('hands over by %s under a 10 ms ping without losing a reply, keeping the FDB and counters', async (how) => {
    const vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02');
    expect(ping(lab, kernelHost, '192.0.2.2', 2, '0.1')).toBe(2);
    lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'add', '02:00:00:00:00:99', 'dst', '203.0.113.9', '--tap', 'vxt0');
    const before = vtepStats(lab, tapHost, '--tap', 'vxt0');

    const pings = pingAsync(lab, kernelHost, '192.0.2.2', PINGS, '0.01');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let successor: number;
    if (how === 'command') {
      successor = Number(/handed over to pid (\d+)/.exec(lab.exec(tapHost, process.execPath, MAIN, 'handover', '--tap', 'vxt0'))?.[1]);
    } else {
      vtep.child.kill('SIGUSR2');
      expect(await waitFor(() => /"successor":\d+,"msg":"handed over; stopping"/.test(vtep.stderr()), 20_000)).toBe(true);
      successor = Number(/"successor":(\d+),"msg":"handed over; stopping"/.exec(vtep.stderr())![1]);
    }
    successors.push(successor);
    try {
      expect(await waitFor(() => vtep.child.exitCode !== null, 10_000), vtep.stderr()).toBe(true);
      expect(vtep.child.exitCode).toBe(0);
      expect(isAlive(successor)).toBe(true);
      expect(await pings).toBe(PINGS);

      // The successor answers on the same control socket, with what the predecessor knew.
      expect(await waitFor(() => vtep.stderr().split('"msg":"ready"').length === 3, 10_000), vtep.stderr()).toBe(true);
      const fdb = lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxt0');
      expect(fdb).toMatch(/02:00:00:00:00:99 dev vxt0 dst 203\.0\.113\.9/);
      const after = vtepStats(lab, tapHost, '--tap', 'vxt0');
      expect(after.rxPackets).toBeGreaterThanOrEqual(before.rxPackets + PINGS);
    } finally {
      process.kill(successor, 'SIGTERM');
    }
    expect(await waitFor(() => !isAlive(successor), 5000)).toBe(true);
  });

  it('with --io dgram: refused in one line naming why, by command and by SIGUSR2, and the VTEP runs on', async () => {
    const vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt1', '--io', 'dgram', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02');
    try {
      const refused = runCli(tapHost, 'handover', '--tap', 'vxt1');
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toBe('vxlan-tap: error: handover failed: a handover needs --io native');
      vtep.child.kill('SIGUSR2');
      expect(await waitFor(() => vtep.stderr().split('"msg":"handover failed; running on"').length === 3, 5000), vtep.stderr()).toBe(true);
      expect(ping(lab, kernelHost, '192.0.2.2', 2, '0.1')).toBe(2);
    } finally {
      await vtep.stop();
    }
  });
});
