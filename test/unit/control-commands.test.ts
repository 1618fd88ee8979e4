// The control socket's request handlers (runCommand), against a real engine, FDB and
// neighbour table behind a plain SegmentTables.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestError, runCommand, type ControlContext, type ControlRequest, type FdbRow } from '../../src/control/commands.js';
import { ZERO_MAC } from '../../src/engine/fdb.js';
import { makeRemote } from '../../src/engine/remote.js';
import type { SegmentTables } from '../../src/control/segment-tables.js';
import { formatMac } from '../../src/wire/mac.js';
import {
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
} from './frames.js';
import { thrownMessage } from './thrown.js';

const VNI = 42;
const TAP = 'vx0';
const NOW = 1_700_000_000_000;
const GROUP = '01:00:5e:00:00:01';
const DEFAULT = '00:00:00:00:00:00';

interface Setup {
  family?: 4 | 6;
  port?: number;
  maxAddress?: number;
  proxy?: boolean;
}

/** runCommand on a segment of VNI 42 whose underlay port is 4789 (unless told). */
function control({ family = 4, port = 4789, maxAddress, proxy }: Setup = {}) {
  const under = makeEngine({ vni: VNI, maxAddress, proxy });
  const stats = { rxPackets: 7, drops: { noTarget: 1 } };
  const { fdb, neighbours, counters } = under.engine;
  const segment: SegmentTables = { vni: VNI, tapName: TAP, fdb, neighbours, counters };
  const ctx: ControlContext = { segment, port, family, stats: () => stats };
  const run = (request: ControlRequest): unknown => runCommand(request, ctx);
  return { ...under, ctx, run, stats };
}

/** The message of the RequestError `call` throws; fails when it throws nothing or something else. */
const requestError = (call: () => unknown): string => thrownMessage(call, RequestError);

const byMacAndDst = (a: FdbRow, b: FdbRow): number => `${a.mac} ${a.dst}`.localeCompare(`${b.mac} ${b.dst}`);
const sorted = (rows: unknown): FdbRow[] => [...(rows as FdbRow[])].sort(byMacAndDst);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('fdb.show', () => {
  it('lists nothing for an empty FDB', () => {
    expect(control().run({ cmd: 'fdb.show' })).toEqual([]);
  });

  it('lists one row per remote, with the VNI each is reached with, and an age for dynamic entries only', () => {
    const { fdb, run } = control();
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', NOW);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 8472, 200), 'permanent', NOW);
    fdb.learn(mac(HOST), 0, ip(PEER_3), 0, NOW - 12_500);
    fdb.add(mac(HOST_B), makeRemote('2001:db8::2', 4789), 'static', NOW - 60_000);
    expect(sorted(run({ cmd: 'fdb.show' }))).toStrictEqual([
      { mac: DEFAULT, dev: TAP, dst: PEER_1, port: 4789, vni: VNI, state: 'permanent' },
      { mac: DEFAULT, dev: TAP, dst: PEER_2, port: 8472, vni: 200, state: 'permanent' },
      { mac: HOST, dev: TAP, dst: PEER_3, port: 4789, vni: VNI, state: 'dynamic', age: 12 },
      { mac: HOST_B, dev: TAP, dst: '2001:db8::2', port: 4789, vni: VNI, state: 'static' },
    ]);
  });

  it('gives the age in whole seconds since the last frame', () => {
    const { fdb, run } = control();
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, NOW - 999);
    fdb.learn(mac(HOST_B), 0, ip(PEER_1), 0, NOW - 300_000);
    expect(sorted(run({ cmd: 'fdb.show' })).map((r) => r.age)).toEqual([0, 300]);
  });
});

