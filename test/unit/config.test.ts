import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { buildVtepConfig, type RawRunOptions, type SystemDefaults } from '../../src/config/vtep-config.js';
import { formatMac } from '../../src/vxlan/mac.js';

// Not the kernel's own default range (32768-60999), so a test can tell where a range came from.
// No underlay devices: the tests here give no --dev.
const SYSTEM: SystemDefaults = { localPortRange: { min: 40000, max: 40999 }, deviceMtu: () => undefined };

const build = (extra: Partial<RawRunOptions> = {}, system = SYSTEM) => buildVtepConfig({ vni: '42', ...extra }, system);

/** Asserts that the options are refused with a ConfigError whose message names the option and the bad value. */
function expectConfigError(raw: RawRunOptions, option: string, value?: string): void {
  let error: unknown;
  try {
    buildVtepConfig(raw, SYSTEM);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  const message = (error as Error).message;
  expect(message).toContain(option);
  if (value !== undefined) expect(message).toContain(value);
}

describe('buildVtepConfig defaults', () => {
  it('fills in every default for the least input', () => {
    expect(build()).toEqual({
      vni: 42,
      peers: [],
      port: 4789,
      local: undefined,
      family: 4,
      tapName: '',
      mtu: 1450,
      mac: undefined,
      addresses: [],
      learning: true,
      ageingSeconds: 300,
      statsIntervalSeconds: 0,
      logLevel: 'info',
      io: 'native',
      outer: { ttl: 'auto', tos: 0, df: 'unset', srcPortMin: 40000, srcPortMax: 40999 },
    });
  });

  it('uses MTU 1450 with IPv4 peers and 1430 with IPv6 peers', () => {
    expect(build({ peer: ['192.0.2.1', '198.51.100.1'] })).toMatchObject({ family: 4, mtu: 1450 });
    expect(build({ peer: ['2001:db8::1', '2001:db8::2'] })).toMatchObject({ family: 6, mtu: 1430 });
  });

  it('takes the family from --local when there are no peers', () => {
    expect(build({ local: '2001:db8::9' })).toMatchObject({ family: 6, mtu: 1430, local: '2001:db8::9' });
    expect(build({ local: '203.0.113.9' })).toMatchObject({ family: 4, mtu: 1450, local: '203.0.113.9' });
  });

  it('keeps explicit values over defaults', () => {
    const config = build({
      vni: '16777215',
      peer: ['192.0.2.1'],
      port: '8472',
      tap: 'vx0',
      mtu: '9000',
      mac: '02:00:00:aa:bb:cc',
      address: ['192.0.2.10/24', '2001:db8::10/64'],
      learning: false,
      ageing: '0',
      logLevel: 'debug',
    });
    expect(config).toMatchObject({
      vni: 16_777_215,
      port: 8472,
      tapName: 'vx0',
      mtu: 9000,
      learning: false,
      ageingSeconds: 0,
      logLevel: 'debug',
    });
    expect(formatMac(config.mac!)).toBe('02:00:00:aa:bb:cc');
    expect(config.addresses).toEqual([
      { address: '192.0.2.10', family: 4, prefixLength: 24 },
      { address: '2001:db8::10', family: 6, prefixLength: 64 },
    ]);
  });

  it('accepts the edges of each range', () => {
    expect(build({ vni: '0' }).vni).toBe(0);
    expect(build({ port: '1' }).port).toBe(1);
    expect(build({ port: '65535' }).port).toBe(65535);
    expect(build({ mtu: '68' }).mtu).toBe(68);
    expect(build({ address: ['192.0.2.1/0', '198.51.100.1/32'] }).addresses.map((a) => a.prefixLength)).toEqual([0, 32]);
    expect(build({ address: ['2001:db8::1/128'] }).addresses[0]!.prefixLength).toBe(128);
    expect(build({ tap: 'a'.repeat(15) }).tapName).toBe('aaaaaaaaaaaaaaa');
  });

  it('lists a peer given twice once', () => {
    expect(build({ peer: ['192.0.2.1', '198.51.100.1', '192.0.2.1'] }).peers).toEqual(['192.0.2.1', '198.51.100.1']);
  });
});

describe('buildVtepConfig refuses bad input, naming the option', () => {
  it.each(['-1', '16777216', 'abc', '', '1.5', '0x10'])('--vni %j', (vni) => {
    expectConfigError({ vni }, '--vni', vni);
  });

  it('--vni missing', () => {
    expectConfigError({} as RawRunOptions, '--vni');
  });

  it.each(['1.2.3', '192.0.2.256', 'example', '2001:db8::g'])('--peer %j', (peer) => {
    expectConfigError({ vni: '42', peer: ['192.0.2.1', peer] }, '--peer', peer);
  });

  it('--peer of mixed IPv4 and IPv6', () => {
    expectConfigError({ vni: '42', peer: ['192.0.2.1', '2001:db8::1'] }, '--peer 2001:db8::1 is IPv6 but the underlay is IPv4');
    expectConfigError({ vni: '42', peer: ['2001:db8::1', '192.0.2.1'] }, '--peer 192.0.2.1 is IPv4 but the underlay is IPv6');
  });

  it('--peer of another family than --local', () => {
    expectConfigError({ vni: '42', local: '2001:db8::1', peer: ['192.0.2.1'] }, '--peer 192.0.2.1 is IPv4');
  });

  it('--local that is not an address', () => {
    expectConfigError({ vni: '42', local: '192.0.2' }, '--local', '192.0.2');
  });

  it.each(['0', '70000', '65536', '-1', 'http'])('--port %j', (port) => {
    expectConfigError({ vni: '42', port }, '--port', port);
  });

  it.each(['67', '0', '65536', 'big'])('--mtu %j', (mtu) => {
    expectConfigError({ vni: '42', mtu }, '--mtu', mtu);
  });

  it.each(['zz:00:00:00:00:01', '02:00:00:00:00', '02-00-00-00-00-01', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00'])(
    '--mac %j',
    (mac) => {
      expectConfigError({ vni: '42', mac }, '--mac', mac);
    },
  );

  // [input, the part of it the message quotes]
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['192.0.2.1/33', '"33" in "192.0.2.1/33"'],
    ['192.0.2.1/', '"" in "192.0.2.1/"'],
    ['192.0.2.1/-1', '"-1"'],
    ['192.0.2.1/2a', '"2a"'],
    ['2001:db8::1/129', '"129"'],
    ['198.51.100/24', '"198.51.100"'],
    ['/24', 'not ""'],
  ])('--address %j', (address, quoted) => {
    expectConfigError({ vni: '42', address: ['203.0.113.1/24', address] }, '--address', quoted);
  });

  it.each(['a'.repeat(16), 'vx/0', 'vx:0', 'vx 0', '.', '..'])('--tap %j', (tap) => {
    expectConfigError({ vni: '42', tap }, '--tap', tap);
  });

  it('--tap of more than 15 bytes in UTF-8', () => {
    expectConfigError({ vni: '42', tap: 'é'.repeat(8) }, '--tap');
  });

  it.each(['verbose', 'INFO', ''])('--log-level %j', (logLevel) => {
    expectConfigError({ vni: '42', logLevel }, '--log-level', logLevel);
  });

  it.each(['-5', 'never', '2147484'])('--ageing %j', (ageing) => {
    expectConfigError({ vni: '42', ageing }, '--ageing', ageing);
  });
});

