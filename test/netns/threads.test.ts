// The data path on two worker threads (--threads 2), against the kernel's vxlan: a
// multi-queue TAP, one socket per worker on the port, one forwarding table that every
// worker uses, flows kept in order, and a reload, a handover, a group and a failing TAP
// handled as with one thread.
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { isAlive, terminate } from '../../lab/process-watch.js';
import { capture, isRoot, ping, pingAsync, sendVxlan, tcpTransfer, vtepStats, waitFor } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
/** An address on the underlay that no host has: flooded copies to it show on the wire. */
const SILENT_PEER = '198.51.100.3';

/** Queues of a TAP as the kernel counts them (one tx-N per queue). */
function txQueues(lab: Lab, ns: string, dev: string): number {
  return lab.exec(ns, 'ls', `/sys/class/net/${dev}/queues`).split(/\s+/).filter((q) => q.startsWith('tx-')).length;
}

/**
 * Sends one UDP datagram from each of `flows` sockets (distinct source ports: distinct
 * flows, spread over the TAP's queues) and `perFlow` numbered datagrams from one more,
 * back to back, to port 9100 of `to`; resolves once the sender is done.
 */
async function sendFlows(lab: Lab, fromNs: string, to: string, flows: number, perFlow: number): Promise<void> {
  const source =
    `const d=require('dgram');` +
    `for(let i=0;i<${flows};i++){const s=d.createSocket('udp4');s.send(Buffer.alloc(100,i),9100,'${to}',()=>s.close())}` +
    `const q=d.createSocket('udp4');let i=0;const go=()=>{for(let k=0;k<50&&i<${perFlow};k++,i++){const b=Buffer.alloc(8);b.writeUInt32BE(i,4);q.send(b,9100,'${to}')}if(i<${perFlow})setImmediate(go);else setTimeout(()=>q.close(),500)};go();`;
  const sender = lab.spawn(fromNs, process.execPath, '-e', source);
  await new Promise((resolve) => sender.once('exit', resolve));
}

/** sendFlows() to a receiver in `toNs`; resolves with what it saw: datagrams, and whether the numbered ones came in order. */
async function udpFlows(lab: Lab, fromNs: string, toNs: string, to: string, flows: number, perFlow: number): Promise<{ received: number; inOrder: boolean; numbered: number }> {
  const sink =
    `const s=require('dgram').createSocket('udp4');let n=0,last=-1,inOrder=true,numbered=0;` +
    `s.on('message',(m)=>{n++;if(m.length===8){const i=m.readUInt32BE(4);if(i<=last)inOrder=false;last=i;numbered++}});` +
    `s.bind(9100,'${to}',()=>console.error('listening'));` +
    `setTimeout(()=>{console.log(JSON.stringify({received:n,inOrder,numbered}));process.exit(0)},4000);`;
  const receiver = lab.spawn(toNs, process.execPath, '-e', sink);
  await new Promise<void>((resolve) => receiver.stderr!.on('data', (c: Buffer) => c.toString().includes('listening') && resolve()));
  let out = '';
  receiver.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise((resolve) => receiver.once('exit', resolve));
  await sendFlows(lab, fromNs, to, flows, perFlow);
  await done;
  return JSON.parse(out) as { received: number; inOrder: boolean; numbered: number };
}

/** Nice values of the process's threads: the main thread's, and how many run at each other value. */
function niceness(lab: Lab, ns: string, pid: number): { main: number; others: Map<number, number> } {
  const rows = lab.exec(ns, 'ps', '-L', '-o', 'tid=,ni=', '-p', String(pid)).trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number));
  const others = new Map<number, number>();
  for (const [tid, ni] of rows) if (tid !== pid) others.set(ni!, (others.get(ni!) ?? 0) + 1);
  return { main: rows.find(([tid]) => tid === pid)![1]!, others };
}

/** Out-of-order segments the receiving TCP stack queued in `ns` (TcpExt TCPOFOQueue). */
function outOfOrderSegments(lab: Lab, ns: string): number {
  const lines = lab.exec(ns, 'cat', '/proc/net/netstat').split('\n').filter((l) => l.startsWith('TcpExt:'));
  const [names, values] = lines.map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf('TCPOFOQueue')]);
}

