// The pure parts of membership: reading records, the entries a VNI should hold, the
// conflict rule, the changes between two states, and the membership settings.
import { describe, expect, it } from 'vitest';
import { changeCount, desiredState, diff, emptyDesired, heldAfter, noChanges, programmedState, type Desired } from '../../src/membership/reconcile.js';
import { memberKey, readRecord, type Member, type MemberRecord } from '../../src/membership/record.js';
import { buildMembership } from '../../src/config/membership.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { buildVtepConfig } from '../../src/config/vtep-config.js';
import { ConfigError } from '../../src/config/errors.js';
import { Fdb, ZERO_MAC } from '../../src/engine/fdb.js';
import { NeighTable } from '../../src/engine/neigh.js';
import { makeRemote } from '../../src/engine/remote.js';
import { MEMBERSHIP, SegmentSink } from '../../src/membership/segment-sink.js';
import { parseMac } from '../../src/wire/mac.js';

const key = (n: number): string => memberKey('/vxlan-tap/', 'default', `198.51.100.${n}`);

function member(n: number, revision: number, vnis: MemberRecord['vnis'] = [{ vni: 42, mac: `02:00:00:00:00:0${n}`, addresses: [`192.0.2.${n}`] }]): Member {
  return { key: key(n), record: { address: `198.51.100.${n}`, port: 4789, kind: 'vxlan-tap', vnis }, createRevision: BigInt(revision), lease: String(100 + n) };
}

describe('member records', () => {
  it('reads a good record into canonical forms', () => {
    const text = JSON.stringify({ address: '2001:DB8::1', port: 4789, kind: 'kernel', vnis: [{ vni: 7, mac: '02:AA:00:00:00:01', addresses: ['2001:db8:0::5'] }] });
    expect(readRecord(text)).toEqual({ address: '2001:db8::1', port: 4789, kind: 'kernel', vnis: [{ vni: 7, mac: '02:aa:00:00:00:01', addresses: ['2001:db8::5'] }] });
  });

  it.each([
    ['{', 'not JSON'],
    ['[]', 'address is not an IP address'],
    ['{"address":"x","port":1,"kind":"kernel","vnis":[]}', 'address is not an IP address'],
    ['{"address":"198.51.100.1","port":0,"kind":"kernel","vnis":[]}', 'port is not 1..65535'],
    ['{"address":"198.51.100.1","port":4789,"kind":"router","vnis":[]}', 'kind is not vxlan-tap or kernel'],
    ['{"address":"198.51.100.1","port":4789,"kind":"kernel","vnis":{}}', 'vnis is not a list'],
    ['{"address":"198.51.100.1","port":4789,"kind":"kernel","vnis":[{"vni":16777216,"mac":"02:00:00:00:00:01","addresses":[]}]}', 'vni is not 0..16777215'],
    ['{"address":"198.51.100.1","port":4789,"kind":"kernel","vnis":[{"vni":1,"mac":"ff:ff:ff:ff:ff:ff","addresses":[]}]}', 'mac is not a unicast MAC'],
    ['{"address":"198.51.100.1","port":4789,"kind":"kernel","vnis":[{"vni":1,"mac":"02:00:00:00:00:01","addresses":["nope"]}]}', 'addresses is not a list of IP addresses'],
  ])('rejects %s: %s', (text, reason) => {
    expect(readRecord(text)).toBe(reason);
  });
});

