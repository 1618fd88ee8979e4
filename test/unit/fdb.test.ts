import { describe, expect, it } from 'vitest';
import { Fdb, FdbError, ZERO_MAC, type FdbState, type FlushFilter, type FlushResult } from '../../src/engine/fdb.js';
import { NeighTable } from '../../src/engine/neigh.js';
import { makeRemote, sameRemote } from '../../src/engine/remote.js';
import { formatMac } from '../../src/wire/mac.js';
import {
  decapOne,
  ethernetFrame,
  HOST,
  HOST_B,
  ip,
  mac,
  makeEngine,
  encapOne,
  OWN_MAC,
  PEER_1,
  PEER_2,
  PEER_3,
  eventText,
  vxlanDatagram,
  expectedRemote,
} from './frames.js';
import { allocatedDuring } from './allocated.js';
import { thrownMessage } from './thrown.js';

const GROUP = '01:00:5e:00:00:01';
const AGEING = 300_000;

const newFdb = (ageingMs = AGEING): Fdb => new Fdb({ learnedPort: 4789, ageingMs });
const remotesOf = (fdb: Fdb, text: string): string[] | undefined =>
  fdb.get(mac(text))?.remotes.map((r) => `${r.address}:${r.port}`);

describe('Fdb.learn', () => {
  it('creates a dynamic entry for a new MAC, with the learned port', () => {
    const fdb = newFdb();
    expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 1000)).toBe('learned');
    const entry = fdb.get(mac(HOST))!;
    expect(formatMac(entry.mac)).toBe(HOST);
    expect(entry.state).toBe('dynamic');
    expect(entry.remotes).toEqual([expectedRemote(PEER_1, 4, 4789)]);
    expect(entry.updated).toBe(1000);
    expect(fdb.size).toBe(1);
  });

  it('learns from a MAC inside a larger buffer and keeps its own copy of it', () => {
    const fdb = newFdb();
    const frame = ethernetFrame({ dst: OWN_MAC, src: HOST });
    expect(fdb.learn(frame, 6, ip(PEER_1), 0, 0)).toBe('learned');
    frame.fill(0);
    expect(formatMac(fdb.entries()[0]!.mac)).toBe(HOST);
    expect(fdb.get(mac(HOST))).toBeDefined();
  });

  it('gives an IPv6 source an IPv6 remote', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip('2001:db8::5'), 0, 0);
    expect(fdb.get(mac(HOST))!.remotes).toEqual([expectedRemote('2001:db8::5', 6, 4789)]);
  });

  it('refreshes from the same address: updated moves on, the remote stays', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 1000);
    const remotes = fdb.get(mac(HOST))!.remotes;
    expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 5000)).toBe('refreshed');
    expect(fdb.get(mac(HOST))!.updated).toBe(5000);
    expect(fdb.get(mac(HOST))!.remotes).toBe(remotes);
    expect(fdb.size).toBe(1);
  });

  it('moves a dynamic entry seen from another address', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 1000);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_2), 0, 2000)).toBe('moved');
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_2}:4789`]);
    expect(fdb.get(mac(HOST))!.updated).toBe(2000);
    expect(fdb.get(mac(HOST))!.state).toBe('dynamic');
    expect(fdb.size).toBe(1);
  });

  it('reads the source address at sourceOffset of a shared address array', () => {
    const fdb = newFdb();
    const sources = new Uint8Array(3 * 16);
    sources.set(ip(PEER_1), 0);
    sources.set(ip('2001:db8::2'), 16);
    sources.set(ip(PEER_3), 32);
    expect(fdb.learn(mac(HOST), 0, sources, 16, 0)).toBe('learned');
    expect(fdb.learn(mac(HOST_B), 0, sources, 32, 0)).toBe('learned');
    expect(fdb.get(mac(HOST))!.remotes).toEqual([expectedRemote('2001:db8::2', 6, 4789)]);
    expect(fdb.get(mac(HOST_B))!.remotes).toEqual([expectedRemote(PEER_3, 4, 4789)]);
  });

  it('keeps its own copy of the source address: the array it came in is reused per batch', () => {
    const fdb = newFdb();
    const sources = ip(PEER_1);
    fdb.learn(mac(HOST), 0, sources, 0, 0);
    sources.set(ip(PEER_2));
    expect(fdb.get(mac(HOST))!.remotes).toEqual([expectedRemote(PEER_1, 4, 4789)]);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 1)).toBe('refreshed');
    expect(fdb.learn(mac(HOST), 0, sources, 0, 2)).toBe('moved');
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_2}:4789`]);
  });

  it('treats 192.0.2.1 and ::ffff:192.0.2.1 as one address', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    expect(fdb.learn(mac(HOST), 0, ip(`::ffff:${PEER_1}`), 0, 1)).toBe('refreshed');
    expect(fdb.get(mac(HOST))!.remotes).toEqual([expectedRemote(PEER_1, 4, 4789)]);
  });

  it('compares all 16 bytes: an IPv6 source differing in one byte moves the entry', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip('2001:db8::5'), 0, 0);
    expect(fdb.learn(mac(HOST), 0, ip('2001:db8::4'), 0, 1)).toBe('moved');
    expect(fdb.learn(mac(HOST), 0, ip('2001:db8:1::4'), 0, 2)).toBe('moved');
    expect(fdb.get(mac(HOST))!.remotes).toEqual([expectedRemote('2001:db8:1::4', 6, 4789)]);
  });

  it.each<FdbState>(['static', 'permanent'])('reports a conflict for a %s entry and leaves it unchanged', (state) => {
    const fdb = newFdb();
    fdb.add(mac(HOST), makeRemote(PEER_1, 4790), state, 1000);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_2), 0, 2000)).toBe('conflict');
    const entry = fdb.get(mac(HOST))!;
    expect(entry.state).toBe(state);
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_1}:4790`]);
    expect(entry.updated).toBe(1000);
  });

  it.each<FdbState>(['static', 'permanent'])('refreshes a %s entry from its own address without changing it', (state) => {
    const fdb = newFdb();
    fdb.add(mac(HOST), makeRemote(PEER_1, 4790), state, 1000);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 2000)).toBe('refreshed');
    expect(fdb.get(mac(HOST))!.state).toBe(state);
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_1}:4790`]);
  });
});