describe.skipIf(!isRoot)('--threads 2 against a kernel VTEP', () => {
  const lab = new Lab('threads');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    // Copies flooded to the silent peer leave the wire with a MAC nobody has: seen, never answered.
    lab.ip(tapHost, 'neigh', 'add', SILENT_PEER, 'lladdr', '02:00:00:00:99:99', 'dev', 'ul0');
    vtep = await lab.vtep(tapHost, '--threads', '2', '--vni', '42', '--peer', '198.51.100.1', '--peer', SILENT_PEER, '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it('makes a TAP with two queues and pings both ways', () => {
    expect(txQueues(lab, tapHost, 'vxt0')).toBe(2);
    // The two workers keep the process's priority; the main thread and the rest yield to them.
    const nice = niceness(lab, tapHost, vtep.child.pid!);
    expect(nice.main).toBe(5);
    expect(nice.others.get(0)).toBe(2);
    expect(ping(lab, kernelHost, '192.0.2.2', 3)).toBe(3);
    expect(ping(lab, tapHost, '192.0.2.1', 3)).toBe(3);
  });

  it('uses a MAC learned by one worker in every worker: flows on both queues go to the learned VTEP alone', async () => {
    expect(ping(lab, tapHost, '192.0.2.1', 1)).toBe(1);
    // Copies of the test's datagrams (inner UDP port 9100) to the silent peer: flooded ones.
    const wire = await capture(lab, kernelHost, 'ul0', 'udp', 'and', 'dst', 'host', SILENT_PEER, 'and', 'udp[52:2] = 9100');
    const before = vtepStats(lab, tapHost, '--tap', 'vxt0');
    const seen = await udpFlows(lab, tapHost, kernelHost, '192.0.2.1', 64, 0);
    const flooded = await wire.stop();
    expect(seen.received).toBe(64);
    expect(flooded).toEqual([]);
    const after = vtepStats(lab, tapHost, '--tap', 'vxt0');
    // Both workers carried some of the flows.
    const moved = (after.threads as { txFrames: number }[]).map((t, i) => t.txFrames - (before.threads[i].txFrames as number));
    expect(moved.every((frames) => frames > 0), JSON.stringify(moved)).toBe(true);
    // One table: learned once, counted once.
    expect(lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxt0').match(/dst 198\.51\.100\.1 .*dynamic/g)?.length).toBe(1);
  });

  it('an entry added on the control socket reaches every worker at once: flows on both queues use it', async () => {
    lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'add', '02:00:00:00:77:77', 'dst', '198.51.100.1', '--tap', 'vxt0');
    lab.ip(tapHost, 'neigh', 'replace', '192.0.2.77', 'lladdr', '02:00:00:00:77:77', 'dev', 'vxt0');
    const toKernel = await capture(lab, kernelHost, 'ul0', 'udp', 'and', 'dst', 'host', '198.51.100.1', 'and', 'udp[52:2] = 9100');
    const toSilent = await capture(lab, kernelHost, 'ul0', 'udp', 'and', 'dst', 'host', SILENT_PEER, 'and', 'udp[52:2] = 9100');
    const before = vtepStats(lab, tapHost, '--tap', 'vxt0');
    // Nobody answers 192.0.2.77: what counts is what left vxlan-tap, and to where.
    await sendFlows(lab, tapHost, '192.0.2.77', 64, 0);
    // tcpdump prints each VXLAN datagram and its inner packet; the inner lines name the flow.
    // (64 sent at once: on a busy machine some may not make it; none may go astray.)
    const unicast = (await toKernel.stop()).filter((line) => line.includes('192.0.2.77.9100'));
    expect(unicast.length).toBeGreaterThanOrEqual(32);
    expect(await toSilent.stop()).toEqual([]);
    const after = vtepStats(lab, tapHost, '--tap', 'vxt0');
    const moved = (after.threads as { txFrames: number }[]).map((t, i) => t.txFrames - (before.threads[i].txFrames as number));
    expect(moved.every((frames) => frames > 0), JSON.stringify(moved)).toBe(true);
  });

  it('keeps a flow in order both ways', async () => {
    const out = await udpFlows(lab, tapHost, kernelHost, '192.0.2.1', 0, 3000);
    // Back to back, many may be lost to a full queue on a busy machine; what arrives must be in order.
    expect(out.numbered).toBeGreaterThan(300);
    expect(out.inOrder).toBe(true);
    const back = await udpFlows(lab, kernelHost, tapHost, '192.0.2.2', 0, 3000);
    expect(back.numbered).toBeGreaterThan(300);
    expect(back.inOrder).toBe(true);
  });

  it('carries TCP intact with no more out-of-order segments than one thread would', async () => {
    const before = outOfOrderSegments(lab, kernelHost);
    const { sent, received } = await tcpTransfer(lab, kernelHost, '192.0.2.1', tapHost, 16);
    expect(received).toBe(sent);
    // One flow stays on one worker: nothing of ours reorders it (a veth reorders nothing either).
    expect(outOfOrderSegments(lab, kernelHost) - before).toBeLessThanOrEqual(2);
  });

  it('sums the counters of both workers in stats and balances them', () => {
    const s = vtepStats(lab, tapHost, '--tap', 'vxt0');
    const threads = s.threads as { rxDatagrams: number; txFrames: number }[];
    expect(threads).toHaveLength(2);
    expect(threads.reduce((a, t) => a + t.rxDatagrams, 0)).toBe(s.rxDatagrams);
    expect(threads.reduce((a, t) => a + t.txFrames, 0)).toBe(s.txFrames);
    const rxDrops = Object.entries(s.drops as Record<string, number>).filter(([r]) => !['noTarget', 'proxyConsumed', 'pathMtu'].includes(r)).reduce((a, [, n]) => a + n, 0);
    expect(s.rxDatagrams).toBe(s.rxPackets + rxDrops);
  });

  it('a failing TAP ends the process with one line and exit 1', async () => {
    const other = await lab.vtep(tapHost, '--threads', '2', '--vni', '43', '--port', '4790', '--peer', '198.51.100.1', '--tap', 'vxt9');
    lab.ip(tapHost, 'link', 'del', 'vxt9');
    expect(await waitFor(() => other.child.exitCode !== null, 5000), other.stderr()).toBe(true);
    expect(other.child.exitCode).toBe(1);
    expect(other.stderr().match(/"msg":"stopping: the VTEP cannot go on"/g)).toHaveLength(1);
  });

  it('stops cleanly on SIGTERM: exit 0, the TAP gone', async () => {
    expect(await vtep.stop()).toBe(0);
    expect(lab.ip(tapHost, 'link', 'show')).not.toMatch(/vxt0/);
  });
});

