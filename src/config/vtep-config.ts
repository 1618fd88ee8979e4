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
  /** Underlay address family, from --local or the peers (IPv4 when neither says). */
  family: 4 | 6;
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
}

// node:dgram sends every datagram from the bound port with the socket's TTL and TOS.
function checkDgramLimits(raw: RawRunOptions): void {
  for (const option of ['ttl', 'tos', 'df', 'srcport'] as const) {
    if (raw[option] !== undefined) throw new ConfigError(`--${option} needs --io native: node:dgram cannot set it per datagram`);
  }
}

export function buildVtepConfig(raw: RawRunOptions, system: SystemDefaults): VtepConfig {
  const peers = (raw.peer ?? []).map((p) => parseIp('--peer', p));
  const local = raw.local === undefined ? undefined : parseIp('--local', raw.local);
  const family = local?.family ?? peers[0]?.family ?? 4;
  for (const peer of peers) {
    if (peer.family !== family) {
      throw new ConfigError(`--peer ${peer.address} is IPv${peer.family} but the underlay is IPv${family}: use one family`);
    }
  }
  const io = raw.io === undefined ? 'native' : parseIo(raw.io);
  if (io === 'dgram') checkDgramLimits(raw);
  const srcPorts = raw.srcport === undefined ? system.localPortRange : parsePortRange(raw.srcport);
  return {
    vni: parseVni(raw.vni),
    peers: [...new Set(peers.map((p) => p.address))],
    port: raw.port === undefined ? DEFAULT_PORT : parsePort(raw.port),
    local: local?.address,
    family,
    tapName: raw.tap === undefined ? '' : parseInterfaceName('--tap', raw.tap),
    mtu: raw.mtu === undefined ? DEFAULT_MTU[family] : parseMtu(raw.mtu),
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
