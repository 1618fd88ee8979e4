// The control socket as an attack surface, against the real process: a client that writes
// garbage and never reads is cut off with a final line while memory stays flat and pings
// keep flowing; clients beyond the limit are refused politely; an overlong request line is
// answered and closed; a stalled `monitor` learns it was cut off and exits 1.
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { CONTROL_LIMITS } from '../../src/control/server.js';
import { rssKb } from '../../lab/process-watch.js';
import { isRoot, pingAsync, sendVxlan, vtepStats, waitFor } from './helpers.js';
import { connectPeer as connect, type Peer } from '../unit/control-peer.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const MAX_CLIENTS = CONTROL_LIMITS.maxClients;

describe.skipIf(!isRoot)('a bounded control socket', () => {
  const lab = new Lab('cbound');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  const control = path.join(os.tmpdir(), `vxt-cbound-${process.pid}.sock`);

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--control', control);
  });
  afterAll(() => lab.cleanup());

  it('cuts off a client that writes 2 MB of garbage lines and never reads; memory stays flat, pings flow', async () => {
    expect(await pingAsync(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
    const before = rssKb(vtep.child.pid!);
    const peer = await connect(control);
    peer.socket.pause();
    const pings = pingAsync(lab, kernelHost, '192.0.2.2', 20, '0.05');
    peer.socket.write('x\n'.repeat(1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const grown = rssKb(vtep.child.pid!) - before;
    expect(await pings).toBe(20);
    expect(grown).toBeLessThan(60 * 1024);
    peer.socket.resume();
    await peer.closed;
    expect(peer.lines().at(-1)).toMatch(/^\{"ok":false,"error":"cut off: \d+ bytes of answers were not read in time"\}$/);
    const stats = vtepStats(lab, tapHost, '--control', control);
    expect(stats.rxPackets).toBeGreaterThan(0);
    expect(stats.controlClients).toEqual({ cutOff: 1, refused: 0, idle: 0 });
  });

  it(`refuses clients beyond ${MAX_CLIENTS} with a line saying so, and answers again once they leave`, async () => {
    const peers: Peer[] = [];
    for (let i = 0; i < MAX_CLIENTS + 20; i++) peers.push(await connect(control));
    const refused = peers.slice(MAX_CLIENTS);
    await Promise.all(refused.map((p) => p.closed));
    for (const p of refused) expect(p.lines()).toEqual([`{"ok":false,"error":"too many control clients (${MAX_CLIENTS}): try again later"}`]);
    for (const p of peers.slice(0, MAX_CLIENTS)) expect(p.socket.destroyed).toBe(false);
    const busy = (() => {
      try {
        lab.exec(tapHost, process.execPath, MAIN, 'stats', '--control', control);
        return '';
      } catch (err) {
        return String((err as { stderr: string }).stderr).trim();
      }
    })();
    expect(busy).toBe(`vxlan-tap: error: too many control clients (${MAX_CLIENTS}): try again later`);
    for (const p of peers) p.socket.destroy();
    expect(await waitFor(() => vtepStats(lab, tapHost, '--control', control).rxPackets > 0)).toBe(true);
    // The 20 beyond the limit, and the stats asked for while they were all there.
    expect(vtepStats(lab, tapHost, '--control', control).controlClients).toEqual({ cutOff: 1, refused: 21, idle: 0 });
  });

  it('answers an overlong request line with an error and closes', async () => {
    const peer = await connect(control);
    peer.socket.write(`{"cmd":"${'x'.repeat(200 * 1024)}`);
    await peer.closed;
    expect(peer.lines()).toEqual([`{"ok":false,"error":"a request line may be at most ${CONTROL_LIMITS.maxRequestChars} characters"}`]);
  });

  it('lists 60,000 FDB entries in slices: pings meanwhile never wait long', async () => {
    // Sent again until most are learned: a busy machine loses some to a full receive buffer.
    const entries = (): number => vtepStats(lab, tapHost, '--control', control).fdbEntries;
    for (let round = 0; round < 5 && entries() < 50_000; round++) {
      await sendVxlan(lab, kernelHost, '198.51.100.2', 'macs', 60_000, 42);
      await waitFor(() => entries() >= 50_000, 5000);
    }
    expect(entries()).toBeGreaterThanOrEqual(50_000);
    const pinger = lab.spawn(kernelHost, 'ping', '-c', '150', '-i', '0.01', '-W', '2', '192.0.2.2');
    let summary = '';
    pinger.stdout!.on('data', (chunk: Buffer) => void (summary += chunk.toString()));
    const pinged = new Promise((resolve) => pinger.once('exit', resolve));
    for (let i = 0; i < 3; i++) {
      const listing = lab.spawn(tapHost, process.execPath, MAIN, 'fdb', 'show', '--json', '--control', control);
      let bytes = 0;
      listing.stdout!.on('data', (chunk: Buffer) => void (bytes += chunk.length));
      expect(await new Promise((resolve) => listing.once('exit', resolve))).toBe(0);
      expect(bytes).toBeGreaterThan(3_000_000);
    }
    await pinged;
    expect(summary).toMatch(/150 received/);
    // The longest round trip: a listing made in one go held forwarding for most of a second.
    const max = Number(/= [\d.]+\/[\d.]+\/([\d.]+)\//.exec(summary)?.[1]);
    expect(max).toBeLessThan(100);
  });

  it('flushes those entries in slices: pings meanwhile never wait long', async () => {
    expect(vtepStats(lab, tapHost, '--control', control).fdbEntries).toBeGreaterThanOrEqual(50_000);
    const pinger = lab.spawn(kernelHost, 'ping', '-c', '100', '-i', '0.01', '-W', '2', '192.0.2.2');
    let summary = '';
    pinger.stdout!.on('data', (chunk: Buffer) => void (summary += chunk.toString()));
    const pinged = new Promise((resolve) => pinger.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const flushed = lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'flush', '--control', control);
    expect(flushed).toMatch(/^removed \d{5} entries/);
    await pinged;
    expect(summary).toMatch(/100 received/);
    expect(vtepStats(lab, tapHost, '--control', control).fdbEntries).toBeLessThan(10);
    // Done in one go, the flush held forwarding for 100-200 ms.
    const max = Number(/= [\d.]+\/[\d.]+\/([\d.]+)\//.exec(summary)?.[1]);
    expect(max).toBeLessThan(50);
  });

  it('a stalled monitor is cut off, reads the line saying so once it goes on, and exits 1 with it', async () => {
    const monitor = lab.spawn(tapHost, process.execPath, MAIN, 'monitor', '--control', control);
    let stderr = '';
    monitor.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    let stdout = '';
    monitor.stdout!.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => monitor.once('exit', (code) => resolve(code)));
    // Subscribed once it prints an event: the FDB flushed, a ping makes the peer's MAC learned again.
    expect(await waitFor(() => {
      lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'flush', '--control', control);
      void pingAsync(lab, kernelHost, '192.0.2.2', 1);
      return /learn/.test(stdout);
    }, 10_000)).toBe(true);
    monitor.kill('SIGSTOP');
    // 30,000 new source MACs: 30,000 learn events, far more than a monitor may leave unread.
    await sendVxlan(lab, kernelHost, '198.51.100.2', 'macs', 30_000, 42);
    expect(await waitFor(() => vtepStats(lab, tapHost, '--control', control).monitor.cutOff === 1, 10_000)).toBe(true);
    // Longer than the server once waited before it hung up.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    monitor.kill('SIGCONT');
    expect(await exited).toBe(1);
    expect(stderr.trim()).toMatch(/^vxlan-tap: error: monitor cut off: \d+ events were not read in time$/);
  });
});