describe('desired state', () => {
  it('gives every other member of the VNI a flood remote, an FDB entry and its neighbours; nothing for itself', () => {
    const { desired, conflicts } = desiredState([member(1, 5), member(2, 6), member(3, 7)], key(1), 42);
    expect(conflicts).toEqual([]);
    expect([...desired.flood.keys()]).toEqual(['198.51.100.2 4789', '198.51.100.3 4789']);
    expect(desired.fdb.get('02:00:00:00:00:02')).toEqual({ address: '198.51.100.2', port: 4789 });
    expect(desired.fdb.has('02:00:00:00:00:01')).toBe(false);
    expect([...desired.neigh]).toEqual([
      ['192.0.2.2', '02:00:00:00:00:02'],
      ['192.0.2.3', '02:00:00:00:00:03'],
    ]);
  });

  it('leaves out members of other VNIs', () => {
    const other = member(2, 6, [{ vni: 43, mac: '02:00:00:00:00:02', addresses: ['192.0.2.2'] }]);
    const { desired } = desiredState([member(1, 5), other], key(1), 42);
    expect(desired).toEqual(emptyDesired());
  });

  it('conflict: the older claim of a MAC wins on every host, whatever order the members come in', () => {
    const older = member(2, 6);
    const newer = member(3, 9, [{ vni: 42, mac: '02:00:00:00:00:02', addresses: ['192.0.2.3'] }]);
    for (const order of [[older, newer], [newer, older]]) {
      const { desired, conflicts } = desiredState([member(1, 5), ...order], key(1), 42);
      expect(desired.fdb.get('02:00:00:00:00:02')).toEqual({ address: '198.51.100.2', port: 4789 });
      expect(conflicts).toEqual([{ kind: 'mac', value: '02:00:00:00:00:02', winner: key(2), loser: key(3) }]);
      // The loser is left out whole: not even in the flood list.
      expect(desired.flood.has('198.51.100.3 4789')).toBe(false);
      expect(desired.neigh.has('192.0.2.3')).toBe(false);
    }
  });

  it('conflict: the older claim of an overlay address wins; equal revisions fall back to the key', () => {
    const a = member(2, 8, [{ vni: 42, mac: '02:00:00:00:00:02', addresses: ['192.0.2.9'] }]);
    const b = member(3, 8, [{ vni: 42, mac: '02:00:00:00:00:03', addresses: ['192.0.2.9'] }]);
    const { desired, conflicts } = desiredState([b, a], key(1), 42);
    expect(desired.neigh.get('192.0.2.9')).toBe('02:00:00:00:00:02');
    expect(conflicts).toEqual([{ kind: 'address', value: '192.0.2.9', winner: key(2), loser: key(3) }]);
  });

  it('never points its own MAC or address elsewhere, even at an older claim', () => {
    const older = member(2, 1, [{ vni: 42, mac: '02:00:00:00:00:01', addresses: ['192.0.2.1'] }]);
    const { desired, conflicts } = desiredState([older, member(1, 5)], key(1), 42);
    expect(desired.fdb.size).toBe(0);
    expect(desired.neigh.size).toBe(0);
    expect(conflicts.map((c) => c.kind)).toEqual(['mac', 'address']);
  });
});

describe('diff and held state', () => {
  const state = (members: Member[]): Desired => desiredState(members, key(1), 42).desired;

  it('writes what is new, removes what went, rewrites a moved MAC, and nothing when equal', () => {
    const before = state([member(1, 1), member(2, 2), member(3, 3)]);
    const moved = { ...member(3, 3), record: { ...member(3, 3).record, address: '198.51.100.33' } };
    const after = state([member(1, 1), moved, member(4, 4)]);
    const changes = diff(before, after);
    expect(changes.floodDel).toEqual([{ address: '198.51.100.2', port: 4789 }, { address: '198.51.100.3', port: 4789 }]);
    expect(changes.floodAdd).toEqual([{ address: '198.51.100.33', port: 4789 }, { address: '198.51.100.4', port: 4789 }]);
    expect(changes.fdbDel).toEqual([['02:00:00:00:00:02', { address: '198.51.100.2', port: 4789 }]]);
    expect(changes.fdbSet.map(([mac]) => mac)).toEqual(['02:00:00:00:00:03', '02:00:00:00:00:04']);
    expect(changes.neighDel).toEqual([['192.0.2.2', '02:00:00:00:00:02']]);
    expect(changes.neighSet).toEqual([['192.0.2.4', '02:00:00:00:00:04']]);
    expect(changeCount(diff(after, after))).toBe(0);
  });

  it('keeps failed writes out and failed removals in, so the next pass retries them', () => {
    const wanted = state([member(1, 1), member(2, 2)]);
    const failed = noChanges();
    failed.fdbSet.push(['02:00:00:00:00:02', { address: '198.51.100.2', port: 4789 }]);
    failed.neighDel.push(['192.0.2.7', '02:00:00:00:00:07']);
    const held = heldAfter(wanted, failed);
    expect(held.fdb.has('02:00:00:00:00:02')).toBe(false);
    expect(held.neigh.get('192.0.2.7')).toBe('02:00:00:00:00:07');
    const retry = diff(held, wanted);
    expect(retry.fdbSet.map(([mac]) => mac)).toEqual(['02:00:00:00:00:02']);
    expect(retry.neighDel).toEqual([['192.0.2.7', '02:00:00:00:00:07']]);
  });

  it('says per member whether its entries are programmed here', () => {
    const wanted = state([member(1, 1), member(2, 2)]);
    const failed = noChanges();
    failed.fdbSet.push(['02:00:00:00:00:02', { address: '198.51.100.2', port: 4789 }]);
    const held = new Map([[42, wanted]]);
    expect(programmedState(member(2, 2), key(1), held)).toBe('yes');
    expect(programmedState(member(1, 1), key(1), held)).toBe('self');
    expect(programmedState(member(2, 2), key(1), new Map([[42, heldAfter(wanted, failed)]]))).toBe('partly');
    expect(programmedState(member(2, 2), key(1), new Map([[42, emptyDesired()]]))).toBe('no');
    expect(programmedState(member(2, 2), key(1), new Map([[43, wanted]]))).toBe('no shared VNI');
  });
});