describe('Fdb ageing', () => {
  it('removes dynamic entries idle for the ageing time or longer, and returns them', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    fdb.learn(mac(HOST_B), 0, ip(PEER_2), 0, 1);
    expect(fdb.sweep(AGEING - 1)).toEqual([]);
    expect(fdb.size).toBe(2);
    const expired = fdb.sweep(AGEING);
    expect(expired.map((e) => formatMac(e.mac))).toEqual([HOST]);
    expect(fdb.get(mac(HOST))).toBeUndefined();
    expect(fdb.get(mac(HOST_B))).toBeDefined();
    expect(fdb.sweep(AGEING + 1).map((e) => formatMac(e.mac))).toEqual([HOST_B]);
    expect(fdb.size).toBe(0);
  });

  it('keeps a refreshed entry alive', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 200_000);
    expect(fdb.sweep(300_000)).toEqual([]);
    expect(fdb.get(mac(HOST))).toBeDefined();
    expect(fdb.sweep(500_000)).toHaveLength(1);
    expect(fdb.get(mac(HOST))).toBeUndefined();
  });

  it('times a moved entry from the move', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    fdb.learn(mac(HOST), 0, ip(PEER_2), 0, 100_000);
    expect(fdb.sweep(300_000)).toEqual([]);
    expect(fdb.sweep(400_000)).toHaveLength(1);
  });

  it('never ages static, permanent or default entries', () => {
    const fdb = newFdb();
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'static', 0);
    fdb.add(mac(HOST_B), makeRemote(PEER_2, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_3, 4789), 'permanent', 0);
    fdb.learn(mac('02:00:00:00:00:0c'), 0, ip(PEER_3), 0, 0);
    expect(fdb.sweep(10 * AGEING).map((e) => formatMac(e.mac))).toEqual(['02:00:00:00:00:0c']);
    expect(fdb.size).toBe(3);
    expect(fdb.defaultEntry()).toBeDefined();
  });

  it('never ages anything when ageingMs is 0', () => {
    const fdb = newFdb(0);
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    expect(fdb.sweep(0)).toEqual([]);
    expect(fdb.sweep(1e12)).toEqual([]);
    expect(fdb.size).toBe(1);
  });

  it('removes every expired entry of many in one sweep', () => {
    const fdb = newFdb();
    for (let i = 0; i < 500; i++) {
      const m = Uint8Array.of(0x02, 0, 0, 0, i >> 8, i & 0xff);
      fdb.learn(m, 0, ip(PEER_1), 0, i % 2 === 0 ? 0 : 250_000);
    }
    expect(fdb.sweep(300_000)).toHaveLength(250);
    expect(fdb.size).toBe(250);
    for (let i = 0; i < 500; i++) {
      expect(fdb.get(Uint8Array.of(0x02, 0, 0, 0, i >> 8, i & 0xff)) === undefined).toBe(i % 2 === 0);
    }
  });
});