describe('fdb.add', () => {
  it('adds a permanent entry to the underlay port and the segment VNI by default, and returns its rows', () => {
    const { fdb, run } = control({ port: 8472 });
    expect(run({ cmd: 'fdb.add', mac: HOST, dst: PEER_1 })).toStrictEqual([
      { mac: HOST, dev: TAP, dst: PEER_1, port: 8472, vni: VNI, state: 'permanent' },
    ]);
    const entry = fdb.get(mac(HOST))!;
    expect(entry.state).toBe('permanent');
    expect(entry.updated).toBe(NOW);
    expect(entry.remotes.map((r) => [r.address, r.port, r.vni])).toEqual([[PEER_1, 8472, undefined]]);
  });

  it('takes port, vni and state, as numbers or strings', () => {
    const { fdb, run } = control();
    run({ cmd: 'fdb.add', mac: HOST, dst: PEER_1, port: 4790, vni: '200', state: 'static' });
    run({ cmd: 'fdb.add', mac: HOST_B, dst: PEER_2, port: '4791', vni: 42, state: 'dynamic' });
    expect(fdb.get(mac(HOST))!.remotes.map((r) => [r.port, r.vni])).toEqual([[4790, 200]]);
    expect(fdb.get(mac(HOST))!.state).toBe('static');
    // The segment's own VNI is stored as "the segment's".
    expect(fdb.get(mac(HOST_B))!.remotes.map((r) => [r.port, r.vni])).toEqual([[4791, undefined]]);
    expect(fdb.get(mac(HOST_B))!.state).toBe('dynamic');
  });

  it('writes dst in canonical form and accepts upper-case MACs', () => {
    const { ctx, fdb, run } = control({ family: 6 });
    expect(run({ cmd: 'fdb.add', mac: '02:AB:CD:00:00:01', dst: '2001:DB8:0:0::7' })).toMatchObject([
      { mac: '02:ab:cd:00:00:01', dst: '2001:db8::7' },
    ]);
    expect(fdb.get(mac('02:ab:cd:00:00:01'))!.remotes[0]!.family).toBe(6);
    expect(ctx.family).toBe(6);
  });

  it('refuses a MAC that has an entry, and changes nothing', () => {
    const { fdb, run } = control();
    run({ cmd: 'fdb.add', mac: HOST, dst: PEER_1 });
    expect(requestError(() => run({ cmd: 'fdb.add', mac: HOST, dst: PEER_2 }))).toContain('exists');
    expect(fdb.get(mac(HOST))!.remotes.map((r) => r.address)).toEqual([PEER_1]);
  });

  it('refuses an entry beyond max-address', () => {
    const { fdb, run } = control({ maxAddress: 1 });
    run({ cmd: 'fdb.add', mac: HOST, dst: PEER_1 });
    expect(requestError(() => run({ cmd: 'fdb.add', mac: HOST_B, dst: PEER_1 }))).toContain('max-address 1');
    expect(fdb.size).toBe(1);
  });

  it.each<[string, ControlRequest, string]>([
    ['a bad MAC', { cmd: 'fdb.add', mac: '02:00:00:00:00', dst: PEER_1 }, 'mac must be a MAC like 02:00:00:00:00:01, not "02:00:00:00:00"'],
    ['no MAC', { cmd: 'fdb.add', dst: PEER_1 }, 'mac is required'],
    ['a MAC of the wrong JSON type', { cmd: 'fdb.add', mac: ['02:00:00:00:00:0a'], dst: PEER_1 }, 'mac must be a string or a number'],
    ['no dst', { cmd: 'fdb.add', mac: HOST }, 'dst is required'],
    ['a dst that is not an address', { cmd: 'fdb.add', mac: HOST, dst: '192.0.2' }, 'dst must be an IPv4 or IPv6 address, not "192.0.2"'],
    ['an IPv6 dst on an IPv4 underlay', { cmd: 'fdb.add', mac: HOST, dst: '2001:db8::1' }, 'dst 2001:db8::1 is IPv6 but the underlay is IPv4'],
    ['a port out of range', { cmd: 'fdb.add', mac: HOST, dst: PEER_1, port: 65536 }, 'port must be from 1 to 65535, not 65536'],
    ['port 0', { cmd: 'fdb.add', mac: HOST, dst: PEER_1, port: 0 }, 'port must be from 1 to 65535, not 0'],
    ['a negative port', { cmd: 'fdb.add', mac: HOST, dst: PEER_1, port: -1 }, 'port must be a whole number'],
    ['a VNI out of range', { cmd: 'fdb.add', mac: HOST, dst: PEER_1, vni: 16777216 }, 'vni must be from 0 to 16777215, not 16777216'],
    ['an unknown state', { cmd: 'fdb.add', mac: HOST, dst: PEER_1, state: 'sticky' }, 'state must be permanent, static or dynamic, not "sticky"'],
  ])('refuses %s', (_, request, message) => {
    const { fdb, run } = control();
    expect(requestError(() => run(request))).toContain(message);
    expect(fdb.size).toBe(0);
  });

  it('refuses an IPv4 dst on an IPv6 underlay', () => {
    const { run } = control({ family: 6 });
    expect(requestError(() => run({ cmd: 'fdb.add', mac: HOST, dst: PEER_1 }))).toBe(`dst ${PEER_1} is IPv4 but the underlay is IPv6`);
  });
});