describe('membership settings', () => {
  const option = (setting: string): string => `--${setting.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

  it('is off without --etcd, with defaults otherwise', () => {
    expect(buildMembership({}, option)).toBeUndefined();
    expect(buildMembership({ etcd: 'http://198.51.100.10:2379, https://[2001:db8::10]:2379' }, option)).toEqual({
      endpoints: ['http://198.51.100.10:2379', 'https://[2001:db8::10]:2379'],
      network: 'default',
      prefix: '/vxlan-tap/',
      ttlSeconds: 10,
      maxMembers: 1024,
    });
    expect(buildMembership({ etcd: 'http://198.51.100.10:2379', network: 'blue', etcdPrefix: '/overlay', etcdTtl: '2' }, option)).toMatchObject({ network: 'blue', prefix: '/overlay/', ttlSeconds: 2 });
  });

  it.each([
    [{ network: 'blue' }, '--network needs --etcd'],
    [{ etcd: '198.51.100.10:2379' }, '--etcd must be etcd client URLs like http://192.0.2.10:2379, comma-separated, not "198.51.100.10:2379"'],
    [{ etcd: 'http://198.51.100.10:2379/v3' }, '--etcd must be etcd client URLs like http://192.0.2.10:2379, comma-separated, not "http://198.51.100.10:2379/v3"'],
    [{ etcd: 'http://198.51.100.10:2379', network: 'a/b' }, '--network must be 1 to 63 letters, digits, ".", "_" or "-", not "a/b"'],
    [{ etcd: 'http://198.51.100.10:2379', etcdPrefix: 'vxlan' }, '--etcd-prefix must start with "/" and hold no spaces, not "vxlan"'],
    [{ etcd: 'http://198.51.100.10:2379', etcdTtl: '1' }, '--etcd-ttl must be a whole number of seconds from 2 to 3600, not "1"'],
  ])('rejects %j', (raw, message) => {
    expect(() => buildMembership(raw, option)).toThrow(new ConfigError(message));
  });

  const system = { localPortRange: { min: 40000, max: 40999 }, deviceMtu: () => undefined };

  it('reaches the VtepConfig from options and from the file, naming the file field in errors', () => {
    expect(buildVtepConfig({ vni: '1', etcd: 'http://198.51.100.10:2379', network: 'blue' }, system).membership).toEqual({ endpoints: ['http://198.51.100.10:2379'], network: 'blue', prefix: '/vxlan-tap/', ttlSeconds: 10, maxMembers: 1024 });
    expect(buildVtepConfig({ vni: '1' }, system).membership).toBeUndefined();
    const file = { etcd: ['http://198.51.100.10:2379'], etcdTtl: 4, vnis: [{ vni: 1 }] };
    expect(parseConfigFile(JSON.stringify(file), system).membership).toMatchObject({ endpoints: ['http://198.51.100.10:2379'], ttlSeconds: 4 });
    expect(() => parseConfigFile(JSON.stringify({ ...file, etcdTtl: 1 }), system)).toThrow('etcdTtl must be a whole number of seconds from 2 to 3600, not "1"');
    expect(() => parseConfigFile(JSON.stringify({ network: 'x', vnis: [{ vni: 1 }] }), system)).toThrow('network needs etcd');
  });

  it('reads the config file fields: etcd as a string or a list, etcdTtl as a number', () => {
    const read = (fields: Record<string, unknown>) => parseConfigFile(JSON.stringify({ ...fields, vnis: [{ vni: 1 }] }), system).membership;
    expect(read({ etcd: ['http://198.51.100.10:2379', 'http://198.51.100.11:2379'], etcdTtl: 5 })).toMatchObject({
      endpoints: ['http://198.51.100.10:2379', 'http://198.51.100.11:2379'],
      ttlSeconds: 5,
    });
    expect(read({ etcd: 'http://198.51.100.10:2379', etcdTtl: '5' })).toMatchObject({ endpoints: ['http://198.51.100.10:2379'], ttlSeconds: 5 });
    expect(() => read({ etcd: 5 })).toThrow('etcd must be a URL or a list of URLs');
    expect(() => read({ etcd: [] })).toThrow('etcd must be a URL or a list of URLs');
    expect(() => read({ etcd: 'http://198.51.100.10:2379', network: true })).toThrow('network must be a string');
    expect(() => read({ etcd: 'http://198.51.100.10:2379', etcdTtl: [5] })).toThrow('etcdTtl must be a string or a number');
    expect(read({ etcd: 'http://198.51.100.10:2379', etcdUnderlay: '198.51.100.0/24', etcdMaxMembers: 8 })).toMatchObject({ underlay: { address: '198.51.100.0', prefixLength: 24 }, maxMembers: 8 });
    expect(() => read({ etcd: 'http://198.51.100.10:2379', etcdUser: 'h1' })).toThrow('etcdUser needs a password: etcdPasswordFile <file> or the environment variable VXLAN_TAP_ETCD_PASSWORD');
    expect(() => read({ etcd: 'http://198.51.100.10:2379', etcdCacert: 7 })).toThrow('etcdCacert must be a string');
  });
});

describe('SegmentSink: the store writes only its own entries', () => {
  const mac = (text: string): Uint8Array => parseMac(text)!;
  const dst = (n: number) => ({ address: `198.51.100.${n}`, port: 4789 });
  const setup = () => {
    const tables = { fdb: new Fdb({ learnedPort: 4789, ageingMs: 0 }), neighbours: new NeighTable() };
    return { ...tables, sink: new SegmentSink(tables) };
  };

  it('writes flood remote, static FDB entry and neighbour tagged as its own, and removes them again', async () => {
    const { fdb, neighbours, sink } = setup();
    const add = { ...noChanges(), floodAdd: [dst(2)], fdbSet: [['02:00:00:00:00:02', dst(2)]], neighSet: [['192.0.2.2', '02:00:00:00:00:02']] } as ReturnType<typeof noChanges>;
    expect(changeCount(await sink.apply(add))).toBe(0);
    expect(fdb.get(ZERO_MAC)!.remotes).toMatchObject([{ address: '198.51.100.2', owner: MEMBERSHIP }]);
    expect(fdb.get(mac('02:00:00:00:00:02'))).toMatchObject({ state: 'static', remotes: [{ address: '198.51.100.2', owner: MEMBERSHIP }] });
    expect(neighbours.get('192.0.2.2')).toMatchObject({ owner: MEMBERSHIP });
    const remove = { ...noChanges(), floodDel: add.floodAdd, fdbDel: add.fdbSet, neighDel: add.neighSet };
    expect(changeCount(await sink.apply(remove))).toBe(0);
    expect(fdb.size).toBe(0);
    expect(neighbours.list()).toEqual([]);
  });

  it('leaves hand-made entries alone and reports them as not written; a learned entry gives way', async () => {
    const { fdb, neighbours, sink } = setup();
    fdb.add(mac('02:00:00:00:00:02'), makeRemote('198.51.100.9', 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote('198.51.100.3', 4789), 'permanent', 0);
    fdb.learn(mac('02:00:00:00:00:03'), 0, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 198, 51, 100, 7]), 0, 0);
    neighbours.add('192.0.2.2', mac('02:00:00:00:00:99'));
    const changes = {
      ...noChanges(),
      floodAdd: [dst(3)],
      fdbSet: [['02:00:00:00:00:02', dst(2)], ['02:00:00:00:00:03', dst(3)]],
      neighSet: [['192.0.2.2', '02:00:00:00:00:02']],
    } as ReturnType<typeof noChanges>;
    const failed = await sink.apply(changes);
    expect(failed.fdbSet).toEqual([['02:00:00:00:00:02', dst(2)]]);
    expect(failed.neighSet).toEqual([['192.0.2.2', '02:00:00:00:00:02']]);
    expect(fdb.get(mac('02:00:00:00:00:02'))!.remotes).toMatchObject([{ address: '198.51.100.9' }]);
    expect(fdb.get(mac('02:00:00:00:00:03'))).toMatchObject({ state: 'static', remotes: [{ address: '198.51.100.3', owner: MEMBERSHIP }] });
    // The hand-made flood remote equal to the store's stays when the store's goes.
    await sink.apply({ ...noChanges(), floodDel: [dst(3)], neighDel: [['192.0.2.2', '02:00:00:00:00:02']] });
    expect(fdb.get(ZERO_MAC)!.remotes.map((r) => r.address)).toEqual(['198.51.100.3']);
    expect(neighbours.get('192.0.2.2')!.mac).toEqual(mac('02:00:00:00:00:99'));
  });
});