describe('Fdb scans of a big table', () => {
  // Once a second a data-path worker asks for what its packets refreshed, and the main
  // thread sweeps for ageing: a scan must not leave garbage per slot of the table.
  it('find the refreshed entries and the aged ones without allocating per slot', () => {
    const fdb = newFdb();
    for (let i = 0; i < 20_000; i++) fdb.learn(Uint8Array.of(2, 0, 0, i >> 16, (i >> 8) & 0xff, i & 0xff), 0, ip(PEER_1), 0, 1000);
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 5000);
    let fresh: unknown[] = [];
    const scan = (): void => {
      fresh = fdb.refreshedSince(2000);
      fdb.sweep(2000);
    };
    // The second scan: the first also compiles the code it runs.
    scan();
    const bytes = allocatedDuring(scan);
    expect(fresh).toHaveLength(1);
    // A result or two, not an iteration step per slot (about 4 MB here).
    expect(bytes).toBeLessThan(64 * 1024);
  });
});

describe('ageing through the engine: only the source refreshes', () => {
  const frameFrom = (src: string, dst: string): Uint8Array => ethernetFrame({ dst, src });

  it('does not keep a MAC alive by sending to it', () => {
    const { engine, fdb } = makeEngine({ vni: 42, ageingMs: AGEING });
    decapOne(engine, vxlanDatagram(frameFrom(HOST, OWN_MAC), 42), PEER_1, 0);
    expect(fdb.get(mac(HOST))?.updated).toBe(0);
    // Frames TO the learned MAC at t = 200 s: they go to its remote, but do not refresh it.
    for (let i = 0; i < 3; i++) {
      const { sent } = encapOne(engine, frameFrom(OWN_MAC, HOST));
      expect(sent.count).toBe(1);
      expect(sent.remotes[0]!.address).toBe(PEER_1);
    }
    expect(fdb.get(mac(HOST))?.updated).toBe(0);
    expect(fdb.sweep(300_000).map((e) => formatMac(e.mac))).toEqual([HOST]);
    expect(fdb.get(mac(HOST))).toBeUndefined();
  });

  it('keeps a MAC alive by receiving from it', () => {
    const { engine, fdb } = makeEngine({ vni: 42, ageingMs: AGEING });
    decapOne(engine, vxlanDatagram(frameFrom(HOST, OWN_MAC), 42), PEER_1, 0);
    decapOne(engine, vxlanDatagram(frameFrom(HOST, OWN_MAC), 42), PEER_1, 200_000);
    expect(fdb.sweep(300_000)).toEqual([]);
    expect(fdb.get(mac(HOST))?.updated).toBe(200_000);
  });

  it('does not learn or refresh when learning is off', () => {
    const { engine, fdb } = makeEngine({ vni: 42, learning: false });
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    const { delivered } = decapOne(engine, vxlanDatagram(frameFrom(HOST, OWN_MAC), 42), PEER_2, 200_000);
    expect(delivered.count).toBe(1);
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_1}:4789`]);
    expect(fdb.get(mac(HOST))!.updated).toBe(0);
  });
});

describe('Fdb.add', () => {
  it('adds an entry with a copy of the MAC and the given state', () => {
    const fdb = newFdb();
    const m = mac(HOST);
    const entry = fdb.add(m, makeRemote(PEER_1, 4789), 'permanent', 7);
    m.fill(0);
    expect(formatMac(entry.mac)).toBe(HOST);
    expect(fdb.get(mac(HOST))).toBe(entry);
    expect(entry).toMatchObject({ state: 'permanent', updated: 7 });
    expect(fdb.get(ZERO_MAC)).toBeUndefined();
  });

  it('is exclusive: a second add for the same MAC throws FdbError and changes nothing', () => {
    const fdb = newFdb();
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 0);
    expect(() => fdb.add(mac(HOST), makeRemote(PEER_2, 4789), 'static', 1)).toThrow(FdbError);
    expect(() => fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 1)).toThrow(FdbError);
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_1}:4789`]);
    expect(fdb.get(mac(HOST))!.state).toBe('permanent');
    expect(fdb.size).toBe(1);
  });

  it('refuses to add over a learned entry', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    expect(() => fdb.add(mac(HOST), makeRemote(PEER_2, 4789), 'static', 1)).toThrow(FdbError);
    expect(fdb.get(mac(HOST))!.state).toBe('dynamic');
  });
});

