// An attacker on the underlay floods 100,000 source MACs at a VTEP with --max-address,
// while a `monitor` client stops reading: the FDB stops at its limit and counts what it
// refused, the slow client is cut off with its loss counted, and memory stays bounded.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { rssKb } from '../../lab/process-watch.js';
import { isRoot, ping, sendVxlan, udpReceiveBufferErrors, vtepStats, waitFor } from './helpers.js';

const MACS = 100_000;
const MAX_ADDRESS = 20_000;
const RSS_LIMIT_KB = 300 * 1024;

describe.skipIf(!isRoot)('a MAC flood and a stalled monitor client', () => {
  const lab = new Lab('mflood');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  const control = path.join(os.tmpdir(), `vxt-mflood-${process.pid}.sock`);

  beforeAll(async () => {
    // The kernel's vxlan comes after the flood: its own chatter would add to the counts.
    ({ kernelHost, tapHost } = lab.hostPair());
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--max-address', String(MAX_ADDRESS), '--control', control, '--log-level', 'debug');
  });
  afterAll(() => lab.cleanup());

  it('learns up to --max-address, counts every refused source, cuts off the slow monitor', async () => {
    const stalled = net.connect(control);
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write('{"cmd":"monitor"}\n');
    stalled.pause();
    let received = '';
    stalled.on('data', (chunk: Buffer) => void (received += chunk.toString()));
    const closed = new Promise((resolve) => stalled.once('close', resolve));

    const dropsBefore = udpReceiveBufferErrors(lab, tapHost);
    await sendVxlan(lab, kernelHost, '198.51.100.2', 'macs', MACS, 42);
    const arrived = (): number => vtepStats(lab, tapHost, '--control', control).rxDatagrams + udpReceiveBufferErrors(lab, tapHost) - dropsBefore;
    expect(await waitFor(() => arrived() === MACS, 10_000), JSON.stringify(vtepStats(lab, tapHost, '--control', control))).toBe(true);

    const stats = vtepStats(lab, tapHost, '--control', control);
    // The flood list's default entry counts towards the limit.
    expect(stats.fdbEntries).toBe(MAX_ADDRESS);
    expect(stats.learnFull).toBe(stats.rxDatagrams - (MAX_ADDRESS - 1));
    expect(stats.rxPackets).toBe(stats.rxDatagrams);
    expect(stats.monitor.cutOff).toBe(1);
    expect(stats.monitor.lost).toBeGreaterThan(0);
    expect(rssKb(vtep.child.pid!)).toBeLessThan(RSS_LIMIT_KB);

    stalled.resume();
    await closed;
    // What the client read ends with the cut-off message, unless its grace time ran out.
    const last = received.trim().split('\n').at(-1) ?? '';
    if (last.includes('"ok":false')) expect(last).toMatch(/monitor cut off: \d+ events were not read in time/);

    // Learning log lines were limited: a few per second, not one per MAC.
    const learnLines = vtep.stderr().split('\n').filter((l) => l.includes('"msg":"learn"')).length;
    expect(learnLines).toBeLessThan(200);
    expect(vtep.stderr()).toMatch(/"msg":"learn: \d+ similar lines suppressed"/);
    // Still forwarding.
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24' });
    expect(ping(lab, kernelHost, '192.0.2.2', 3, '0.1')).toBe(3);
  });
});
