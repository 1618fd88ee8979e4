// FDB poisoning: a host on the underlay forges VXLAN datagrams from an address of its own
// choosing (a second address on its link), carrying the kernel host's MAC as inner source.
// With --accept-from any (the kernel's way) one datagram moves the MAC to the forger;
// with --accept-from peers every forged datagram is a counted drop and the entry stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, ping, sendVxlan, vtepStats, waitFor } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
// The MAC tools/vxlan-send.mjs puts in its 'move' frames.
const VICTIM_MAC = '02:00:00:00:00:aa';
const FORGED = '198.51.100.99';
const FORGED_COUNT = 10;

describe.skipIf(!isRoot)('forged outer sources', () => {
  const lab = new Lab('forge');
  let kernelHost: string;
  let tapHost: string;
  let attacker: string;

  beforeAll(() => {
    const sw = lab.namespace('sw');
    [kernelHost, tapHost, attacker] = ['k', 't', 'a'].map((n) => lab.namespace(n)) as [string, string, string];
    lab.bridgeLinks(sw, [
      { ns: kernelHost, address: '198.51.100.1/24' },
      { ns: tapHost, address: '198.51.100.2/24' },
      { ns: attacker, address: '198.51.100.3/24' },
    ]);
    lab.ip(attacker, 'addr', 'add', `${FORGED}/24`, 'dev', 'ul0');
    lab.kernelVxlan(kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24', mac: VICTIM_MAC });
  });
  afterAll(() => lab.cleanup());

  const owner = (): string | undefined => {
    const rows = JSON.parse(lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--json', '--tap', 'vxt0')) as { mac: string; dst: string }[];
    return rows.find((r) => r.mac === VICTIM_MAC)?.dst;
  };

  it.each([
    ['any', FORGED, 0],
    ['peers', '198.51.100.1', FORGED_COUNT],
  ] as const)('with --accept-from %s the MAC ends at %s, %i datagrams dropped as unknownSource', async (acceptFrom, expectedOwner, dropped) => {
    // One MAC for both runs: the kernel host's neighbour cache outlives the first.
    const vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02', '--accept-from', acceptFrom);
    try {
      expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
      expect(owner()).toBe('198.51.100.1');
      await sendVxlan(lab, attacker, '198.51.100.2', 'move', FORGED_COUNT, 42, FORGED);
      // Sent is not yet read: wait until the VTEP has taken every forged datagram in.
      const unknownSource = (): number => vtepStats(lab, tapHost, '--tap', 'vxt0').drops.unknownSource;
      // The move reaches the table (on the main thread) a moment after the worker saw it.
      await waitFor(() => (dropped > 0 ? unknownSource() === dropped : owner() === FORGED), 10_000);
      expect(owner()).toBe(expectedOwner);
      expect(unknownSource()).toBe(dropped);
      // Refused, the forger never got the overlay's traffic: the kernel host still answers.
      if (acceptFrom === 'peers') expect(ping(lab, tapHost, '192.0.2.1', 3, '0.1')).toBe(3);
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });
});