describe('fdb.append, fdb.replace, fdb.del', () => {
  it('appends remotes to the default list and returns all its rows', () => {
    const { fdb, run } = control();
    run({ cmd: 'fdb.append', mac: DEFAULT, dst: PEER_1 });
    const rows = run({ cmd: 'fdb.append', mac: DEFAULT, dst: PEER_2, vni: 300 });
    expect(sorted(rows)).toStrictEqual([
      { mac: DEFAULT, dev: TAP, dst: PEER_1, port: 4789, vni: VNI, state: 'permanent' },
      { mac: DEFAULT, dev: TAP, dst: PEER_2, port: 4789, vni: 300, state: 'permanent' },
    ]);
    expect(fdb.defaultEntry()!.remotes).toHaveLength(2);
    // The same remote again: no change.
    expect(run({ cmd: 'fdb.append', mac: DEFAULT, dst: PEER_1 })).toHaveLength(2);
  });

  it('refuses to append to a unicast MAC', () => {
    const { fdb, run } = control();
    expect(requestError(() => run({ cmd: 'fdb.append', mac: HOST, dst: PEER_1 }))).toContain('append is only for');
    expect(fdb.size).toBe(0);
  });

  it('replaces a unicast entry, creating it if missing', () => {
    const { fdb, run } = control();
    expect(run({ cmd: 'fdb.replace', mac: HOST, dst: PEER_1, state: 'static' })).toStrictEqual([
      { mac: HOST, dev: TAP, dst: PEER_1, port: 4789, vni: VNI, state: 'static' },
    ]);
    expect(run({ cmd: 'fdb.replace', mac: HOST, dst: PEER_2, port: 8472 })).toStrictEqual([
      { mac: HOST, dev: TAP, dst: PEER_2, port: 8472, vni: VNI, state: 'permanent' },
    ]);
    expect(fdb.size).toBe(1);
  });

  it.each([DEFAULT, GROUP])('refuses to replace %s', (text) => {
    const { fdb, run } = control();
    run({ cmd: 'fdb.append', mac: text, dst: PEER_1 });
    expect(requestError(() => run({ cmd: 'fdb.replace', mac: text, dst: PEER_2 }))).toContain('replace is for unicast MACs');
    expect(fdb.get(mac(text))!.remotes.map((r) => r.address)).toEqual([PEER_1]);
  });

  it('deletes a whole entry without dst, one remote with dst', () => {
    const { fdb, run } = control();
    run({ cmd: 'fdb.append', mac: DEFAULT, dst: PEER_1 });
    run({ cmd: 'fdb.append', mac: DEFAULT, dst: PEER_2 });
    run({ cmd: 'fdb.append', mac: DEFAULT, dst: PEER_2, vni: 200 });
    run({ cmd: 'fdb.add', mac: HOST, dst: PEER_3 });
    expect(run({ cmd: 'fdb.del', mac: DEFAULT, dst: PEER_2, vni: 200 })).toBeNull();
    expect(fdb.defaultEntry()!.remotes.map((r) => [r.address, r.vni])).toEqual([
      [PEER_1, undefined],
      [PEER_2, undefined],
    ]);
    expect(run({ cmd: 'fdb.del', mac: DEFAULT, dst: PEER_1 })).toBeNull();
    expect(fdb.defaultEntry()!.remotes.map((r) => r.address)).toEqual([PEER_2]);
    expect(run({ cmd: 'fdb.del', mac: HOST })).toBeNull();
    expect(fdb.get(mac(HOST))).toBeUndefined();
    expect(fdb.size).toBe(1);
  });

  it('refuses to delete what is not there', () => {
    const { fdb, run } = control();
    run({ cmd: 'fdb.add', mac: HOST, dst: PEER_1 });
    expect(requestError(() => run({ cmd: 'fdb.del', mac: HOST_B }))).toBe(`no such entry: ${HOST_B}`);
    expect(requestError(() => run({ cmd: 'fdb.del', mac: HOST, dst: PEER_2 }))).toBe(`no such entry: ${HOST} dst ${PEER_2}`);
    expect(requestError(() => run({ cmd: 'fdb.del', mac: HOST, dst: PEER_1, port: 8472 }))).toContain('no such entry');
    expect(requestError(() => run({ cmd: 'fdb.del', mac: 'nonsense' }))).toContain('mac must be a MAC');
    expect(fdb.get(mac(HOST))).toBeDefined();
  });
});

