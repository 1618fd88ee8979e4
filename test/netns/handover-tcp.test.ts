// A handover TCP does not notice: an iperf3 transfer through vxlan-tap and a kernel vxlan
// peer, with a handover in the middle, is reordered no more than the same transfer
// without one. Reordering shows at the sender: holes it sees filled by segments it never
// retransmitted, and DSACKs (the receiver reporting a segment it got twice, because the
// sender took a late one for lost). Before the predecessor
// stopped reading ahead of the successor, both read at once for a moment and a handover
// reordered the flow: 1,245 retransmits against 1 without one, mostly DSACKs (data
// through the TAP), 140 against 9 (through the underlay). Retransmits as such are not
// the measure: what arrives while neither process reads waits in the kernel's queues,
// and on a loaded machine a longer pause overflows them (loss, retransmits, no DSACKs).
// Each direction: the data read from the TAP, then from the underlay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, ORDERED_WIRE_END, type VtepProcess } from '../../lab/lab.js';
import { isAlive, terminate } from '../../lab/process-watch.js';
import { isRoot, ping, waitFor } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const SECONDS = 8;
const HANDOVER_AFTER_MS = 3000;
/**
 * What a handover may add beyond twice a run without one: a few DSACKs and reordering
 * events (those of a run without one come from the kernel's own paths and vary by tens),
 * far below the hundreds of spurious retransmits that reordering gave.
 */
const DSACK_ALLOWANCE = 20;
const REORDER_ALLOWANCE = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Transfer {
  retransmits: number;
  /** DSACKs the sender received: segments it retransmitted that had arrived after all. */
  dsacks: number;
  /** Holes the sender saw filled by a segment it had not retransmitted: reordering it detected. */
  reorders: number;
  receivedBytes: number;
  seconds: number;
}

describe.skipIf(!isRoot)('handover under TCP', () => {
  const lab = new Lab('htcp');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  const successors: number[] = [];

  beforeAll(async () => {
    // A wire that does not reorder the flow itself: what reordering is left is ours.
    ({ kernelHost, tapHost } = lab.pointToPoint([ORDERED_WIRE_END, ORDERED_WIRE_END]));
  });
  afterAll(async () => {
    // Successors are not the lab's children: ended here, by pid.
    successors.forEach(terminate);
    await sleep(500);
    await lab.cleanup();
  });

  /** The namespace's TCP counters so far (/proc/net/netstat). */
  function tcpCounters(ns: string): Record<string, number> {
    const [names, values] = lab.exec(ns, 'cat', '/proc/net/netstat').split('\n').filter((line) => line.startsWith('TcpExt:')).map((line) => line.split(/\s+/));
    return Object.fromEntries(names!.map((name, i) => [name, Number(values![i])]));
  }

  /** One iperf3 run from the tap host to the kernel host (`reverse`: the other way), `during` run meanwhile. */
  async function transfer(port: number, reverse: boolean, during: () => Promise<void> = async () => {}): Promise<Transfer> {
    lab.spawn(kernelHost, 'iperf3', '-s', '-1', '-B', '192.0.2.1', '-p', String(port));
    const sender = reverse ? kernelHost : tapHost;
    const before = tcpCounters(sender);
    await sleep(500);
    const client = lab.spawn(tapHost, 'iperf3', '-c', '192.0.2.1', '-p', String(port), '-t', String(SECONDS), '--json', ...(reverse ? ['-R'] : []));
    let out = '';
    let errors = '';
    client.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    client.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise((resolve) => client.once('exit', resolve));
    const timer = setTimeout(() => client.kill('SIGKILL'), (SECONDS + 20) * 1000);
    await during();
    await exited;
    clearTimeout(timer);
    // Nothing (or no JSON) when it had to be killed: say what both ends said.
    expect(out.trimStart().startsWith('{'), `iperf3 gave no result: ${errors}\nvxlan-tap: ${vtep.stderr().slice(-2000)}`).toBe(true);
    const result = JSON.parse(out) as { error?: string; end: { sum_sent: { retransmits: number }; sum_received: { bytes: number; seconds: number } } };
    expect(result.error).toBeUndefined();
    const after = tcpCounters(sender);
    return { retransmits: result.end.sum_sent.retransmits, dsacks: after['TCPDSACKRecv']! - before['TCPDSACKRecv']!, reorders: after['TCPSACKReorder']! - before['TCPSACKReorder']!, receivedBytes: result.end.sum_received.bytes, seconds: result.end.sum_received.seconds };
  }

  /** `vxlan-tap handover` on the control socket; resolves once the successor has the VTEP and the predecessor is gone. */
  async function handOver(): Promise<void> {
    const asker = lab.spawn(tapHost, process.execPath, MAIN, 'handover', '--tap', 'vxt0');
    let out = '';
    asker.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => asker.once('exit', resolve));
    const successor = Number(/handed over to pid (\d+)/.exec(out)?.[1]);
    expect(successor, out).toBeGreaterThan(0);
    successors.push(successor);
    expect(await waitFor(() => vtep.child.exitCode !== null, 10_000), vtep.stderr()).toBe(true);
    expect(isAlive(successor)).toBe(true);
  }

  it.each([
    ['kernel host <- tap host', false, 5201],
    ['kernel host -> tap host', true, 5202],
  ])('%s: a handover mid-transfer is reordered no more than a run without one', { timeout: 90_000 }, async (direction, reverse, port) => {
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02');
    try {
      expect(ping(lab, kernelHost, '192.0.2.2', 2, '0.1')).toBe(2);
      const quiet = await transfer(port, reverse);
      const handedOver = await transfer(port, reverse, async () => {
        await sleep(HANDOVER_AFTER_MS);
        await handOver();
      });
      const bar = 2 * quiet.dsacks + DSACK_ALLOWANCE;
      const reorderBar = 2 * quiet.reorders + REORDER_ALLOWANCE;
      const paused = /"pausedMs":([\d.]+)/.exec(vtep.stderr())?.[1];
      const what = `DSACKs without a handover ${quiet.dsacks}, with one ${handedOver.dsacks} (bar ${bar}); retransmits ${quiet.retransmits} and ${handedOver.retransmits}; reading paused for ${paused} ms; reordering seen ${quiet.reorders} and ${handedOver.reorders} (bar ${reorderBar})`;
      for (const run of [quiet, handedOver]) {
        expect(run.seconds).toBeGreaterThan(SECONDS - 1);
        expect(run.receivedBytes).toBeGreaterThan(0);
      }
      // Most of the bytes of a run without one: a handover stalls the flow for moments, no more.
      expect(handedOver.receivedBytes, what).toBeGreaterThan(quiet.receivedBytes / 2);
      expect(handedOver.dsacks, what).toBeLessThanOrEqual(bar);
      expect(handedOver.reorders, what).toBeLessThanOrEqual(reorderBar);
      console.log(`${direction}: ${what}`);
    } finally {
      await vtep.stop();
      successors.forEach(terminate);
      expect(await waitFor(() => successors.every((pid) => !isAlive(pid)), 5000)).toBe(true);
    }
  });
});
