// Membership records come from whoever can write the prefix: each is checked before it is
// trusted (its key names its address, addresses are usable unicast ones, optionally inside
// --etcd-underlay, it lives under a lease, it is small), the loser of a conflict is left
// out entirely, and the TLS and authentication settings are read and checked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { desiredState } from '../../src/membership/reconcile.js';
import { checkMember, memberKey, MAX_RECORD_BYTES, type Member } from '../../src/membership/record.js';
import { buildMembership } from '../../src/config/membership.js';
import { optionNamer } from '../../src/config/vtep-config.js';
import { ConfigError } from '../../src/config/errors.js';

const FOLDER = '/vxlan-tap/default/members/';
const record = (address: string, overlay = ['192.0.2.9']) => ({ address, port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac: '02:00:00:00:00:09', addresses: overlay }] });
const kv = (address: string, value: unknown = record(address), lease = '77') => ({ key: `${FOLDER}${address}`, value: JSON.stringify(value), lease });

describe('checking a member record', () => {
  it('takes a good record', () => {
    expect(checkMember(kv('198.51.100.9'), { folder: FOLDER })).toEqual({ address: '198.51.100.9', port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac: '02:00:00:00:00:09', addresses: ['192.0.2.9'] }] });
  });

  it('refuses a record whose key names another address (a hijack)', () => {
    expect(checkMember({ ...kv('198.51.100.66'), key: `${FOLDER}198.51.100.2` }, { folder: FOLDER })).toBe('the key does not name the record\'s address 198.51.100.66');
  });

  it('refuses a record without a lease: it would never expire', () => {
    expect(checkMember(kv('198.51.100.9', undefined, '0'), { folder: FOLDER })).toBe('no lease: a member record must live under one');
  });

  it.each(['255.255.255.255', '0.0.0.0', '127.0.0.1', '224.0.0.1', '::1', '::', 'ff02::1'])('refuses the underlay address %s', (address) => {
    expect(checkMember(kv(address), { folder: FOLDER })).toBe(`address ${address} is not a usable unicast address`);
  });

  it.each(['0.0.0.0', '255.255.255.255', '127.0.0.1', '239.1.1.1'])('refuses the overlay address %s', (overlay) => {
    expect(checkMember(kv('198.51.100.9', record('198.51.100.9', [overlay])), { folder: FOLDER })).toBe(`overlay address ${overlay} is not a usable unicast address`);
  });

  it('keeps to --etcd-underlay: inside it, and neither its network nor its broadcast address', () => {
    const underlay = { address: '198.51.100.0', prefixLength: 24, family: 4 as const };
    expect(checkMember(kv('198.51.100.9'), { folder: FOLDER, underlay })).toMatchObject({ address: '198.51.100.9' });
    expect(checkMember(kv('203.0.113.9'), { folder: FOLDER, underlay })).toBe('address 203.0.113.9 is outside --etcd-underlay 198.51.100.0/24');
    expect(checkMember(kv('198.51.100.255'), { folder: FOLDER, underlay })).toBe('address 198.51.100.255 is the broadcast address of --etcd-underlay 198.51.100.0/24');
    expect(checkMember(kv('198.51.100.0'), { folder: FOLDER, underlay })).toBe('address 198.51.100.0 is the network address of --etcd-underlay 198.51.100.0/24');
  });

  it(`refuses a record larger than ${MAX_RECORD_BYTES} bytes before parsing it (70,000 addresses)`, () => {
    const huge = record('198.51.100.9', Array.from({ length: 70_000 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`));
    expect(checkMember(kv('198.51.100.9', huge), { folder: FOLDER })).toMatch(new RegExp(`^larger than ${MAX_RECORD_BYTES} bytes \\(\\d+\\)$`));
  });
});

describe('conflicts', () => {
  const key = (n: number): string => memberKey('/vxlan-tap/', 'default', `198.51.100.${n}`);
  const member = (n: number, revision: number, mac: string): Member => ({
    key: key(n),
    record: { address: `198.51.100.${n}`, port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac, addresses: [`192.0.2.${n}`] }] },
    createRevision: BigInt(revision),
    lease: '1',
  });

  it('leaves the loser of a MAC conflict out of the flood list too', () => {
    const { desired, conflicts } = desiredState([member(1, 5, '02:00:00:00:00:01'), member(2, 6, '02:00:00:00:00:02'), member(99, 9, '02:00:00:00:00:02')], key(1), 42);
    expect(conflicts).toHaveLength(1);
    expect([...desired.flood.keys()]).toEqual(['198.51.100.2 4789']);
    expect(desired.fdb.get('02:00:00:00:00:02')).toEqual({ address: '198.51.100.2', port: 4789 });
  });

  it('leaves out a member that claims this host\'s own MAC', () => {
    const { desired } = desiredState([member(1, 5, '02:00:00:00:00:01'), member(99, 3, '02:00:00:00:00:01')], key(1), 42);
    expect(desired.flood.size).toBe(0);
  });
});

describe('etcd security settings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxt-etcd-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const HTTPS = 'https://198.51.100.10:2379';

  it('reads the CA, the client certificate and key, and the user with a password from a file or the environment', () => {
    const config = buildMembership({ etcd: HTTPS, etcdCacert: file('ca.pem', 'CA'), etcdCert: file('c.pem', 'CERT'), etcdKey: file('k.pem', 'KEY'), etcdUser: 'h1', etcdPasswordFile: file('pw', 'secret\n') }, optionNamer)!;
    expect(config.tls).toEqual({ ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
    expect(config.auth).toEqual({ username: 'h1', password: 'secret' });
    process.env['VXLAN_TAP_ETCD_PASSWORD'] = 'from-env';
    try {
      expect(buildMembership({ etcd: HTTPS, etcdUser: 'h1' }, optionNamer)!.auth).toEqual({ username: 'h1', password: 'from-env' });
    } finally {
      delete process.env['VXLAN_TAP_ETCD_PASSWORD'];
    }
    expect(buildMembership({ etcd: HTTPS, etcdUnderlay: '198.51.100.0/24', etcdMaxMembers: '5' }, optionNamer)).toMatchObject({ underlay: { address: '198.51.100.0', prefixLength: 24 }, maxMembers: 5 });
  });

  it.each([
    [{ etcdCacert: '/nonexistent/ca.pem' }, /^cannot read --etcd-cacert \/nonexistent\/ca\.pem: ENOENT$/],
    [{ etcdCert: 'CERT' }, /^--etcd-cert and --etcd-key go together$/],
    [{ etcdUser: 'h1' }, /^--etcd-user needs a password: --etcd-password-file <file> or the environment variable VXLAN_TAP_ETCD_PASSWORD$/],
    [{ etcdPasswordFile: '/x' }, /^--etcd-password-file needs --etcd-user$/],
    [{ etcdUnderlay: '198.51.100.1' }, /^--etcd-underlay must be an address with a prefix length/],
    [{ etcdMaxMembers: '0' }, /^--etcd-max-members must be from 1 to 100000, not 0$/],
  ])('refuses %j', (raw, message) => {
    expect(() => buildMembership({ etcd: HTTPS, ...raw }, optionNamer)).toThrow(ConfigError);
    expect(() => buildMembership({ etcd: HTTPS, ...raw }, optionNamer)).toThrow(message);
  });

  it('refuses TLS files with http:// endpoints', () => {
    expect(() => buildMembership({ etcd: 'http://198.51.100.10:2379', etcdCacert: file('ca2.pem', 'CA') }, optionNamer)).toThrow('--etcd-cacert needs https:// endpoints in --etcd');
  });
});