describe('buildVtepConfig: outer header options (--ttl, --tos, --df, --srcport) and --io', () => {
  it('takes the source port range from the system when --srcport is not given', () => {
    expect(build({}, { ...SYSTEM, localPortRange: { min: 1024, max: 65535 } }).outer).toMatchObject({ srcPortMin: 1024, srcPortMax: 65535 });
    expect(build({ srcport: '50000-50009' }, { ...SYSTEM, localPortRange: { min: 1024, max: 65535 } }).outer).toMatchObject({
      srcPortMin: 50000,
      srcPortMax: 50009,
    });
  });

  it.each([
    ['auto', 'auto'],
    ['inherit', 'inherit'],
    ['1', 1],
    ['64', 64],
    ['255', 255],
  ] as const)('--ttl %s', (ttl, expected) => {
    expect(build({ ttl }).outer.ttl).toBe(expected);
  });

  it.each([
    ['inherit', 'inherit'],
    ['0', 0],
    ['184', 184],
    ['255', 255],
    ['0x10', 0x10],
    ['0xB8', 0xb8],
    ['0xff', 0xff],
    ['0x0', 0],
  ] as const)('--tos %s', (tos, expected) => {
    expect(build({ tos }).outer.tos).toBe(expected);
  });

  it.each(['unset', 'set', 'inherit'] as const)('--df %s', (df) => {
    expect(build({ df }).outer.df).toBe(df);
  });

  it.each([
    ['1024-2047', 1024, 2047],
    ['4789-4789', 4789, 4789],
    ['1-65535', 1, 65535],
  ] as const)('--srcport %s', (srcport, min, max) => {
    expect(build({ srcport }).outer).toMatchObject({ srcPortMin: min, srcPortMax: max });
  });

  it('keeps the other outer fields at their defaults when one is given', () => {
    expect(build({ ttl: '9' }).outer).toEqual({ ttl: 9, tos: 0, df: 'unset', srcPortMin: 40000, srcPortMax: 40999 });
    expect(build({ tos: 'inherit', df: 'inherit' }).outer).toEqual({
      ttl: 'auto',
      tos: 'inherit',
      df: 'inherit',
      srcPortMin: 40000,
      srcPortMax: 40999,
    });
  });

  it.each(['native', 'dgram'] as const)('--io %s', (io) => {
    expect(build({ io }).io).toBe(io);
  });

  it('accepts every outer option with --io native', () => {
    const config = build({ io: 'native', ttl: 'inherit', tos: '0x20', df: 'set', srcport: '20000-20099' });
    expect(config.io).toBe('native');
    expect(config.outer).toEqual({ ttl: 'inherit', tos: 0x20, df: 'set', srcPortMin: 20000, srcPortMax: 20099 });
  });

  it('keeps the outer defaults with --io dgram', () => {
    expect(build({ io: 'dgram' })).toMatchObject({
      io: 'dgram',
      outer: { ttl: 'auto', tos: 0, df: 'unset', srcPortMin: 40000, srcPortMax: 40999 },
    });
  });
});