describe('Fdb.append', () => {
  it('builds the default (all-zeros) list', () => {
    const fdb = newFdb();
    const first = fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    const second = fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    expect(second).toBe(first);
    expect(fdb.defaultEntry()).toBe(first);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual([`${PEER_1}:4789`, `${PEER_2}:4789`]);
    expect(fdb.size).toBe(1);
  });

  it('builds a list for a multicast MAC', () => {
    const fdb = newFdb();
    fdb.append(mac(GROUP), makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(mac(GROUP), makeRemote(PEER_3, 4789), 'permanent', 0);
    expect(remotesOf(fdb, GROUP)).toEqual([`${PEER_1}:4789`, `${PEER_3}:4789`]);
    expect(fdb.defaultEntry()).toBeUndefined();
  });

  it('treats an identical remote as a no-op, but the same address on another port as new', () => {
    const fdb = newFdb();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual([`${PEER_1}:4789`]);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 8472), 'permanent', 0);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual([`${PEER_1}:4789`, `${PEER_1}:8472`]);
  });

  it('compares addresses as bytes: one IPv6 remote however it is written', () => {
    const fdb = newFdb();
    for (const text of ['2001:db8::1', '2001:db8:0:0:0:0:0:1', '2001:DB8::1']) fdb.append(ZERO_MAC, makeRemote(text, 4789), 'permanent', 0);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual(['2001:db8::1:4789']);
    expect(fdb.delete(ZERO_MAC, makeRemote('2001:0db8::1', 4789))).toBe(true);
    expect(fdb.defaultEntry()).toBeUndefined();
  });

  it('refuses a unicast MAC with FdbError', () => {
    const fdb = newFdb();
    expect(() => fdb.append(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 0)).toThrow(FdbError);
    expect(fdb.size).toBe(0);
  });
});

describe('Fdb.delete', () => {
  it('without a remote removes the whole entry', () => {
    const fdb = newFdb();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    expect(fdb.delete(ZERO_MAC)).toBe(true);
    expect(fdb.defaultEntry()).toBeUndefined();
    expect(fdb.size).toBe(0);
    expect(fdb.delete(ZERO_MAC)).toBe(false);
  });

  it('with a remote removes only that remote', () => {
    const fdb = newFdb();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_3, 4789), 'permanent', 0);
    expect(fdb.delete(ZERO_MAC, makeRemote(PEER_2, 4789))).toBe(true);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual([`${PEER_1}:4789`, `${PEER_3}:4789`]);
  });

  it('with a remote not in the entry (or on another port) returns false and changes nothing', () => {
    const fdb = newFdb();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    expect(fdb.delete(ZERO_MAC, makeRemote(PEER_2, 4789))).toBe(false);
    expect(fdb.delete(ZERO_MAC, makeRemote(PEER_1, 8472))).toBe(false);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual([`${PEER_1}:4789`]);
  });

  it('removes the entry with its last remote', () => {
    const fdb = newFdb();
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'static', 0);
    expect(fdb.delete(mac(HOST), makeRemote(PEER_1, 4789))).toBe(true);
    expect(fdb.get(mac(HOST))).toBeUndefined();
    expect(fdb.size).toBe(0);
  });

  it('returns false for a MAC without an entry', () => {
    const fdb = newFdb();
    expect(fdb.delete(mac(HOST))).toBe(false);
    expect(fdb.delete(mac(HOST), makeRemote(PEER_1, 4789))).toBe(false);
  });
});