describe('fdb.flush', () => {
  function populated() {
    const setup = control();
    const { fdb } = setup;
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', NOW);
    fdb.learn(mac(HOST), 0, ip(PEER_1), 0, NOW);
    fdb.learn(mac(HOST_B), 0, ip(PEER_2), 0, NOW);
    fdb.add(mac('02:00:00:00:00:0c'), makeRemote(PEER_3, 8472, 200), 'static', NOW);
    fdb.add(mac('02:00:00:00:00:0d'), makeRemote(PEER_1, 4789), 'permanent', NOW);
    return setup;
  }
  const left = (fdb: { entries(): { mac: Uint8Array }[] }): string[] => fdb.entries().map((e) => formatMac(e.mac)).sort();

  it('removes dynamic and static entries by default, keeping permanent ones and the default list', async () => {
    const { fdb, run } = populated();
    await expect(run({ cmd: 'fdb.flush' })).resolves.toEqual({ entries: 3, remotes: 3 });
    expect(left(fdb)).toEqual([DEFAULT, '02:00:00:00:00:0d']);
  });

  it.each<[string, Omit<ControlRequest, 'cmd'>, number, string[]]>([
    ['dst, the flood list included', { dst: PEER_1 }, 2, [HOST_B, '02:00:00:00:00:0c', '02:00:00:00:00:0d']],
    ['state', { state: 'static' }, 1, [DEFAULT, HOST, HOST_B, '02:00:00:00:00:0d']],
    ['port', { port: 8472 }, 1, [DEFAULT, HOST, HOST_B, '02:00:00:00:00:0d']],
    ['another VNI', { vni: 200 }, 1, [DEFAULT, HOST, HOST_B, '02:00:00:00:00:0d']],
    ["the VTEP's own VNI (remotes that carry none)", { vni: VNI }, 2, [DEFAULT, '02:00:00:00:00:0c', '02:00:00:00:00:0d']],
    ['state permanent with dst', { state: 'permanent', dst: PEER_1 }, 2, [HOST, HOST_B, '02:00:00:00:00:0c']],
  ])('filters by %s', async (_, filter, removed, kept) => {
    const { fdb, run } = populated();
    await expect(run({ cmd: 'fdb.flush', ...filter })).resolves.toEqual({ entries: removed, remotes: removed });
    expect(left(fdb)).toEqual(kept);
  });

  it.each<[string, Omit<ControlRequest, 'cmd'>, string]>([
    ['a dst of the wrong family', { dst: '2001:db8::1' }, 'is IPv6 but the underlay is IPv4'],
    ['a bad dst', { dst: 'nowhere' }, 'dst must be an IPv4 or IPv6 address'],
    ['a bad state', { state: 'all' }, 'state must be permanent, static or dynamic'],
    ['a bad port', { port: 'x' }, 'port must be a whole number'],
  ])('refuses %s and removes nothing', (_, filter, message) => {
    const { fdb, run } = populated();
    expect(requestError(() => run({ cmd: 'fdb.flush', ...filter }))).toContain(message);
    expect(fdb.size).toBe(5);
  });
});

