// Turns the run command's raw options into one validated VtepConfig. All input errors
// surface here, before anything is created.
import { ConfigError } from './errors.js';
import type { OuterHeaderConfig } from '../engine/engine.js';
import {
  parseAgeing,
  parseStatsInterval,
  parseCidr,
  parseDf,
  parseIo,
  parsePortRange,
  parseTos,
  parseTtl,
  parseInterfaceName,
  parseIp,
  parseMulticastIp,
  parseLogLevel,
  parseMtu,
  parsePort,
  parseUnicastMac,
  parseVni,
  type Cidr,
  type LogLevel,
} from './parse.js';

export const DEFAULT_PORT = 4789;
// 1500 - 50 (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14); an IPv6 outer
// header is 20 bytes longer.
export const DEFAULT_MTU = { 4: 1450, 6: 1430 } as const;
export const DEFAULT_AGEING_SECONDS = 300;

export interface VtepConfig {
  vni: number;
  peers: string[];
  port: number;
  /** Source address to bind, if any. */
  local?: string;
  /** Multicast group for flooded traffic, instead of peers. */
  group?: string;
  /** Underlay device: sockets bind to it, the group is joined on it, the MTU follows it. */
  device?: string;
  /** Underlay address family, from --local, the group or the peers (IPv4 when none says). */
  family: 4 | 6;
  /** An existing Linux bridge to attach the TAP to. */
  bridge?: string;
  /** TAP name; empty lets the kernel pick (tap0, tap1, ...). */
  tapName: string;
  mtu: number;
  mac?: Uint8Array;
  addresses: Cidr[];
  learning: boolean;
  ageingSeconds: number;
  logLevel: LogLevel;
  io: 'native' | 'dgram';
  outer: OuterHeaderConfig;
  /** Log counters, heap size and GC count this often; 0 never. */
  statsIntervalSeconds: number;
}

/** Options as commander hands them over: strings, lists of strings, booleans. */
export interface RawRunOptions {
  vni: string;
  peer?: string[];
  group?: string;
  dev?: string;
  bridge?: string;
  port?: string;
  local?: string;
  tap?: string;
  mtu?: string;
  mac?: string;
  address?: string[];
  learning?: boolean;
  ageing?: string;
  logLevel?: string;
  io?: string;
  ttl?: string;
  tos?: string;
  df?: string;
  srcport?: string;
  statsInterval?: string;
}

/** Where the kernel takes its default source port range from (per network namespace). */
export interface SystemDefaults {
  localPortRange: { min: number; max: number };
  /** The MTU of an interface, or undefined when there is no such interface. */
  deviceMtu(name: string): number | undefined;
}

// node:dgram sends every datagram from the bound port with the socket's TTL and TOS, and
// cannot bind to a device or join a group on one.
function checkDgramLimits(raw: RawRunOptions): void {
  for (const option of ['ttl', 'tos', 'df', 'srcport', 'group', 'dev'] as const) {
    if (raw[option] !== undefined) throw new ConfigError(`--${option} needs --io native: node:dgram cannot do it`);
  }
}

// Outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14; IPv6 is 20 bytes longer.
const ENCAP_OVERHEAD = { 4: 50, 6: 70 } as const;

function defaultMtu(family: 4 | 6, device: string | undefined, system: SystemDefaults): number {
  if (device === undefined) return DEFAULT_MTU[family];
  const lower = system.deviceMtu(device);
  if (lower === undefined) throw new ConfigError(`--dev ${device}: no such interface`);
  return Math.max(68, lower - ENCAP_OVERHEAD[family]);
}

export function buildVtepConfig(raw: RawRunOptions, system: SystemDefaults): VtepConfig {
  const peers = (raw.peer ?? []).map((p) => parseIp('--peer', p));
  const group = raw.group === undefined ? undefined : parseMulticastIp('--group', raw.group);
  if (group !== undefined && peers.length > 0) throw new ConfigError('--group and --peer exclude each other, as group and remote do in the kernel');
  const local = raw.local === undefined ? undefined : parseIp('--local', raw.local);
  const family = local?.family ?? group?.family ?? peers[0]?.family ?? 4;
  for (const [option, ip] of [...peers.map((p) => ['--peer', p] as const), ['--group', group] as const]) {
    if (ip !== undefined && ip.family !== family) {
      throw new ConfigError(`${option} ${ip.address} is IPv${ip.family} but the underlay is IPv${family}: use one family`);
    }
  }
  const device = raw.dev === undefined ? undefined : parseInterfaceName('--dev', raw.dev);
  const io = raw.io === undefined ? 'native' : parseIo(raw.io);
  if (io === 'dgram') checkDgramLimits(raw);
  const srcPorts = raw.srcport === undefined ? system.localPortRange : parsePortRange(raw.srcport);
  return {
    vni: parseVni(raw.vni),
    peers: [...new Set(peers.map((p) => p.address))],
    port: raw.port === undefined ? DEFAULT_PORT : parsePort(raw.port),
    group: group?.address,
    device,
    local: local?.address,
    family,
    bridge: raw.bridge === undefined ? undefined : parseInterfaceName('--bridge', raw.bridge),
    tapName: raw.tap === undefined ? '' : parseInterfaceName('--tap', raw.tap),
    mtu: raw.mtu === undefined ? defaultMtu(family, device, system) : parseMtu(raw.mtu),
    mac: raw.mac === undefined ? undefined : parseUnicastMac('--mac', raw.mac),
    addresses: (raw.address ?? []).map((a) => parseCidr('--address', a)),
    learning: raw.learning ?? true,
    ageingSeconds: raw.ageing === undefined ? DEFAULT_AGEING_SECONDS : parseAgeing(raw.ageing),
    statsIntervalSeconds: raw.statsInterval === undefined ? 0 : parseStatsInterval(raw.statsInterval),
    logLevel: raw.logLevel === undefined ? 'info' : parseLogLevel(raw.logLevel),
    io,
    outer: {
      ttl: raw.ttl === undefined ? 'auto' : parseTtl(raw.ttl),
      tos: raw.tos === undefined ? 0 : parseTos(raw.tos),
      df: raw.df === undefined ? 'unset' : parseDf(raw.df),
      srcPortMin: srcPorts.min,
      srcPortMax: srcPorts.max,
    },
  };
}
