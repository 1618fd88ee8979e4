import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile, MAX_CONFIG_BYTES, parseConfigFile } from '../../src/config/config-file.js';
import { ConfigError } from '../../src/config/errors.js';
import type { SystemDefaults, VtepConfig } from '../../src/config/vtep-config.js';
import { formatMac, parseMac } from '../../src/wire/mac.js';
import { SEGMENT_DEFAULTS, UNDERLAY_DEFAULTS } from './config-defaults.js';

// Not the kernel's own default range, so a test can tell where a range came from. One
// underlay device, ul0, with a jumbo MTU; every other name is unknown.
const SYSTEM: SystemDefaults = {
  localPortRange: { min: 40000, max: 40999 },
  deviceMtu: (name) => (name === 'ul0' ? 9000 : undefined),
};

/** Parses a file holding `json` (an object to serialize, or the text itself). */
const parse = (json: unknown): VtepConfig => parseConfigFile(typeof json === 'string' ? json : JSON.stringify(json), SYSTEM);

/** The message of the ConfigError the file is refused with; fails when it is accepted. */
function fileError(json: unknown): string {
  let error: unknown;
  try {
    parse(json);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

/** A file with one VNI entry holding `fields`, and the underlay fields `top`. */
const oneVni = (fields: Record<string, unknown>, top: Record<string, unknown> = {}) => ({ ...top, vnis: [{ vni: 1, ...fields }] });


const TWO_VNIS = {
  port: 8472,
  ttl: 64,
  tos: '0x10',
  df: 'set',
  srcport: '20000-20099',
  logLevel: 'debug',
  statsInterval: 60,
  vnis: [
    {
      vni: 100,
      peers: ['192.0.2.1', '198.51.100.1'],
      tap: 'vx100',
      mtu: 9000,
      mac: '02:00:00:00:01:00',
      addresses: ['203.0.113.1/24', '2001:db8::1/64'],
      bridge: 'br100',
      learning: false,
      ageing: '0',
    },
    { vni: '200', peers: ['203.0.113.2'], tap: 'vx200' },
  ],
};

const TWO_VNIS_CONFIG: VtepConfig = {
  underlay: {
    port: 8472,
    local: undefined,
    device: undefined,
    family: 4,
    io: 'native',
    threads: 1,
    offload: 'on',
    busyPollUs: 0,
    acceptFrom: 'any',
    persist: false,
    outer: { ttl: 64, tos: 0x10, df: 'set', srcPortMin: 20000, srcPortMax: 20099, flowLabel: 0 },
  },
  segments: [
    {
      vni: 100,
      peers: ['192.0.2.1', '198.51.100.1'],
      group: undefined,
      tapName: 'vx100',
      mtu: 9000,
      mac: Uint8Array.from([0x02, 0, 0, 0, 0x01, 0]),
      addresses: [
        { address: '203.0.113.1', family: 4, prefixLength: 24 },
        { address: '2001:db8::1', family: 6, prefixLength: 64 },
      ],
      bridge: 'br100',
      learning: false,
      ageingSeconds: 0,
      maxAddress: 0,
      proxy: false,
      l2miss: false,
      l3miss: false,
      control: undefined,
      fdb: [],
      neigh: [],
    },
    { ...SEGMENT_DEFAULTS, vni: 200, peers: ['203.0.113.2'], tapName: 'vx200' },
  ],
  logLevel: 'debug',
  statsIntervalSeconds: 60,
  metrics: undefined,
};

describe('parseConfigFile: valid files', () => {
  it('reads the underlay and one segment per VNI entry', () => {
    const config = parse(TWO_VNIS);
    expect(config).toEqual(TWO_VNIS_CONFIG);
    expect(formatMac(config.segments[0]!.mac as Uint8Array)).toBe('02:00:00:00:01:00');
  });

  it('fills in the defaults of the least file', () => {
    expect(parse({ vnis: [{ vni: 7 }] })).toEqual({
      underlay: UNDERLAY_DEFAULTS,
      segments: [{ ...SEGMENT_DEFAULTS, vni: 7 }],
      logLevel: 'info',
      statsIntervalSeconds: 0,
      metrics: undefined,
    });
  });

  it('keeps the segments in file order, each with its own defaults', () => {
    const config = parse({
      vnis: [
        { vni: 3, tap: 'vx3', mtu: 1400, learning: false, ageing: 60, addresses: ['192.0.2.3/24'] },
        { vni: 1 },
        { vni: 2, tap: 'vx2', learning: true },
      ],
    });
    expect(config.segments.map((s) => s.vni)).toEqual([3, 1, 2]);
    expect(config.segments.map((s) => s.tapName)).toEqual(['vx3', '', 'vx2']);
    expect(config.segments[0]).toMatchObject({ mtu: 1400, learning: false, ageingSeconds: 60 });
    expect(config.segments[1]).toEqual({ ...SEGMENT_DEFAULTS, vni: 1 });
    expect(config.segments[2]).toEqual({ ...SEGMENT_DEFAULTS, vni: 2, tapName: 'vx2' });
  });

  it('lets several VNIs leave the TAP name to the kernel', () => {
    expect(parse({ vnis: [{ vni: 1 }, { vni: 2 }, { vni: 3 }] }).segments.map((s) => s.tapName)).toEqual(['', '', '']);
  });

  it('takes the family from the peers, of whichever VNI has them', () => {
    const config = parse({ vnis: [{ vni: 1 }, { vni: 2, peers: ['2001:db8::1', '2001:DB8:0::2'] }] });
    expect(config.underlay.family).toBe(6);
    expect(config.segments.map((s) => s.mtu)).toEqual([1430, 1430]);
    expect(config.segments[1]!.peers).toEqual(['2001:db8::1', '2001:db8::2']);
    expect(parse({ vnis: [{ vni: 1, peers: ['192.0.2.1'] }] }).underlay.family).toBe(4);
  });

  it('takes an IPv6 underlay from local', () => {
    const config = parse({ local: '2001:DB8::9', vnis: [{ vni: 1 }, { vni: 2, peers: ['2001:db8::2'] }] });
    expect(config.underlay).toMatchObject({ family: 6, local: '2001:db8::9' });
    expect(config.segments.map((s) => s.mtu)).toEqual([1430, 1430]);
  });

  it('takes a group per VNI', () => {
    const config = parse({
      vnis: [
        { vni: 1, group: '239.1.1.1' },
        { vni: 2, group: '239.1.1.2' },
        { vni: 3, peers: ['192.0.2.1'] },
      ],
    });
    expect(config.underlay.family).toBe(4);
    expect(config.segments.map((s) => s.group)).toEqual(['239.1.1.1', '239.1.1.2', undefined]);
    expect(config.segments.map((s) => s.peers)).toEqual([[], [], ['192.0.2.1']]);
  });

  it('takes the TAP MTU from dev: 9000 - 50 over IPv4, 9000 - 70 over IPv6', () => {
    const v4 = parse({ dev: 'ul0', vnis: [{ vni: 1 }, { vni: 2, mtu: 1500 }] });
    expect(v4.underlay.device).toBe('ul0');
    expect(v4.segments.map((s) => s.mtu)).toEqual([8950, 1500]);
    expect(parse({ dev: 'ul0', local: '2001:db8::9', vnis: [{ vni: 1 }] }).segments[0]!.mtu).toBe(8930);
  });

  it('accepts numbers as JSON numbers or as strings', () => {
    const asStrings = {
      ...TWO_VNIS,
      port: '8472',
      ttl: '64',
      statsInterval: '60',
      vnis: [{ ...TWO_VNIS.vnis[0], vni: '100', mtu: '9000', ageing: 0 }, { ...TWO_VNIS.vnis[1], vni: 200 }],
    };
    expect(parse(asStrings)).toEqual(TWO_VNIS_CONFIG);
  });

  it('reads the text settings of the outer header', () => {
    expect(parse(oneVni({}, { ttl: 'inherit', tos: 'inherit', df: 'inherit', io: 'native' })).underlay).toMatchObject({
      io: 'native',
      outer: { ttl: 'inherit', tos: 'inherit', df: 'inherit' },
    });
  });

  it('reads busyPoll as microseconds', () => {
    expect(parse(oneVni({}, { busyPoll: 50 })).underlay.busyPollUs).toBe(50);
  });

  it('accepts io dgram without native-only settings', () => {
    expect(parse(oneVni({ peers: ['192.0.2.1'] }, { io: 'dgram' })).underlay.io).toBe('dgram');
  });
});

describe('parseConfigFile refuses bad files, naming the field', () => {
  it.each(['', '{', "{'vnis': []}", '{"vnis": [{"vni": 1}],}', 'vnis: [1]'])('not valid JSON: %j', (text) => {
    expect(fileError(text)).toMatch(/^not valid JSON: ./);
  });

  it.each(['[]', '42', 'null', '"vnis"'])('a file that is not an object: %s', (text) => {
    expect(fileError(text)).toBe('the file must hold a JSON object');
  });

  it.each([{}, { vnis: [] }, { vnis: {} }, { vnis: 'vni 1' }, { vnis: null }, { port: 4789 }])('vnis missing or empty: %j', (json) => {
    expect(fileError(json)).toBe('vnis must be a non-empty list of VNI entries');
  });

  it.each([42, 'vni 1', null, [{ vni: 1 }]])('a VNI entry that is not an object: %j', (entry) => {
    expect(fileError({ vnis: [{ vni: 1 }, entry] })).toBe('vnis[1] must be an object');
  });

  it('an unknown field of a VNI entry', () => {
    const message = fileError({ vnis: [{ vni: 1, peer: ['192.0.2.1'] }] });
    expect(message).toMatch(/^unknown field vnis\[0\]\.peer \(known: /);
    expect(message).toContain('peers');
    expect(fileError({ vnis: [{ vni: 1 }, { vni: 2, Tap: 'vx0' }] })).toMatch(/^unknown field vnis\[1\]\.Tap \(known: /);
  });

  it('an unknown top-level field', () => {
    const message = fileError({ peers: ['192.0.2.1'], vnis: [{ vni: 1 }] });
    expect(message).toMatch(/^unknown field peers \(known: /);
    expect(message).toContain('local');
    expect(fileError({ stats_interval: 5, vnis: [{ vni: 1 }] })).toMatch(/^unknown field stats_interval /);
  });

  it.each([
    [16777216, 'vnis[1].vni must be from 0 to 16777215, not 16777216'],
    ['16777216', 'vnis[1].vni must be from 0 to 16777215, not 16777216'],
    [-1, 'vnis[1].vni must be a whole number from 0 to 16777215, not "-1"'],
    [1.5, 'vnis[1].vni must be a whole number from 0 to 16777215, not "1.5"'],
    ['abc', 'vnis[1].vni must be a whole number from 0 to 16777215, not "abc"'],
  ])('vni %j', (vni, expected) => {
    expect(fileError({ vnis: [{ vni: 1 }, { vni }] })).toBe(expected);
  });

  it('vni missing', () => {
    expect(fileError({ vnis: [{ vni: 1 }, { tap: 'vx1' }] })).toMatch(/^vnis\[1\]\.vni is required/);
  });

  it('a VNI given twice, however it is written', () => {
    expect(fileError({ vnis: [{ vni: 42 }, { vni: '42' }] })).toBe('vnis[1].vni 42 appears twice');
    expect(fileError({ vnis: [{ vni: 1 }, { vni: 42 }, { vni: 2 }, { vni: '042' }] })).toBe('vnis[3].vni 42 appears twice');
  });

  it('a TAP name given twice', () => {
    expect(fileError({ vnis: [{ vni: 1, tap: 'vx0' }, { vni: 2, tap: 'vx0' }] })).toBe('vnis[1].tap vx0 appears twice');
    expect(fileError({ vnis: [{ vni: 1, tap: 'vx0' }, { vni: 2 }, { vni: 3, tap: 'vx0' }] })).toBe('vnis[2].tap vx0 appears twice');
  });

  it.each(['192.0.2.1', [1], ['192.0.2.1', null], { 0: '192.0.2.1' }, true])('peers %j, not a list of strings', (peers) => {
    expect(fileError(oneVni({ peers }))).toBe('vnis[0].peers must be a list of strings');
  });

  it.each(['192.0.2.1/24', [24], null])('addresses %j, not a list of strings', (addresses) => {
    expect(fileError(oneVni({ addresses }))).toBe('vnis[0].addresses must be a list of strings');
  });

  it.each(['false', 0, 1, null, 'yes'])('learning %j', (learning) => {
    expect(fileError(oneVni({ learning }))).toBe('vnis[0].learning must be true or false');
  });

  it.each([
    ['tap', true],
    ['mtu', [1400]],
    ['group', null],
    ['vni', { value: 1 }],
  ])('a VNI field %s of the wrong JSON type: %j', (field, value) => {
    expect(fileError(oneVni({ [field]: value }))).toBe(`vnis[0].${field} must be a string or a number`);
  });

  it.each([
    ['port', [4789]],
    ['ttl', null],
    ['io', false],
    ['logLevel', {}],
  ])('an underlay field %s of the wrong JSON type: %j', (field, value) => {
    expect(fileError(oneVni({}, { [field]: value }))).toBe(`${field} must be a string or a number`);
  });

  it('a bad peer after a good one', () => {
    expect(fileError({ vnis: [{ vni: 1, peers: ['192.0.2.1'] }, { vni: 2, peers: ['192.0.2.256'] }] })).toBe(
      'vnis[1].peers must be an IPv4 or IPv6 address, not "192.0.2.256"',
    );
    expect(fileError(oneVni({ peers: ['192.0.2.1', 'example'] }))).toBe('vnis[0].peers must be an IPv4 or IPv6 address, not "example"');
  });

  it('peers of two families', () => {
    expect(fileError({ vnis: [{ vni: 1, peers: ['192.0.2.1'] }, { vni: 2, peers: ['2001:db8::1'] }] })).toBe(
      'vnis[1].peers 2001:db8::1 is IPv6 but the underlay is IPv4: use one family',
    );
  });

  it('a peer of another family than local', () => {
    expect(fileError({ local: '2001:db8::9', vnis: [{ vni: 1, peers: ['2001:db8::1'] }, { vni: 2, peers: ['192.0.2.1'] }] })).toBe(
      'vnis[1].peers 192.0.2.1 is IPv4 but the underlay is IPv6: use one family',
    );
  });

  it('a group that is not multicast', () => {
    const message = fileError({ vnis: [{ vni: 1, group: '239.1.1.1' }, { vni: 2, group: '198.51.100.1' }] });
    expect(message).toMatch(/^vnis\[1\]\.group must be a multicast address/);
    expect(message).toContain('198.51.100.1');
  });

  it('a group of another family than local', () => {
    expect(fileError(oneVni({ group: '239.1.1.1' }, { local: '2001:db8::9' }))).toBe(
      'vnis[0].group 239.1.1.1 is IPv4 but the underlay is IPv6: use one family',
    );
  });

  it('a group and peers in one entry', () => {
    expect(fileError({ vnis: [{ vni: 1 }, { vni: 2, group: '239.1.1.1', peers: ['192.0.2.1'] }] })).toBe(
      'vnis[1].group and vnis[1].peers exclude each other, as group and remote do in the kernel',
    );
  });

  // [field, value, the part of the message after the field name]
  it.each([
    ['tap', 'a'.repeat(16), 'must be an interface name'],
    ['tap', 'vx/0', 'must be an interface name'],
    ['bridge', 'br:0', 'must be an interface name'],
    ['mtu', 67, 'must be from 68 to 65535, not 67'],
    ['mtu', '65536', 'must be from 68 to 65535, not 65536'],
    ['mac', '01:00:5e:00:00:01', 'must be a unicast, non-zero MAC'],
    ['mac', '02:00:00:00:00', 'must be persistent, random or a MAC like'],
    ['ageing', -5, 'must be a whole number'],
  ])('a VNI field %s of %j', (field, value, problem) => {
    expect(fileError({ vnis: [{ vni: 1 }, { vni: 2, [field]: value }] })).toMatch(new RegExp(`^vnis\\[1\\]\\.${field} ${problem}`));
  });

  it('a bad address after a good one', () => {
    expect(fileError(oneVni({ addresses: ['192.0.2.1/24', '198.51.100.1/33'] }))).toBe(
      'vnis[0].addresses prefix length must be from 0 to 32, not "33" in "198.51.100.1/33"',
    );
  });

  // [field, value, the part of the message after the field name]
  it.each([
    ['port', 0, 'must be from 1 to 65535, not 0'],
    ['port', '70000', 'must be from 1 to 65535, not 70000'],
    ['local', '192.0.2', 'must be an IPv4 or IPv6 address, not "192.0.2"'],
    ['dev', 'ul/0', 'must be an interface name'],
    ['io', 'udp', 'must be native or dgram, not "udp"'],
    ['ttl', 0, 'must be from 1 to 255, not 0'],
    ['ttl', 'AUTO', 'must be a whole number'],
    ['tos', 256, 'must be 0 to 255'],
    ['df', 'on', 'must be unset, set or inherit, not "on"'],
    ['srcport', '2000-1000', 'range must run from low to high'],
    ['srcport', 1024, 'must be a range like'],
    ['logLevel', 'verbose', 'must be one of'],
    ['statsInterval', 86401, 'must be from 0 to 86400, not 86401'],
    ['busyPoll', 100001, 'must be from 0 to 100000, not 100001'],
  ])('an underlay field %s of %j', (field, value, problem) => {
    expect(fileError(oneVni({}, { [field]: value }))).toMatch(new RegExp(`^${field} ${problem.replace(/[()[\]]/g, '\\$&')}`));
  });

  it('a dev that does not exist', () => {
    expect(fileError(oneVni({}, { dev: 'ul1' }))).toBe('dev ul1: no such interface');
  });

  it.each([
    ['ttl', { ttl: 64 }],
    ['tos', { tos: 'inherit' }],
    ['df', { df: 'set' }],
    ['srcport', { srcport: '1024-2047' }],
    ['dev', { dev: 'ul0' }],
  ])('%s with io dgram', (field, extra) => {
    expect(fileError(oneVni({}, { io: 'dgram', ...extra }))).toBe(`${field} needs native I/O: node:dgram cannot do it`);
  });

  it('a group with io dgram', () => {
    const message = fileError({ io: 'dgram', vnis: [{ vni: 1, peers: ['192.0.2.1'] }, { vni: 2, group: '239.1.1.1' }] });
    expect(message).toMatch(/group needs native I\/O: node:dgram cannot do it$/);
  });
});

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vxlan-tap-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  /** The message of the ConfigError loading `path` fails with. */
  function loadError(path: string): string {
    let error: unknown;
    try {
      loadConfigFile(path, SYSTEM);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }

  it('reads a valid file', () => {
    const path = write('good.json', JSON.stringify(TWO_VNIS, null, 2));
    expect(loadConfigFile(path, SYSTEM)).toEqual(TWO_VNIS_CONFIG);
  });

  it('reads the device MTU through the system it is given', () => {
    const path = write('dev.json', JSON.stringify({ dev: 'ul0', vnis: [{ vni: 1 }] }));
    expect(loadConfigFile(path, SYSTEM).segments[0]!.mtu).toBe(8950);
    expect(loadConfigFile(path, { ...SYSTEM, deviceMtu: () => 1500 }).segments[0]!.mtu).toBe(1450);
  });

  it('prefixes an error in the file with its path', () => {
    const path = write('bad-vni.json', JSON.stringify({ vnis: [{ vni: 1 }, { vni: 16777216 }] }));
    expect(loadError(path)).toBe(`--config ${path}: vnis[1].vni must be from 0 to 16777215, not 16777216`);
  });

  it('prefixes a JSON syntax error with its path', () => {
    const path = write('broken.json', '{"vnis": [');
    expect(loadError(path)).toMatch(new RegExp(`^--config ${path.replace(/[.]/g, '\\.')}: not valid JSON: .`));
  });

  it('reports a file that does not exist', () => {
    const path = join(dir, 'missing.json');
    expect(loadError(path)).toBe(`cannot read --config ${path}: ENOENT`);
  });

  it('reads a file that starts with a UTF-8 byte order mark', () => {
    const path = write('bom.json', `\uFEFF${JSON.stringify(TWO_VNIS)}`);
    expect(loadConfigFile(path, SYSTEM)).toEqual(TWO_VNIS_CONFIG);
  });

  it('stops reading at the size limit: /dev/zero is refused, not read forever', () => {
    expect(loadError('/dev/zero')).toBe(`--config /dev/zero is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MB`);
  });

  it('cuts a long bad value in its message', () => {
    const path = write('long.json', JSON.stringify({ vnis: [{ vni: 1, tap: 'x'.repeat(5_000_000) }] }));
    const message = loadError(path);
    expect(message.length).toBeLessThan(1200);
    expect(message).toContain('...(');
    expect(message).toContain('more characters)');
  });

  it('reports a directory', () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    expect(loadError(path)).toBe(`cannot read --config ${path}: EISDIR`);
  });
});

describe('parseConfigFile: control-plane fields', () => {
  it('reads maxAddress, proxy, l2miss, l3miss and control per VNI, and metrics for the VTEP', () => {
    const config = parse({
      metrics: '192.0.2.9:9100',
      vnis: [
        { vni: 1, maxAddress: 100, proxy: true, l2miss: true, l3miss: true, control: '/run/vxlan-tap/one.sock' },
        { vni: 2, maxAddress: '5', l3miss: false },
        { vni: 3 },
      ],
    });
    expect(config.metrics).toEqual({ host: '192.0.2.9', port: 9100 });
    expect(config.segments[0]).toMatchObject({ maxAddress: 100, proxy: true, l2miss: true, l3miss: true, control: '/run/vxlan-tap/one.sock' });
    expect(config.segments[1]).toMatchObject({ maxAddress: 5, proxy: false, l2miss: false, l3miss: false });
    expect(config.segments[1]!.control).toBeUndefined();
    expect(config.segments[2]).toEqual({ ...SEGMENT_DEFAULTS, vni: 3 });
  });

  it('reads an IPv6 metrics address in brackets', () => {
    expect(parse(oneVni({}, { metrics: '[2001:db8::1]:9100' })).metrics).toEqual({ host: '2001:db8::1', port: 9100 });
  });

  it('lets VNIs have control sockets of their own, or none', () => {
    const config = parse({ vnis: [{ vni: 1, control: '/run/a.sock' }, { vni: 2 }, { vni: 3, control: '/run/b.sock' }, { vni: 4 }] });
    expect(config.segments.map((s) => s.control)).toEqual(['/run/a.sock', undefined, '/run/b.sock', undefined]);
  });

  it('refuses a control path given twice', () => {
    expect(fileError({ vnis: [{ vni: 1, control: '/run/a.sock' }, { vni: 2, control: '/run/a.sock' }] })).toBe(
      'vnis[1].control /run/a.sock appears twice',
    );
    expect(
      fileError({ vnis: [{ vni: 1, control: '/run/a.sock' }, { vni: 2 }, { vni: 3, control: '/run/b.sock' }, { vni: 4, control: '/run/b.sock' }] }),
    ).toBe('vnis[3].control /run/b.sock appears twice');
  });

  it.each(['proxy', 'l2miss', 'l3miss'])('%s must be a JSON boolean', (field) => {
    for (const value of ['true', 1, null]) expect(fileError(oneVni({ [field]: value }))).toBe(`vnis[0].${field} must be true or false`);
  });

  // [field, value, the part of the message after the field name]
  it.each([
    ['maxAddress', -1, 'must be a whole number'],
    ['maxAddress', 'many', 'must be a whole number'],
    ['maxAddress', 2147483648, 'must be from 0 to 2147483647, not 2147483648'],
    ['maxAddress', true, 'must be a string or a number'],
    ['control', 'vx0.sock', 'must be an absolute path of at most 107 bytes, not "vx0.sock"'],
    ['control', `/${'s'.repeat(107)}`, 'must be an absolute path of at most 107 bytes'],
    ['control', 42, 'must be an absolute path'],
    ['control', ['/run/a.sock'], 'must be a string or a number'],
  ])('a VNI field %s of %j', (field, value, problem) => {
    expect(fileError({ vnis: [{ vni: 1 }, { vni: 2, [field]: value }] })).toMatch(new RegExp(`^vnis\\[1\\]\\.${field} ${problem.replace(/[()[\]]/g, '\\$&')}`));
  });

  it.each(['2001:db8::1:9100', '192.0.2.9', '192.0.2.9:0', '192.0.2.9:65536', 9100])('metrics %j', (metrics) => {
    expect(fileError(oneVni({}, { metrics }))).toMatch(/^metrics must be/);
  });

  it('knows the new fields by name: a misspelling is an unknown field', () => {
    expect(fileError(oneVni({ max_address: 5 }))).toMatch(/^unknown field vnis\[0\]\.max_address \(known: .*maxAddress/);
    expect(fileError(oneVni({}, { metric: '192.0.2.9:9100' }))).toMatch(/^unknown field metric \(known: .*metrics/);
  });
});

describe('configured FDB and neighbour entries', () => {
  it('reads fdb and neigh lists in canonical form, state permanent by default', () => {
    const config = parse(
      oneVni({
        peers: ['198.51.100.1'],
        fdb: [
          { mac: '02:00:00:00:00:AA', dst: '198.51.100.7', port: 8472, vni: '200', state: 'static' },
          { mac: '00:00:00:00:00:00', dst: '198.51.100.8' },
        ],
        neigh: [{ ip: '192.0.2.7', lladdr: '02:00:00:00:00:07', router: true }],
      }),
    );
    expect(config.segments[0]!.fdb).toEqual([
      { mac: '02:00:00:00:00:aa', dst: '198.51.100.7', port: 8472, vni: 200, state: 'static' },
      { mac: '00:00:00:00:00:00', dst: '198.51.100.8', port: undefined, vni: undefined, state: 'permanent' },
    ]);
    expect(config.segments[0]!.neigh).toEqual([{ ip: '192.0.2.7', lladdr: parseMac('02:00:00:00:00:07'), router: true }]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['fdb not a list', { fdb: {} }, 'vnis[0].fdb must be a list'],
    ['an entry without dst', { fdb: [{ mac: '02:00:00:00:00:01' }] }, 'vnis[0].fdb[0].dst is required'],
    ['a bad MAC', { fdb: [{ mac: 'zz', dst: '198.51.100.7' }] }, 'vnis[0].fdb[0].mac must be a MAC'],
    ['a bad state', { fdb: [{ mac: '02:00:00:00:00:01', dst: '198.51.100.7', state: 'forever' }] }, 'vnis[0].fdb[0].state must be permanent, static or dynamic'],
    ['a dst of another family', { fdb: [{ mac: '02:00:00:00:00:01', dst: '2001:db8::7' }] }, 'vnis[0].fdb[0].dst 2001:db8::7 is IPv6 but the underlay is IPv4'],
    ['an unknown entry field', { fdb: [{ mac: '02:00:00:00:00:01', dst: '198.51.100.7', via: 'x' }] }, 'unknown field vnis[0].fdb[0].via'],
    ['a neighbour without lladdr', { neigh: [{ ip: '192.0.2.7' }] }, 'vnis[0].neigh[0].lladdr is required'],
    ['a multicast lladdr', { neigh: [{ ip: '192.0.2.7', lladdr: '01:00:5e:00:00:01' }] }, 'vnis[0].neigh[0].lladdr must be a unicast'],
    ['a router flag that is not true or false', { neigh: [{ ip: '192.0.2.7', lladdr: '02:00:00:00:00:07', router: 'yes' }] }, 'vnis[0].neigh[0].router must be true or false'],
    ['a zone index on a neighbour', { neigh: [{ ip: 'fe80::7%vx0', lladdr: '02:00:00:00:00:07' }] }, 'vnis[0].neigh[0].ip must be an address without a zone index, not "fe80::7%vx0"'],
  ])('refuses %s, naming the field', (_, fields, message) => {
    expect(() => parse(oneVni({ peers: ['198.51.100.1'], ...fields }))).toThrow(message);
  });
});