describe('neigh.add, neigh.show, neigh.del', () => {
  it('adds IPv4 and IPv6 neighbours, in canonical form, with the router flag', () => {
    const { run } = control();
    expect(run({ cmd: 'neigh.add', ip: '192.0.2.10', lladdr: '02:00:00:00:00:0A' })).toBeNull();
    expect(run({ cmd: 'neigh.add', ip: '2001:DB8:0::a', lladdr: HOST_B, router: true })).toBeNull();
    expect(run({ cmd: 'neigh.show' })).toEqual([
      { ip: '192.0.2.10', lladdr: HOST, router: false, dev: TAP },
      { ip: '2001:db8::a', lladdr: HOST_B, router: true, dev: TAP },
    ]);
  });

  it('takes only JSON true or false as the router flag', () => {
    const { neighbours, run } = control();
    expect(requestError(() => run({ cmd: 'neigh.add', ip: '192.0.2.10', lladdr: HOST, router: 'yes' }))).toBe('router must be true or false');
    expect(neighbours.list()).toEqual([]);
  });

  it('refuses an address with a zone index instead of dropping the zone', () => {
    const { neighbours, run } = control();
    expect(requestError(() => run({ cmd: 'neigh.add', ip: 'fe80::1%eth0', lladdr: HOST }))).toContain('ip must be an address without a zone index, not "fe80::1%eth0"');
    expect(neighbours.list()).toEqual([]);
  });

  it('refuses fields the command does not take', () => {
    const { neighbours, run } = control();
    expect(requestError(() => run({ cmd: 'neigh.add', ip: '192.0.2.10', lladdr: HOST, dst: PEER_1 }))).toBe('unknown field dst (known: ip, lladdr, router)');
    expect(neighbours.list()).toEqual([]);
  });

  it('refuses an address that has an entry, however it is written', () => {
    const { run } = control();
    run({ cmd: 'neigh.add', ip: '2001:db8::a', lladdr: HOST });
    expect(requestError(() => run({ cmd: 'neigh.add', ip: '2001:db8:0:0::A', lladdr: HOST_B }))).toContain('exists');
    expect(run({ cmd: 'neigh.show' })).toEqual([{ ip: '2001:db8::a', lladdr: HOST, router: false, dev: TAP }]);
  });

  it.each<[string, ControlRequest, string]>([
    ['no ip', { cmd: 'neigh.add', lladdr: HOST }, 'ip is required'],
    ['a bad ip', { cmd: 'neigh.add', ip: '192.0.2.256', lladdr: HOST }, 'ip must be an IPv4 or IPv6 address, not "192.0.2.256"'],
    ['no lladdr', { cmd: 'neigh.add', ip: '192.0.2.10' }, 'lladdr is required'],
    ['a bad lladdr', { cmd: 'neigh.add', ip: '192.0.2.10', lladdr: '02:00:00:00:00' }, 'lladdr must be a MAC like'],
    ['a multicast lladdr', { cmd: 'neigh.add', ip: '192.0.2.10', lladdr: GROUP }, 'lladdr must be a unicast, non-zero MAC'],
    ['an all-zero lladdr', { cmd: 'neigh.add', ip: '192.0.2.10', lladdr: DEFAULT }, 'lladdr must be a unicast, non-zero MAC'],
  ])('refuses %s', (_, request, message) => {
    const { neighbours, run } = control();
    expect(requestError(() => run(request))).toContain(message);
    expect(neighbours.list()).toEqual([]);
  });

  it('deletes a neighbour, however its address is written, and refuses an unknown one', () => {
    const { run } = control();
    run({ cmd: 'neigh.add', ip: '2001:db8::a', lladdr: HOST });
    run({ cmd: 'neigh.add', ip: '192.0.2.10', lladdr: HOST_B });
    expect(run({ cmd: 'neigh.del', ip: '2001:DB8::A' })).toBeNull();
    expect(run({ cmd: 'neigh.show' })).toEqual([{ ip: '192.0.2.10', lladdr: HOST_B, router: false, dev: TAP }]);
    expect(requestError(() => run({ cmd: 'neigh.del', ip: '2001:db8::a' }))).toBe('no neighbour entry for 2001:db8::a');
    expect(requestError(() => run({ cmd: 'neigh.del', ip: 'x' }))).toContain('ip must be an IPv4 or IPv6 address');
  });

  it('feeds the proxy: an ARP request is answered once the neighbour is added', () => {
    const { engine, run } = control({ proxy: true });
    const request = (): Uint8Array =>
      ethernetFrame({
        dst: 'ff:ff:ff:ff:ff:ff',
        src: OWN_MAC,
        payload: Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1, ...mac(OWN_MAC), 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 10),
      });
    expect(encapOne(engine, request()).toTap.count).toBe(0);
    run({ cmd: 'neigh.add', ip: '192.0.2.10', lladdr: HOST });
    const { buf, toTap } = encapOne(engine, request());
    expect(toTap.count).toBe(1);
    expect(formatMac(buf, toTap.offset(0) + 6)).toBe(HOST);
    run({ cmd: 'neigh.del', ip: '192.0.2.10' });
    expect(encapOne(engine, request()).toTap.count).toBe(0);
  });
});

describe('stats and unknown commands', () => {
  it("returns the context's stats", () => {
    const { run, stats } = control();
    expect(run({ cmd: 'stats' })).toBe(stats);
  });

  it.each(['fdb.list', 'neigh.flush', '', 'FDB.SHOW'])('refuses the command %j', (cmd) => {
    expect(requestError(() => control().run({ cmd }))).toBe(`unknown command "${cmd}"`);
  });
});