describe('buildVtepConfig refuses bad outer header options, naming the option', () => {
  it.each(['0', '256', '-1', 'abc', '', '1.5', 'AUTO'])('--ttl %j', (ttl) => {
    expectConfigError({ vni: '42', ttl }, '--ttl', ttl);
  });

  it.each(['256', '0x100', 'x10', '-1', '', '0x', '1.5', 'INHERIT', '0xg0'])('--tos %j', (tos) => {
    expectConfigError({ vni: '42', tos }, '--tos', tos);
  });

  it.each(['on', 'SET', '', 'true'])('--df %j', (df) => {
    expectConfigError({ vni: '42', df }, '--df', df);
  });

  // [input, the part of it the message quotes]
  it.each([
    ['1000', '1000'],
    ['1000-', '1000-'],
    ['-2000', '-2000'],
    ['a-b', 'a-b'],
    ['1000:2000', '1000:2000'],
    [' 1000-2000', ' 1000-2000'],
    ['0-100', 'not 0'],
    ['1-65536', 'not 65536'],
    ['2000-1000', '2000-1000'],
  ])('--srcport %j', (srcport, quoted) => {
    expectConfigError({ vni: '42', srcport }, '--srcport', quoted);
  });

  it.each(['udp', 'DGRAM', ''])('--io %j', (io) => {
    expectConfigError({ vni: '42', io }, '--io', io);
  });

  it.each([
    ['ttl', { ttl: '64' }],
    ['tos', { tos: 'inherit' }],
    ['df', { df: 'set' }],
    ['srcport', { srcport: '1024-2047' }],
  ] as const)('--%s with --io dgram, which cannot set it per datagram', (option, extra) => {
    expectConfigError({ vni: '42', io: 'dgram', ...extra }, `--${option}`, '--io native');
  });
});

describe('peer addresses', () => {
  it('keeps one peer per address however it is written, in canonical form', () => {
    expect(build({ peer: ['2001:db8::1', '2001:DB8:0:0::1', '2001:db8::2'] }).peers).toEqual(['2001:db8::1', '2001:db8::2']);
  });
});