describe('Fdb max-address', () => {
  const limited = (maxAddress: number): Fdb => new Fdb({ learnedPort: 4789, ageingMs: AGEING, maxAddress });

  /** The FdbError `call` throws; fails when it throws nothing or something else. */
  const fdbError = (call: () => unknown): string => thrownMessage(call, FdbError);

  it('refuses an add beyond the limit, naming max-address, and changes nothing', () => {
    const fdb = limited(2);
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.add(mac(HOST_B), makeRemote(PEER_2, 4789), 'static', 0);
    expect(fdbError(() => fdb.add(mac('02:00:00:00:00:0c'), makeRemote(PEER_3, 4789), 'permanent', 0))).toContain('max-address 2');
    expect(fdb.size).toBe(2);
    expect(fdb.get(mac('02:00:00:00:00:0c'))).toBeUndefined();
  });

  it('counts the default entry', () => {
    const fdb = limited(2);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.add(mac(HOST), makeRemote(PEER_2, 4789), 'permanent', 0);
    expect(fdbError(() => fdb.add(mac(HOST_B), makeRemote(PEER_3, 4789), 'permanent', 0))).toContain('max-address');
    expect(fdb.learn(mac(HOST_B), 0, ip(PEER_3), 0, 0)).toBe('full');
  });

  it('refuses an append that would create an entry, but appends to an existing list', () => {
    const fdb = limited(1);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    expect(fdbError(() => fdb.append(mac(GROUP), makeRemote(PEER_2, 4789), 'permanent', 0))).toContain('max-address 1');
    expect(fdb.get(mac(GROUP))).toBeUndefined();
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    expect(remotesOf(fdb, '00:00:00:00:00:00')).toEqual([`${PEER_1}:4789`, `${PEER_2}:4789`]);
    expect(fdb.size).toBe(1);
  });

  it('learns no new MAC when full ("full"), but still refreshes and moves the ones it has', () => {
    const fdb = limited(2);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0)).toBe('learned');
    expect(fdb.learn(mac(HOST_B), 0, ip(PEER_1), 0, 0)).toBe('learned');
    expect(fdb.learn(mac('02:00:00:00:00:0c'), 0, ip(PEER_1), 0, 0)).toBe('full');
    expect(fdb.get(mac('02:00:00:00:00:0c'))).toBeUndefined();
    expect(fdb.size).toBe(2);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 5)).toBe('refreshed');
    expect(fdb.learn(mac(HOST_B), 0, ip(PEER_2), 0, 6)).toBe('moved');
    expect(remotesOf(fdb, HOST_B)).toEqual([`${PEER_2}:4789`]);
  });

  it('makes room again when an entry goes', () => {
    const fdb = limited(1);
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    expect(fdb.learn(mac(HOST_B), 0, ip(PEER_1), 0, 0)).toBe('full');
    expect(fdb.sweep(AGEING)).toHaveLength(1);
    expect(fdb.learn(mac(HOST_B), 0, ip(PEER_1), 0, AGEING)).toBe('learned');
    expect(fdb.delete(mac(HOST_B))).toBe(true);
    expect(fdb.add(mac(HOST), makeRemote(PEER_2, 4789), 'static', 0).state).toBe('static');
  });

  it('has no limit at 0 or when not given', () => {
    for (const fdb of [limited(0), newFdb()]) {
      for (let i = 0; i < 300; i++) fdb.add(Uint8Array.of(0x02, 0, 0, 1, i >> 8, i & 0xff), makeRemote(PEER_1, 4789), 'static', 0);
      expect(fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0)).toBe('learned');
      expect(fdb.size).toBe(301);
    }
  });

  it('through the engine: a new source on a full FDB is delivered, not learned, and not reported', () => {
    const { engine, fdb, events } = makeEngine({ vni: 42, maxAddress: 2 });
    fdb.append(ZERO_MAC, makeRemote(PEER_3, 4789), 'permanent', 0);
    const from = (src: string): Uint8Array => vxlanDatagram(ethernetFrame({ dst: OWN_MAC, src }), 42);
    expect(decapOne(engine, from(HOST), PEER_1).delivered.count).toBe(1);
    expect(decapOne(engine, from(HOST_B), PEER_2).delivered.count).toBe(1);
    expect(fdb.size).toBe(2);
    expect(fdb.get(mac(HOST_B))).toBeUndefined();
    expect(events.map(eventText)).toEqual([`learned ${HOST} ${PEER_1}`]);
    expect(engine.counters.rxPackets).toBe(2);
    expect(engine.counters.rxDropsTotal()).toBe(0);
    // Frames to the MAC it could not learn flood to the default list.
    expect(encapOne(engine, ethernetFrame({ dst: HOST_B, src: OWN_MAC })).sent.remotes[0]!.address).toBe(PEER_3);
  });
});

