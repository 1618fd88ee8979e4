// --busy-poll: after a batch the process keeps polling the TAP and the socket for a while
// before it sleeps. Traffic must flow exactly as without it, and the event loop must
// still get its turn: control commands answer and SIGTERM stops the process mid-transfer.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { isRoot, pingAsync, tcpTransfer, TOOLS } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

describe.skipIf(!isRoot)('vxlan-tap --busy-poll', () => {
  const lab = new Lab('busy');
  let a: string;
  let b: string;
  const vteps: VtepProcess[] = [];

  beforeAll(async () => {
    a = lab.namespace('a');
    b = lab.namespace('b');
    lab.link(a, '198.51.100.1/24', b, '198.51.100.2/24');
    for (const [ns, peer, address] of [[a, '198.51.100.2', '192.0.2.1/24'], [b, '198.51.100.1', '192.0.2.2/24']] as const) {
      vteps.push(await lab.vtep(ns, '--busy-poll', '200', '--vni', '42', '--peer', peer, '--tap', 'vxt0', '--address', address));
    }
  });
  afterAll(() => lab.cleanup());

  it('pings both ways, every reply', async () => {
    expect(await pingAsync(lab, a, '192.0.2.2', 20, '0.01')).toBe(20);
    expect(await pingAsync(lab, b, '192.0.2.1', 20, '0.01')).toBe(20);
  });

  it('carries 4 MB intact both ways, and answers control commands meanwhile', async () => {
    const transfer = tcpTransfer(lab, b, '192.0.2.2', a, 4);
    const stats = JSON.parse(lab.exec(a, process.execPath, MAIN, 'stats', '--tap', 'vxt0', '--json'));
    expect(stats.vni).toBe(42);
    const { sent, received } = await transfer;
    expect(received).toBe(sent);
    const back = await tcpTransfer(lab, a, '192.0.2.1', b, 4);
    expect(back.received).toBe(back.sent);
  });

  it('stops on SIGTERM in the middle of a transfer', async () => {
    // Never finishes: the VTEPs stop under it; cleanup ends its processes.
    lab.spawn(b, process.execPath, path.join(TOOLS, 'tcp-sink.mjs'), '192.0.2.2', '5001');
    await new Promise((resolve) => setTimeout(resolve, 300));
    lab.spawn(a, process.execPath, path.join(TOOLS, 'tcp-source.mjs'), '192.0.2.2', '5001', '64', '7');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await vteps[0]!.stop()).toBe(0);
    expect(await vteps[1]!.stop()).toBe(0);
  });
});
