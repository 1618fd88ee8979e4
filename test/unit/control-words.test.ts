// The `fdb` and `neigh` words of the command line: turned into the requests the control
// socket takes, and checked by the same schemas before anything is sent.
import { describe, expect, it } from 'vitest';
import { fdbRequest, flushLine, neighRequest } from '../../src/cli/control-commands.js';
import { ConfigError } from '../../src/config/errors.js';
import { thrownMessage } from './thrown.js';

const wordsError = (call: () => unknown): string => thrownMessage(call, ConfigError);

describe('fdb words', () => {
  it('reads iproute2 word order into a request, leaving out what was not given', () => {
    expect(fdbRequest('add', ['02:00:00:00:00:01', 'dst', '198.51.100.3', 'port', '8472', 'vni', '7', 'static'])).toStrictEqual({
      cmd: 'fdb.add',
      mac: '02:00:00:00:00:01',
      dst: '198.51.100.3',
      port: '8472',
      vni: '7',
      state: 'static',
    });
    expect(fdbRequest('del', ['02:00:00:00:00:01'])).toStrictEqual({ cmd: 'fdb.del', mac: '02:00:00:00:00:01' });
    expect(fdbRequest('flush', ['dst', '198.51.100.3'])).toStrictEqual({ cmd: 'fdb.flush', dst: '198.51.100.3' });
    expect(fdbRequest('show', [])).toStrictEqual({ cmd: 'fdb.show' });
  });

  it.each<[string, string, string[], string]>([
    ['a bad MAC', 'add', ['02:00', 'dst', '198.51.100.3'], 'mac must be a MAC like 02:00:00:00:00:01, not "02:00"'],
    ['no dst', 'add', ['02:00:00:00:00:01'], 'dst is required'],
    ['a bad dst', 'append', ['00:00:00:00:00:00', 'dst', '198.51.100'], 'dst must be an IPv4 or IPv6 address, not "198.51.100"'],
    ['a dst with a zone index', 'add', ['02:00:00:00:00:01', 'dst', 'fe80::1%eth0'], 'dst must be an address without a zone index'],
    ['a port out of range', 'add', ['02:00:00:00:00:01', 'dst', '198.51.100.3', 'port', '0'], 'port must be from 1 to 65535, not 0'],
    ['a VNI out of range', 'flush', ['vni', '16777216'], 'vni must be from 0 to 16777215, not 16777216'],
    ['a state after del', 'del', ['02:00:00:00:00:01', 'static'], 'unexpected "static" (expected one of: dst, port, vni)'],
    ['a keyword without its value', 'add', ['02:00:00:00:00:01', 'dst'], '"dst" needs a value'],
  ])('refuses %s before sending anything', (_, action, words, message) => {
    expect(wordsError(() => fdbRequest(action, words))).toContain(message);
  });
});

describe('neigh words', () => {
  it('reads `neigh add IP lladdr MAC [router]` and `neigh del IP`', () => {
    expect(neighRequest('add', ['2001:db8::7', 'lladdr', '02:00:00:00:00:07', 'router'])).toStrictEqual({
      cmd: 'neigh.add',
      ip: '2001:db8::7',
      lladdr: '02:00:00:00:00:07',
      router: true,
    });
    expect(neighRequest('del', ['192.0.2.7'])).toStrictEqual({ cmd: 'neigh.del', ip: '192.0.2.7' });
  });

  it.each<[string, string, string[], string]>([
    ['no lladdr', 'add', ['192.0.2.7'], 'lladdr is required'],
    ['a group lladdr', 'add', ['192.0.2.7', 'lladdr', '01:00:5e:00:00:01'], 'lladdr must be a unicast, non-zero MAC'],
    ['a bad address', 'del', ['192.0.2.256'], 'ip must be an IPv4 or IPv6 address, not "192.0.2.256"'],
    ['a zone index', 'del', ['fe80::7%vx0'], 'ip must be an address without a zone index, not "fe80::7%vx0"'],
  ])('refuses %s before sending anything', (_, action, words, message) => {
    expect(wordsError(() => neighRequest(action, words))).toContain(message);
  });
});

describe('the flush line', () => {
  it.each([
    [{ entries: 2, remotes: 2 }, 'removed 2 entries'],
    [{ entries: 1, remotes: 1 }, 'removed 1 entry'],
    [{ entries: 0, remotes: 1 }, 'removed 0 entries (1 remote)'],
    [{ entries: 1, remotes: 3 }, 'removed 1 entry (3 remotes)'],
  ])('%j: %s', (result, line) => {
    expect(flushLine(result)).toBe(line);
  });
});
