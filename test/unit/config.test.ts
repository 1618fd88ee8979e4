import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { buildVtepConfig, type RawRunOptions } from '../../src/config/vtep-config.js';
import { formatMac } from '../../src/vxlan/mac.js';

const build = (extra: Partial<RawRunOptions> = {}) => buildVtepConfig({ vni: '42', ...extra });

/** Asserts that the options are refused with a ConfigError whose message names the option and the bad value. */
function expectConfigError(raw: RawRunOptions, option: string, value?: string): void {
  let error: unknown;
  try {
    buildVtepConfig(raw);
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
      logLevel: 'info',
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
