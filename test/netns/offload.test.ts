// --offload on: the TAP hands vxlan-tap 64 KB TCP super-frames, which it segments before
// sending, and takes merged super-frames back on receive. Checked against a kernel vxlan
// peer and against another offloading vxlan-tap, IPv4 and IPv6 inside, with the
// super-frames seen on the TAP itself (tcpdump shows a GSO packet at its full length).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_MAIN, Lab, type VtepProcess } from '../../lab/lab.js';
import { capture, isRoot, ping, tcpTransfer } from './helpers.js';

// The TAP's MTU (the default over an IPv4 underlay of 1500): a TCP frame longer than
// MTU + 14 is a super-frame, and every super-frame is (it holds two segments or more, each
// but the last a full MSS). Headers only are kept, so that tcpdump never falls behind.
const TAP_MTU = 1450;
const SUPER_FRAMES = ['-s', '128', 'tcp', 'and', 'greater', String(TAP_MTU + 14 + 1)];

/** The super-frames vxlan-tap has read from its TAP so far (its stats). */
function superFramesRead(lab: Lab, ns: string): number {
  const stats = JSON.parse(lab.exec(ns, process.execPath, BUILT_MAIN, 'stats', '--tap', 'vxt0', '--json')) as { offload: { superFrames: number } };
  return stats.offload.superFrames;
}

/** Runs `transfer` while counting TCP packets over 3000 bytes on the TAP. */
async function countSuperFrames(lab: Lab, ns: string, transfer: () => Promise<void>): Promise<number> {
  const cap = await capture(lab, ns, 'vxt0', ...SUPER_FRAMES);
  try {
    await transfer();
  } catch (err) {
    await cap.stop();
    throw err;
  }
  return (await cap.stop()).length;
}

async function expectIntact(lab: Lab, toNs: string, toAddress: string, fromNs: string, megabytes: number): Promise<void> {
  const { sent, received } = await tcpTransfer(lab, toNs, toAddress, fromNs, megabytes);
  expect(sent.startsWith(`${megabytes * 1024 * 1024} `)).toBe(true);
  expect(received).toBe(sent);
}

describe.skipIf(!isRoot)('vxlan-tap --offload on <-> kernel vxlan', () => {
  const lab = new Lab('offk');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    lab.ip(kernelHost, 'addr', 'add', '2001:db8:42::1/64', 'dev', 'vx0');
    vtep = await lab.vtep(tapHost, '--offload', 'on', '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--address', '2001:db8:42::2/64');
  });
  afterAll(() => lab.cleanup());

  it('offers TSO and checksum offload on the TAP', () => {
    expect(lab.offload(tapHost, 'vxt0', 'tso')).toBe(true);
    expect(lab.offload(tapHost, 'vxt0', 'tx')).toBe(true);
  });

  it('pings both ways', () => {
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
    expect(ping(lab, tapHost, '2001:db8:42::1')).toBe(3);
  });

  it('segments the super-frames it reads: 8 MB to the kernel intact, every super-frame on the TAP read as one', async () => {
    const before = superFramesRead(lab, tapHost);
    const seen = await countSuperFrames(lab, tapHost, () => expectIntact(lab, kernelHost, '192.0.2.1', tapHost, 8));
    expect(seen).toBeGreaterThan(0);
    expect(superFramesRead(lab, tapHost) - before).toBe(seen);
  });

  it('merges what it writes: 8 MB from the kernel intact', async () => {
    const seen = await countSuperFrames(lab, tapHost, () => expectIntact(lab, tapHost, '192.0.2.2', kernelHost, 8));
    // How many merge depends on how the segments fall into receive batches.
    expect(seen).toBeGreaterThan(0);
  });

  it('does the same for TCP over IPv6 inside, both ways', async () => {
    await expectIntact(lab, kernelHost, '2001:db8:42::1', tapHost, 4);
    await expectIntact(lab, tapHost, '2001:db8:42::2', kernelHost, 4);
  });

  it('stops cleanly on SIGTERM and removes the TAP', async () => {
    expect(await vtep.stop()).toBe(0);
    expect(() => lab.ip(tapHost, 'link', 'show', 'vxt0')).toThrow();
  });
});

describe.skipIf(!isRoot)('vxlan-tap --offload on <-> vxlan-tap --offload on', () => {
  const lab = new Lab('offt');
  let hostA: string;
  let hostB: string;

  beforeAll(async () => {
    hostA = lab.namespace('a');
    hostB = lab.namespace('b');
    lab.link(hostA, '198.51.100.1/24', hostB, '198.51.100.2/24');
    const sides = [
      [hostA, '198.51.100.2', '192.0.2.1/24', '2001:db8:42::1/64'],
      [hostB, '198.51.100.1', '192.0.2.2/24', '2001:db8:42::2/64'],
    ] as const;
    for (const [ns, peer, v4, v6] of sides) {
      await lab.vtep(ns, '--offload', 'on', '--vni', '42', '--peer', peer, '--tap', 'vxt0', '--address', v4, '--address', v6);
    }
  });
  afterAll(() => lab.cleanup());

  it('pings both ways', () => {
    expect(ping(lab, hostA, '192.0.2.2')).toBe(3);
    expect(ping(lab, hostB, '192.0.2.1')).toBe(3);
    expect(ping(lab, hostA, '2001:db8:42::2')).toBe(3);
  });

  it('carries 8 MB intact both ways, as super-frames on both TAPs', async () => {
    const before = superFramesRead(lab, hostA);
    const sentAsSuperFrames = await countSuperFrames(lab, hostA, async () => {
      const mergedOnArrival = await countSuperFrames(lab, hostB, () => expectIntact(lab, hostB, '192.0.2.2', hostA, 8));
      // How many merge depends on how the segments fall into receive batches.
      expect(mergedOnArrival).toBeGreaterThan(0);
    });
    expect(sentAsSuperFrames).toBeGreaterThan(0);
    expect(superFramesRead(lab, hostA) - before).toBe(sentAsSuperFrames);
    await expectIntact(lab, hostA, '192.0.2.1', hostB, 8);
  });

  it('carries TCP over IPv6 inside intact both ways', async () => {
    await expectIntact(lab, hostB, '2001:db8:42::2', hostA, 4);
    await expectIntact(lab, hostA, '2001:db8:42::1', hostB, 4);
  });
});

describe.skipIf(!isRoot)('vxlan-tap --offload no-coalesce', () => {
  const lab = new Lab('offnc');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    await lab.vtep(tapHost, '--offload', 'no-coalesce', '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it('writes every segment as it came, and still carries 8 MB intact both ways', async () => {
    const merged = await countSuperFrames(lab, tapHost, () => expectIntact(lab, tapHost, '192.0.2.2', kernelHost, 8));
    expect(merged).toBe(0);
    await expectIntact(lab, kernelHost, '192.0.2.1', tapHost, 8);
  });
});
