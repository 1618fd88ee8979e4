import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { buildVtepConfig, type RawRunOptions, type SegmentConfig, type SystemDefaults } from '../../src/config/vtep-config.js';
import { formatMac } from '../../src/wire/mac.js';
import { SEGMENT_DEFAULTS, UNDERLAY_DEFAULTS } from './config-defaults.js';

// Not the kernel's own default range (32768-60999), so a test can tell where a range came from.
// One underlay device, ul0, with a jumbo MTU; every other name is unknown.
const SYSTEM: SystemDefaults = {
  localPortRange: { min: 40000, max: 40999 },
  deviceMtu: (name) => (name === 'ul0' ? 9000 : undefined),
};

/** A system whose only device, ul0, has the given MTU. */
const systemWithMtu = (mtu: number): SystemDefaults => ({ ...SYSTEM, deviceMtu: (name) => (name === 'ul0' ? mtu : undefined) });

const build = (extra: Partial<RawRunOptions> = {}, system = SYSTEM) => buildVtepConfig({ vni: '42', ...extra }, system);

/** The one segment (VNI) the options describe. */
function segment(extra: Partial<RawRunOptions> = {}, system = SYSTEM): SegmentConfig {
  const { segments } = build(extra, system);
  expect(segments).toHaveLength(1);
  return segments[0]!;
}

/** The message of the ConfigError the options are refused with; fails when they are accepted. */
function configError(raw: RawRunOptions, system = SYSTEM): string {
  let error: unknown;
  try {
    buildVtepConfig(raw, system);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

/** Asserts that the options are refused with a ConfigError whose message names the option and the bad value. */
function expectConfigError(raw: RawRunOptions, option: string, value?: string, system = SYSTEM): void {
  const message = configError(raw, system);
  expect(message).toContain(option);
  if (value !== undefined) expect(message).toContain(value);
}

describe('buildVtepConfig defaults', () => {
  it('fills in every default for the least input', () => {
    expect(build()).toEqual({
      underlay: UNDERLAY_DEFAULTS,
      segments: [
        { vni: 42, ...SEGMENT_DEFAULTS },
      ],
      statsIntervalSeconds: 0,
      logLevel: 'info',
      metrics: undefined,
    });
  });

  it('uses MTU 1450 with IPv4 peers and 1430 with IPv6 peers', () => {
    expect(build({ peer: ['192.0.2.1', '198.51.100.1'] })).toMatchObject({ underlay: { family: 4 }, segments: [{ mtu: 1450 }] });
    expect(build({ peer: ['2001:db8::1', '2001:db8::2'] })).toMatchObject({ underlay: { family: 6 }, segments: [{ mtu: 1430 }] });
  });

  it('takes the family from --local when there are no peers', () => {
    expect(build({ local: '2001:db8::9' })).toMatchObject({ underlay: { family: 6, local: '2001:db8::9' }, segments: [{ mtu: 1430 }] });
    expect(build({ local: '203.0.113.9' })).toMatchObject({ underlay: { family: 4, local: '203.0.113.9' }, segments: [{ mtu: 1450 }] });
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
      statsInterval: '60',
    });
    expect(config).toMatchObject({
      underlay: { port: 8472 },
      segments: [
        {
          vni: 16_777_215,
          peers: ['192.0.2.1'],
          tapName: 'vx0',
          mtu: 9000,
          learning: false,
          ageingSeconds: 0,
        },
      ],
      logLevel: 'debug',
      statsIntervalSeconds: 60,
    });
    const [only] = config.segments;
    expect(formatMac(only!.mac as Uint8Array)).toBe('02:00:00:aa:bb:cc');
    expect(only!.addresses).toEqual([
      { address: '192.0.2.10', family: 4, prefixLength: 24 },
      { address: '2001:db8::10', family: 6, prefixLength: 64 },
    ]);
  });

  it('accepts the edges of each range', () => {
    expect(segment({ vni: '0' }).vni).toBe(0);
    expect(build({ port: '1' }).underlay.port).toBe(1);
    expect(build({ port: '65535' }).underlay.port).toBe(65535);
    expect(segment({ mtu: '68' }).mtu).toBe(68);
    expect(segment({ address: ['192.0.2.1/0', '198.51.100.1/32'] }).addresses.map((a) => a.prefixLength)).toEqual([0, 32]);
    expect(segment({ address: ['2001:db8::1/128'] }).addresses[0]!.prefixLength).toBe(128);
    expect(segment({ tap: 'a'.repeat(15) }).tapName).toBe('aaaaaaaaaaaaaaa');
    expect(build({ statsInterval: '0' }).statsIntervalSeconds).toBe(0);
    expect(build({ statsInterval: '86400' }).statsIntervalSeconds).toBe(86400);
  });

  it('lists a peer given twice once', () => {
    expect(segment({ peer: ['192.0.2.1', '198.51.100.1', '192.0.2.1'] }).peers).toEqual(['192.0.2.1', '198.51.100.1']);
  });
});