describe('Fdb.replace', () => {
  it('creates a missing unicast entry with the given remote and state', () => {
    const fdb = newFdb();
    const entry = fdb.replace(mac(HOST), makeRemote(PEER_1, 8472), 'static', 5);
    expect(fdb.get(mac(HOST))).toBe(entry);
    expect(entry).toMatchObject({ state: 'static', updated: 5 });
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_1}:8472`]);
    expect(fdb.size).toBe(1);
  });

  it('rewrites the remote, state and time of an existing entry, in place', () => {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    const before = fdb.get(mac(HOST))!;
    const after = fdb.replace(mac(HOST), makeRemote('2001:db8::2', 4790, 9), 'permanent', 70);
    expect(after).toBe(before);
    expect(after.state).toBe('permanent');
    expect(after.updated).toBe(70);
    expect(after.remotes).toEqual([{ ...expectedRemote('2001:db8::2', 6, 4790), vni: 9 }]);
    expect(fdb.size).toBe(1);
    // Now permanent: it no longer ages or moves.
    expect(fdb.sweep(10 * AGEING)).toEqual([]);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_3), 0, 80)).toBe('conflict');
  });

  it('turns a permanent entry dynamic, which then moves', () => {
    const fdb = newFdb();
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.replace(mac(HOST), makeRemote(PEER_2, 4789), 'dynamic', 1);
    expect(fdb.learn(mac(HOST), 0, ip(PEER_3), 0, 2)).toBe('moved');
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_3}:4789`]);
  });

  it.each([
    ['the all-zeros MAC', '00:00:00:00:00:00'],
    ['a multicast MAC', GROUP],
    ['broadcast', 'ff:ff:ff:ff:ff:ff'],
  ])('refuses %s with FdbError and changes nothing', (_, text) => {
    const fdb = newFdb();
    fdb.append(mac(text), makeRemote(PEER_1, 4789), 'permanent', 0);
    expect(() => fdb.replace(mac(text), makeRemote(PEER_2, 4789), 'permanent', 1)).toThrow(FdbError);
    expect(remotesOf(fdb, text)).toEqual([`${PEER_1}:4789`]);
    expect(() => fdb.replace(mac('33:33:00:00:00:01'), makeRemote(PEER_2, 4789), 'permanent', 1)).toThrow(FdbError);
    expect(fdb.size).toBe(1);
  });

  it('rewrites an entry on a full FDB, but does not create one there', () => {
    const fdb = new Fdb({ learnedPort: 4789, ageingMs: AGEING, maxAddress: 1 });
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.replace(mac(HOST), makeRemote(PEER_2, 4789), 'static', 1);
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_2}:4789`]);
    expect(() => fdb.replace(mac(HOST_B), makeRemote(PEER_2, 4789), 'static', 1)).toThrow(/max-address/);
    expect(fdb.size).toBe(1);
  });
});

describe('Fdb.flush', () => {
  const HOST_C = '02:00:00:00:00:0c';
  const HOST_D = '02:00:00:00:00:0d';
  const HOST_E = '02:00:00:00:00:0e';

  /**
   * dynamic HOST (PEER_1), static HOST_B (PEER_2:8472), permanent HOST_C (PEER_1),
   * static HOST_D (PEER_3 vni 200), dynamic HOST_E (2001:db8::5), permanent GROUP
   * (PEER_1, PEER_3), permanent default list (PEER_1, PEER_2).
   */
  function populated(): Fdb {
    const fdb = newFdb();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, 0);
    fdb.add(mac(HOST_B), makeRemote(PEER_2, 8472), 'static', 0);
    fdb.add(mac(HOST_C), makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.add(mac(HOST_D), makeRemote(PEER_3, 4789, 200), 'static', 0);
    fdb.learn(mac(HOST_E), 0, ip('2001:db8::5'), 0, 0);
    fdb.append(mac(GROUP), makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(mac(GROUP), makeRemote(PEER_3, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    return fdb;
  }

  /** A flush run to its end, 2 entries a slice: each case crosses slices. */
  function flush(fdb: Fdb, filter: FlushFilter): FlushResult {
    const run = fdb.flush(filter, 2);
    for (let step = run.next(); ; step = run.next()) if (step.done === true) return step.value;
  }

  const macs = (entries: { mac: Uint8Array }[]): string[] => entries.map((e) => formatMac(e.mac)).sort();
  /** Every remote as "mac dst:port", to see exactly which ones a flush took. */
  const remotes = (fdb: Fdb): string[] =>
    fdb.entries().flatMap((e) => e.remotes.map((r) => `${formatMac(e.mac)} ${r.address}:${r.port}`)).sort();
  /** The MACs that lost at least one remote between two listings. */
  const touched = (before: string[], after: string[]): string[] =>
    [...new Set(before.filter((r) => !after.includes(r)).map((r) => r.split(' ')[0]!))].sort();

  it.each<[string, FlushFilter, string[]]>([
    ['no filter: dynamic and static, never permanent', {}, [HOST, HOST_B, HOST_D, HOST_E]],
    ['state dynamic', { state: 'dynamic' }, [HOST, HOST_E]],
    ['state static', { state: 'static' }, [HOST_B, HOST_D]],
    ['state permanent, without dst: not the default list', { state: 'permanent' }, [HOST_C, GROUP]],
    ['dst: the default list too, being named', { dst: PEER_1 }, [HOST, '00:00:00:00:00:00']],
    ['dst of an IPv6 remote', { dst: '2001:db8::5' }, [HOST_E]],
    ['dst and state permanent: the default list too', { dst: PEER_1, state: 'permanent' }, [HOST_C, GROUP, '00:00:00:00:00:00']],
    ['dst matching one remote of a list', { dst: PEER_3, state: 'permanent' }, [GROUP]],
    ['port', { port: 8472 }, [HOST_B]],
    ['port and a state it does not match', { port: 8472, state: 'dynamic' }, []],
    ['vni', { vni: 200 }, [HOST_D]],
    ['vni and dst both matching', { vni: 200, dst: PEER_3 }, [HOST_D]],
    ['vni and dst of different remotes', { vni: 200, dst: PEER_1 }, []],
    ['port and dst', { port: 4789, dst: PEER_2 }, ['00:00:00:00:00:00']],
    ['dst and state static: not the permanent default list', { dst: PEER_2, state: 'static' }, [HOST_B]],
  ])('%s', (_, filter, removed) => {
    const fdb = populated();
    const before = remotes(fdb);
    const result = flush(fdb, filter);
    const after = remotes(fdb);
    expect(touched(before, after)).toEqual([...removed].sort());
    expect(result.remotes).toBe(before.length - after.length);
    expect(result.entries).toBe(macs(populated().entries()).length - macs(fdb.entries()).length);
  });

  it('takes only the matching remotes of a list; the entry goes with its last remote', () => {
    const fdb = populated();
    expect(flush(fdb, { dst: PEER_3, state: 'permanent' })).toEqual({ entries: 0, remotes: 1 });
    expect(remotes(fdb).filter((r) => r.startsWith(GROUP))).toEqual([`${GROUP} ${PEER_1}:4789`]);
    // HOST_C and GROUP go whole; the default list loses one of its two remotes.
    expect(flush(fdb, { dst: PEER_1, state: 'permanent' })).toEqual({ entries: 2, remotes: 3 });
    expect(macs(fdb.entries())).not.toContain(GROUP);
    expect(remotes(fdb).filter((r) => r.startsWith('00:00:00:00:00:00'))).toEqual([`00:00:00:00:00:00 ${PEER_2}:4789`]);
  });

  it('leaves a static default list alone unless a dst is given', () => {
    const fdb = newFdb();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'static', 0);
    expect(flush(fdb, {})).toEqual({ entries: 0, remotes: 0 });
    expect(flush(fdb, { state: 'static' })).toEqual({ entries: 0, remotes: 0 });
    expect(fdb.defaultEntry()).toBeDefined();
    expect(flush(fdb, { dst: PEER_1 })).toEqual({ entries: 1, remotes: 1 });
    expect(fdb.defaultEntry()).toBeUndefined();
  });

  it('passes over entries removed (and added anew) between slices, and leaves entries added meanwhile', () => {
    const fdb = populated();
    const run = fdb.flush({ state: 'dynamic' }, 1);
    run.next();
    fdb.delete(mac(HOST_E));
    fdb.delete(mac(HOST));
    fdb.add(mac(HOST), makeRemote(PEER_2, 4789), 'dynamic', 0);
    fdb.learn(mac('02:00:00:00:00:0f'), 0, ip(PEER_3), 0, 0);
    for (let step = run.next(); step.done !== true; step = run.next());
    expect(remotesOf(fdb, HOST)).toEqual([`${PEER_2}:4789`]);
    expect(remotesOf(fdb, '02:00:00:00:00:0f')).toEqual([`${PEER_3}:4789`]);
    expect(fdb.get(mac(HOST_E))).toBeUndefined();
  });

  it('returns nothing from an empty FDB', () => {
    expect(flush(newFdb(), {})).toEqual({ entries: 0, remotes: 0 });
  });
});

describe('remotes with their own VNI', () => {
  it('sameRemote tells VNIs apart, the segment VNI (undefined) included', () => {
    expect(sameRemote(makeRemote(PEER_1, 4789, 200), makeRemote(PEER_1, 4789, 200))).toBe(true);
    expect(sameRemote(makeRemote(PEER_1, 4789, 200), makeRemote(PEER_1, 4789, 201))).toBe(false);
    expect(sameRemote(makeRemote(PEER_1, 4789), makeRemote(PEER_1, 4789, 0))).toBe(false);
    expect(sameRemote(makeRemote(PEER_1, 4789), makeRemote(PEER_1, 4789))).toBe(true);
  });

  it('lets one address appear once per VNI in a list, and deletes by VNI', () => {
    const fdb = newFdb();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789, 200), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789, 200), 'permanent', 0);
    expect(fdb.defaultEntry()!.remotes.map((r) => r.vni)).toEqual([undefined, 200]);
    expect(fdb.delete(ZERO_MAC, makeRemote(PEER_1, 4789, 300))).toBe(false);
    expect(fdb.delete(ZERO_MAC, makeRemote(PEER_1, 4789, 200))).toBe(true);
    expect(fdb.defaultEntry()!.remotes.map((r) => r.vni)).toEqual([undefined]);
  });
});

describe('entries set as a listing shows them', () => {
  it('Fdb.set appends to a list MAC and replaces a unicast one', () => {
    const fdb = newFdb();
    const [a, b] = [makeRemote('198.51.100.1', 4789), makeRemote('198.51.100.2', 4789)];
    fdb.set(ZERO_MAC, a, 'permanent', 0);
    fdb.set(ZERO_MAC, b, 'permanent', 0);
    expect(fdb.get(ZERO_MAC)!.remotes.map((r) => r.address)).toEqual(['198.51.100.1', '198.51.100.2']);
    const unicast = mac('02:00:00:00:00:07');
    fdb.set(unicast, a, 'static', 0);
    fdb.set(unicast, b, 'permanent', 0);
    expect(fdb.get(unicast)!.remotes.map((r) => r.address)).toEqual(['198.51.100.2']);
    expect(fdb.get(unicast)!.state).toBe('permanent');
  });

  it('NeighTable.replace overwrites an entry that add would refuse', () => {
    const table = new NeighTable();
    table.add('192.0.2.7', mac('02:00:00:00:00:01'));
    expect(() => table.add('192.0.2.7', mac('02:00:00:00:00:02'))).toThrow();
    table.replace('192.0.2.7', mac('02:00:00:00:00:02'), true, 'membership');
    const entry = table.get('192.0.2.7')!;
    expect(formatMac(entry.mac)).toBe('02:00:00:00:00:02');
    expect([entry.router, entry.owner]).toEqual([true, 'membership']);
  });
});