describe.skipIf(!isRoot)('--threads 2: reload and handover', () => {
  const lab = new Lab('threads-ops');
  let kernelHost: string;
  let tapHost: string;
  const successors: number[] = [];

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(async () => {
    successors.forEach(terminate);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await lab.cleanup();
  });

  it('a reload reaches every worker: the new flood list and 20,000 static entries', async () => {
    const file = path.join(os.tmpdir(), `vxt-threads-${process.pid}.json`);
    const write = (peers: string[], entries: number): void => {
      const fdb = Array.from({ length: entries }, (_, i) => ({ mac: `02:00:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`, dst: '203.0.113.9', state: 'static' }));
      writeFileSync(file, JSON.stringify({ threads: 2, vnis: [{ vni: 42, peers, tap: 'vxt0', addresses: ['192.0.2.2/24'], fdb }] }));
    };
    write([SILENT_PEER], 0);
    const vtep = await lab.vtep(tapHost, '--config', file);
    try {
      expect(ping(lab, tapHost, '192.0.2.1', 2, '0.2')).toBe(0);
      write(['198.51.100.1'], 20_000);
      vtep.child.kill('SIGHUP');
      expect(await waitFor(() => /"msg":"reloaded"/.test(vtep.stderr()), 10_000), vtep.stderr()).toBe(true);
      // The first ARP resolves the kernel host through the new flood list; then every flow
      // (both workers) reaches it.
      expect(await waitFor(() => ping(lab, tapHost, '192.0.2.1', 1) === 1, 5000)).toBe(true);
      const seen = await udpFlows(lab, tapHost, kernelHost, '192.0.2.1', 64, 0);
      expect(seen.received).toBe(64);
      const s = vtepStats(lab, tapHost, '--tap', 'vxt0');
      expect(s.fdbEntries).toBeGreaterThanOrEqual(20_001);
    } finally {
      await vtep.stop();
      rmSync(file, { force: true });
    }
  });

  it('hands every queue and socket over under a 10 ms ping without losing a reply', async () => {
    const vtep = await lab.vtep(tapHost, '--threads', '2', '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
    expect(ping(lab, kernelHost, '192.0.2.2', 2, '0.1')).toBe(2);
    const pings = pingAsync(lab, kernelHost, '192.0.2.2', 300, '0.01');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const successor = Number(/handed over to pid (\d+)/.exec(lab.exec(tapHost, process.execPath, MAIN, 'handover', '--tap', 'vxt0'))?.[1]);
    successors.push(successor);
    try {
      expect(await waitFor(() => vtep.child.exitCode !== null, 10_000), vtep.stderr()).toBe(true);
      expect(vtep.child.exitCode).toBe(0);
      expect(isAlive(successor)).toBe(true);
      expect(await pings).toBe(300);
      expect(txQueues(lab, tapHost, 'vxt0')).toBe(2);
      // Started from the predecessor's main thread, the successor went back to its priority.
      const nice = niceness(lab, tapHost, successor);
      expect(nice.main).toBe(5);
      expect(nice.others.get(0)).toBe(2);
      // Both of the successor's workers read: flows in both directions still arrive.
      const seen = await udpFlows(lab, kernelHost, tapHost, '192.0.2.2', 64, 0);
      expect(seen.received).toBe(64);
    } finally {
      process.kill(successor, 'SIGTERM');
    }
  });
});

describe.skipIf(!isRoot)('--threads 2 with --persist and --accept-from peers', () => {
  const lab = new Lab('threads-keep');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(() => lab.cleanup());

  it('keeps the multi-queue TAP and the learned entries across a stop and start', async () => {
    const args = ['--threads', '2', '--persist', '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxtp', '--address', '192.0.2.2/24'];
    const first = await lab.vtep(tapHost, ...args);
    expect(await waitFor(() => ping(lab, tapHost, '192.0.2.1', 1) === 1, 5000)).toBe(true);
    expect(ping(lab, tapHost, '192.0.2.1', 3, '0.1')).toBe(3);
    expect(await first.stop()).toBe(0);
    expect(lab.ip(tapHost, '-d', 'link', 'show', 'vxtp')).toMatch(/multi_queue/);
    const second = await lab.vtep(tapHost, ...args);
    try {
      expect(txQueues(lab, tapHost, 'vxtp')).toBe(2);
      expect(lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxtp')).toMatch(/dev vxtp dst 198\.51\.100\.1 .*dynamic/);
      expect(await waitFor(() => ping(lab, tapHost, '192.0.2.1', 1) === 1, 5000)).toBe(true);
    } finally {
      await second.stop();
      lab.ip(tapHost, 'link', 'del', 'vxtp');
    }
  });

  it('--accept-from peers drops forged datagrams on every worker', async () => {
    const vtep = await lab.vtep(tapHost, '--threads', '2', '--accept-from', 'peers', '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
    try {
      lab.ip(kernelHost, 'addr', 'add', '198.51.100.99/24', 'dev', 'ul0');
      // Twelve senders: twelve source ports, spread over both workers' sockets (all on one: 1 in 2,048).
      const senders = Array.from({ length: 12 }, (_, i) => i + 1);
      await Promise.all(senders.map((seed) => sendVxlan(lab, kernelHost, '198.51.100.2', 'move', 100, 42, '198.51.100.99', seed)));
      const dropped = (): number => vtepStats(lab, tapHost, '--tap', 'vxt0').drops.unknownSource;
      expect(await waitFor(() => dropped() === 1200, 5000)).toBe(true);
      const s = vtepStats(lab, tapHost, '--tap', 'vxt0');
      expect((s.threads as { rxDatagrams: number }[]).every((t) => t.rxDatagrams > 0), JSON.stringify(s.threads)).toBe(true);
      expect(lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxt0')).not.toMatch(/02:00:00:00:00:aa/);
    } finally {
      await vtep.stop();
    }
  });
});

describe.skipIf(!isRoot)('--threads 2 in multicast group mode', () => {
  const lab = new Lab('threads-mcast');
  const hosts: string[] = [];

  beforeAll(async () => {
    const sw = lab.namespace('sw');
    hosts.push(lab.namespace('h1'), lab.namespace('h2'));
    lab.bridgeLinks(sw, hosts.map((ns, i) => ({ ns, address: `198.51.100.${i + 1}/24` })));
    lab.kernelVxlan(hosts[0]!, { vni: 42, group: '239.1.1.1', dev: 'ul0', local: '198.51.100.1', address: '192.0.2.1/24' });
    await lab.vtep(hosts[1]!, '--threads', '2', '--vni', '42', '--group', '239.1.1.1', '--dev', 'ul0', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it('takes a group datagram once: pings across the group with no duplicate', () => {
    lab.exec(hosts[0]!, 'ip', 'neigh', 'flush', 'dev', 'vx0');
    const output = lab.exec(hosts[0]!, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '192.0.2.2');
    expect(output).toMatch(/3 received/);
    // A group datagram handed to both workers would be answered twice.
    expect(output).not.toMatch(/DUP/);
  });
});