describe('buildVtepConfig refuses bad input, naming the option', () => {
  it.each(['-1', '16777216', 'abc', '', '1.5', '0x10'])('--vni %j', (vni) => {
    expectConfigError({ vni }, '--vni', vni);
  });

  it('--vni missing', () => {
    expect(configError({} as RawRunOptions)).toBe('--vni is required (or give --config)');
    expect(configError({ peer: ['192.0.2.1'], tap: 'vx0' })).toBe('--vni is required (or give --config)');
  });

  it.each(['1.2.3', '192.0.2.256', 'example', '2001:db8::g'])('--peer %j', (peer) => {
    expectConfigError({ vni: '42', peer: ['192.0.2.1', peer] }, '--peer', peer);
  });

  it.each(['239.1.1.1', 'ff02::1'])('--peer %s, a multicast address, as iproute2 refuses a multicast remote', (peer) => {
    expectConfigError({ vni: '42', peer: [peer] }, `--peer must be a unicast address, not ${peer} (a multicast group is --group)`);
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

  it.each(['zz:00:00:00:00:01', '02:00:00:00:00', '02-00-00-00-00-01', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', 'Random', ''])(
    '--mac %j',
    (mac) => {
      expectConfigError({ vni: '42', mac }, '--mac', mac);
    },
  );

  it('takes --mac persistent (the default), random, or a unicast MAC', () => {
    expect(segment().mac).toBe('persistent');
    expect(segment({ mac: 'persistent' }).mac).toBe('persistent');
    expect(segment({ mac: 'random' }).mac).toBe('random');
    expect(formatMac(segment({ mac: '02:00:00:AA:BB:CC' }).mac as Uint8Array)).toBe('02:00:00:aa:bb:cc');
    expect(configError({ vni: '42', mac: 'stable' })).toBe('--mac must be persistent, random or a MAC like 02:00:00:00:00:01, not "stable"');
  });

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

  it('states the --ageing range in whole seconds', () => {
    expect(configError({ vni: '42', ageing: '2147484' })).toBe('--ageing must be from 0 to 2147483, not 2147484');
    expect(segment({ ageing: '2147483' }).ageingSeconds).toBe(2147483);
  });

  it.each<[keyof RawRunOptions, string | string[]]>([
    ['peer', ['fe80::1%eth0']],
    ['local', 'fe80::2%eth0'],
    ['group', 'ff02::1%eth0'],
  ])('refuses a zone index in --%s instead of dropping it', (option, value) => {
    const text = Array.isArray(value) ? value[0]! : value;
    expect(configError({ vni: '42', [option]: value })).toBe(
      `--${option} must be an address without a zone index, not "${text}" (the link of a link-local address is --dev, or the TAP itself)`,
    );
  });

  it('takes IPv4 only in four-part decimal', () => {
    for (const peer of ['192.0.2', '3221225985', '0xc0.0.2.1', '192.000.2.1']) expectConfigError({ vni: '42', peer: [peer] }, '--peer', peer);
  });

  it.each(['-1', '86401', 'hourly', '1.5'])('--stats-interval %j', (statsInterval) => {
    expectConfigError({ vni: '42', statsInterval }, '--stats-interval', statsInterval);
  });
});

describe('buildVtepConfig: --group', () => {
  it('floods to a multicast group instead of peers', () => {
    expect(build({ group: '239.1.1.1' })).toMatchObject({
      underlay: { family: 4, io: 'native' },
      segments: [{ group: '239.1.1.1', peers: [], mtu: 1450 }],
    });
  });

  it('has no group by default', () => {
    expect(segment({ peer: ['192.0.2.1'] }).group).toBeUndefined();
  });

  it('takes the group with --local of the same family', () => {
    expect(build({ group: '239.1.1.255', local: '192.0.2.7' })).toMatchObject({
      underlay: { family: 4, local: '192.0.2.7' },
      segments: [{ group: '239.1.1.255' }],
    });
  });

  it.each(['192.0.2.1', '203.0.113.255', '2001:db8::1'])('refuses --group %j, which is not multicast', (group) => {
    const message = configError({ vni: '42', group });
    expect(message).toContain('--group');
    expect(message).toContain('must be a multicast address');
    expect(message).toContain(group);
  });

  it('refuses --group with --peer', () => {
    expect(configError({ vni: '42', group: '239.1.1.1', peer: ['192.0.2.1'] })).toBe(
      '--group and --peer exclude each other, as group and remote do in the kernel',
    );
  });

  it('refuses a --group of another family than --local', () => {
    expect(configError({ vni: '42', group: '239.1.1.1', local: '2001:db8::1' })).toBe(
      '--group 239.1.1.1 is IPv4 but the underlay is IPv6: use one family',
    );
  });
});

describe('buildVtepConfig: --dev', () => {
  it('binds to the device and takes the TAP MTU from it: 9000 - 50 over IPv4', () => {
    expect(build({ dev: 'ul0', peer: ['192.0.2.1'] })).toMatchObject({
      underlay: { device: 'ul0', family: 4 },
      segments: [{ mtu: 8950 }],
    });
    expect(segment({ dev: 'ul0' }).mtu).toBe(8950);
    expect(segment({ dev: 'ul0', group: '239.1.1.1' }).mtu).toBe(8950);
  });

  it('subtracts 70 over IPv6, whether the peers or --local say so', () => {
    expect(build({ dev: 'ul0', peer: ['2001:db8::1'] })).toMatchObject({
      underlay: { device: 'ul0', family: 6 },
      segments: [{ mtu: 8930 }],
    });
    expect(segment({ dev: 'ul0', local: '2001:db8::9' }).mtu).toBe(8930);
  });

  it('follows the device MTU', () => {
    expect(segment({ dev: 'ul0' }, systemWithMtu(1500)).mtu).toBe(1450);
    expect(segment({ dev: 'ul0', peer: ['2001:db8::1'] }, systemWithMtu(1280)).mtu).toBe(1210);
  });

  it('never goes below 68', () => {
    expect(segment({ dev: 'ul0' }, systemWithMtu(100)).mtu).toBe(68);
    expect(segment({ dev: 'ul0', peer: ['2001:db8::1'] }, systemWithMtu(137)).mtu).toBe(68);
    expect(segment({ dev: 'ul0', peer: ['2001:db8::1'] }, systemWithMtu(139)).mtu).toBe(69);
  });

  it('keeps an explicit --mtu', () => {
    expect(segment({ dev: 'ul0', mtu: '1400' }).mtu).toBe(1400);
  });

  it('asks the system about the named device only', () => {
    const asked: string[] = [];
    const system: SystemDefaults = {
      ...SYSTEM,
      deviceMtu: (name) => {
        asked.push(name);
        return SYSTEM.deviceMtu(name);
      },
    };
    expect(segment({ dev: 'ul0' }, system).mtu).toBe(8950);
    expect(asked).toEqual(['ul0']);
  });

  it('has no device by default', () => {
    expect(build().underlay.device).toBeUndefined();
  });

  it('refuses a device that does not exist', () => {
    expect(configError({ vni: '42', dev: 'ul1' })).toBe('--dev ul1: no such interface');
  });

  it.each(['', 'a'.repeat(16), 'ul/0', 'ul:0', 'ul 0', '..'])('refuses --dev %j', (dev) => {
    expectConfigError({ vni: '42', dev }, '--dev', `"${dev}"`);
  });
});

describe('buildVtepConfig: --bridge', () => {
  it('attaches the TAP to the named bridge', () => {
    expect(segment({ bridge: 'br0' }).bridge).toBe('br0');
    expect(segment({ bridge: 'b'.repeat(15), tap: 'vx0' })).toMatchObject({ bridge: 'bbbbbbbbbbbbbbb', tapName: 'vx0' });
  });

  it('has no bridge by default', () => {
    expect(segment({ tap: 'vx0' }).bridge).toBeUndefined();
  });

  it.each(['', 'b'.repeat(16), 'br/0', 'br:0', 'br 0', '.'])('refuses --bridge %j', (bridge) => {
    expectConfigError({ vni: '42', bridge }, '--bridge', `"${bridge}"`);
  });
});

describe('buildVtepConfig: outer header options (--ttl, --tos, --df, --srcport) and --io', () => {
  it('takes the source port range from the system when --srcport is not given', () => {
    expect(build({}, { ...SYSTEM, localPortRange: { min: 1024, max: 65535 } }).underlay.outer).toMatchObject({
      srcPortMin: 1024,
      srcPortMax: 65535,
    });
    expect(build({ srcport: '50000-50009' }, { ...SYSTEM, localPortRange: { min: 1024, max: 65535 } }).underlay.outer).toMatchObject({
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
    expect(build({ ttl }).underlay.outer.ttl).toBe(expected);
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
    expect(build({ tos }).underlay.outer.tos).toBe(expected);
  });

  it.each(['unset', 'set', 'inherit'] as const)('--df %s', (df) => {
    expect(build({ df }).underlay.outer.df).toBe(df);
  });

  it.each([
    ['1024-2047', 1024, 2047],
    ['4789-4789', 4789, 4789],
    ['1-65535', 1, 65535],
  ] as const)('--srcport %s', (srcport, min, max) => {
    expect(build({ srcport }).underlay.outer).toMatchObject({ srcPortMin: min, srcPortMax: max });
  });

  it('keeps the other outer fields at their defaults when one is given', () => {
    expect(build({ ttl: '9' }).underlay.outer).toEqual({ ttl: 9, tos: 0, df: 'unset', srcPortMin: 40000, srcPortMax: 40999, flowLabel: 0 });
    expect(build({ tos: 'inherit', df: 'inherit' }).underlay.outer).toEqual({
      ttl: 'auto',
      tos: 'inherit',
      df: 'inherit',
      srcPortMin: 40000,
      srcPortMax: 40999,
      flowLabel: 0,
    });
  });

  it.each(['native', 'dgram'] as const)('--io %s', (io) => {
    expect(build({ io }).underlay.io).toBe(io);
  });

  it('accepts every outer option with --io native', () => {
    const { underlay } = build({ io: 'native', ttl: 'inherit', tos: '0x20', df: 'set', srcport: '20000-20099', flowlabel: '0x12345' });
    expect(underlay.io).toBe('native');
    expect(underlay.outer).toEqual({ ttl: 'inherit', tos: 0x20, df: 'set', srcPortMin: 20000, srcPortMax: 20099, flowLabel: 0x12345 });
  });

  it.each([
    ['0', 0],
    ['1048575', 0xfffff],
    ['0xfffff', 0xfffff],
    ['inherit', 'inherit'],
  ] as const)('takes --flowlabel %s', (flowlabel, expected) => {
    expect(build({ flowlabel }).underlay.outer.flowLabel).toBe(expected);
  });

  it.each(['1048576', '0x100000', '-1', 'auto'])('refuses --flowlabel %s', (flowlabel) => {
    expectConfigError({ vni: '42', flowlabel }, `--flowlabel must be 0 to 1048575 (or 0x0 to 0xfffff) or inherit, not "${flowlabel}"`);
  });

  it('accepts --group and --dev with --io native', () => {
    expect(build({ io: 'native', group: '239.1.1.1', dev: 'ul0' })).toMatchObject({
      underlay: { io: 'native', device: 'ul0' },
      segments: [{ group: '239.1.1.1', mtu: 8950 }],
    });
  });

  it('keeps the outer defaults with --io dgram', () => {
    expect(build({ io: 'dgram' }).underlay).toMatchObject({
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
    ['group', { group: '239.1.1.1' }],
    ['dev', { dev: 'ul0' }],
    ['busy-poll', { busyPoll: '50' }],
  ] as const)('--%s with --io dgram, which cannot do it', (option, extra) => {
    expect(configError({ vni: '42', io: 'dgram', ...extra })).toBe(`--${option} needs native I/O: node:dgram cannot do it`);
  });
});

describe('peer addresses', () => {
  it('keeps one peer per address however it is written, in canonical form', () => {
    expect(segment({ peer: ['2001:db8::1', '2001:DB8:0:0::1', '2001:db8::2'] }).peers).toEqual(['2001:db8::1', '2001:db8::2']);
  });

  it('writes --local in canonical form', () => {
    expect(build({ local: '2001:DB8:0:0::9' }).underlay.local).toBe('2001:db8::9');
  });
});

describe('buildVtepConfig: control-plane options', () => {
  it('leaves the control-plane features off by default', () => {
    expect(segment()).toMatchObject({ maxAddress: 0, proxy: false, l2miss: false, l3miss: false });
    expect(segment().control).toBeUndefined();
    expect(build().metrics).toBeUndefined();
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['20000', 20000],
    ['2147483647', 2147483647],
  ])('--max-address %s', (maxAddress, expected) => {
    expect(segment({ maxAddress }).maxAddress).toBe(expected);
  });

  it.each(['-1', 'lots', '1.5', '', '2147483648', '0x10'])('refuses --max-address %j', (maxAddress) => {
    expectConfigError({ vni: '42', maxAddress }, '--max-address', maxAddress);
  });

  it('turns on proxy, l2miss and l3miss each on its own', () => {
    expect(segment({ proxy: true })).toMatchObject({ proxy: true, l2miss: false, l3miss: false });
    expect(segment({ l2miss: true })).toMatchObject({ proxy: false, l2miss: true, l3miss: false });
    expect(segment({ l3miss: true })).toMatchObject({ proxy: false, l2miss: false, l3miss: true });
    expect(segment({ proxy: false, l2miss: false, l3miss: false })).toMatchObject({ proxy: false, l2miss: false, l3miss: false });
  });

  it('takes an absolute --control path of up to 107 bytes', () => {
    expect(segment({ control: '/run/vxlan-tap/vx0.sock' }).control).toBe('/run/vxlan-tap/vx0.sock');
    const longest = `/${'s'.repeat(106)}`;
    expect(segment({ control: longest }).control).toBe(longest);
  });

  it.each([
    ['a relative path', 'vx0.sock'],
    ['a path from the current folder', './vx0.sock'],
    ['an empty path', ''],
    ['108 bytes', `/${'s'.repeat(107)}`],
    ['108 bytes in UTF-8', `/${'é'.repeat(53)}s`],
  ])('refuses --control of %s', (_, control) => {
    expectConfigError({ vni: '42', control }, '--control', `"${control}"`);
  });

  it.each([
    ['192.0.2.1:9100', '192.0.2.1', 9100],
    ['[2001:db8::1]:9100', '2001:db8::1', 9100],
    ['localhost:1', 'localhost', 1],
    ['metrics.example:65535', 'metrics.example', 65535],
  ])('--metrics %s', (metrics, host, port) => {
    expect(build({ metrics }).metrics).toEqual({ host, port });
  });

  it.each(['2001:db8::1:9100', '192.0.2.1', '192.0.2.1:', ':9100', '[]:9100', '[2001:db8::1]', '192.0.2.1:0', '192.0.2.1:65536', '192.0.2.1:http'])(
    'refuses --metrics %j',
    (metrics) => {
      expectConfigError({ vni: '42', metrics }, '--metrics');
    },
  );
});

describe('--busy-poll', () => {
  it('is off by default and takes microseconds up to 100000', () => {
    expect(build({}).underlay.busyPollUs).toBe(0);
    expect(build({ busyPoll: '50' }).underlay.busyPollUs).toBe(50);
    expect(build({ busyPoll: '100000' }).underlay.busyPollUs).toBe(100_000);
  });

  it.each([
    ['-1', '--busy-poll must be a whole number from 0 to 100000, not "-1"'],
    ['1.5', '--busy-poll must be a whole number from 0 to 100000, not "1.5"'],
    ['100001', '--busy-poll must be from 0 to 100000, not 100001'],
  ])('refuses %j in one line', (value, message) => {
    expect(() => build({ busyPoll: value })).toThrow(message);
  });
});

describe('--offload', () => {
  it.each(['on', 'off', 'no-coalesce'] as const)('takes %s', (value) => {
    expect(build({ offload: value }).underlay.offload).toBe(value);
  });

  it('refuses anything else, naming the option', () => {
    expect(() => build({ offload: 'yes' })).toThrow('--offload must be on, off or no-coalesce, not "yes"');
  });
});

describe('--accept-from', () => {
  it('is any by default, as the kernel', () => {
    expect(build({}).underlay.acceptFrom).toBe('any');
  });

  it.each(['any', 'peers'] as const)('takes %s', (value) => {
    expect(build({ acceptFrom: value }).underlay.acceptFrom).toBe(value);
  });

  it('refuses anything else, naming the option', () => {
    expect(() => build({ acceptFrom: 'friends' })).toThrow('--accept-from must be any or peers, not "friends"');
  });
});
