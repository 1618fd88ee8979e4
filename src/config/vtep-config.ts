// Turns raw settings (command-line options, or the fields of a config file) into one
// validated VtepConfig: the underlay shared by every VNI, and one segment per VNI. All
// input errors surface here, before anything is created, naming the option or field.
import { availableParallelism } from 'node:os';
import { ConfigError } from './errors.js';
import { ENCAP_OVERHEAD, MIN_MTU } from '../wire/vxlan.js';
import type { OuterHeaderConfig } from '../engine/engine.js';
import type { FdbState } from '../engine/fdb.js';
import { buildMembership, type MembershipConfig, type RawMembership } from './membership.js';
import {
  parseAcceptFrom,
  parseFlowLabel,
  parseAgeing,
  parseBusyPoll,
  parseThreads,
  parseCidr,
  parseDf,
  parseInterfaceName,
  parseIo,
  parseIp,
  parseLogLevel,
  parseMtu,
  parseMulticastIp,
  parseOuterIds,
  parseOffload,
  parseHostPort,
  parseMaxAddress,
  parseSocketPath,
  parsePort,
  parsePortRange,
  parseStatsInterval,
  parseTos,
  parseTtl,
  parseUnicastIp,
  parseTapMac,
  parseVni,
  type Cidr,
  type LogLevel,
  type TapMac,
} from './parse.js';

export const DEFAULT_PORT = 4789;
// 1500 - 50 (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14); an IPv6 outer
// header is 20 bytes longer.
/** Without a lower device, as the kernel: a 1500-byte underlay less the overhead. */
export const DEFAULT_MTU = { 4: 1500 - ENCAP_OVERHEAD[4], 6: 1500 - ENCAP_OVERHEAD[6] } as const;
export const DEFAULT_AGEING_SECONDS = 300;

/** What every VNI of one process shares: one UDP port, one way to send. */
export interface UnderlayConfig {
  port: number;
  /** Source address to bind, if any. */
  local?: string;
  /** Underlay device: sockets bind to it, groups are joined on it, MTUs follow it. */
  device?: string;
  /** The device's MTU, read once when the configuration is built. */
  deviceMtu?: number;
  /** From --local, else the groups or peers (IPv4 when none says). */
  family: 4 | 6;
  io: 'native' | 'dgram';
  outer: OuterHeaderConfig;
  /** TAP offloads: TCP super-frames segmented here; same-flow segments merged unless 'no-coalesce'. */
  offload: 'on' | 'off' | 'no-coalesce';
  /** After a batch, keep polling the TAPs and the socket this many µs before sleeping; 0 never. */
  busyPollUs: number;
  /**
   * Data-path workers: each reads its own queue of every TAP and its own socket on the
   * port; with more than one, the TAPs are multi-queue and the sockets share the port.
   */
  threads: number;
  /**
   * Outer IPv4 IDs with DF clear: 'unique' (as the kernel's vxlan; trains leave datagram
   * by datagram) or 'overlap' (one UDP GSO send per train: faster, but the kernel numbers
   * each train's IDs from one base, so consecutive trains' IDs overlap). Absent: overlap,
   * since unique costs about four fifths of one TCP stream (see bench/RESULTS.md).
   */
  outerIds?: 'unique' | 'overlap';
  /** IPv4: outer UDP checksums sent (the kernel's udpcsum, on by default). Absent: true. */
  udpChecksum?: boolean;
  /** IPv6: sent without outer UDP checksum (udp6zerocsumtx). Absent: false. */
  udp6ZeroChecksumTx?: boolean;
  /** IPv6: datagrams without UDP checksum accepted (udp6zerocsumrx). Absent: false. */
  udp6ZeroChecksumRx?: boolean;
  /** Whose datagrams are decapsulated: anyone's (the kernel's way) or known VTEPs' only. */
  acceptFrom: 'any' | 'peers';
  /** TAPs outlive the process, and learned state is saved at stop and restored at start. */
  persist: boolean;
}

/** One VNI: its TAP and its flood list. */
export interface SegmentConfig {
  vni: number;
  peers: string[];
  /** Multicast group for flooded traffic, instead of peers. */
  group?: string;
  /** TAP name; empty lets the kernel pick (tap0, tap1, ...). */
  tapName: string;
  mtu: number;
  /** Derived from the machine and TAP name by default (stable across restarts). */
  mac: TapMac;
  addresses: Cidr[];
  /** An existing Linux bridge to attach the TAP to. */
  bridge?: string;
  learning: boolean;
  ageingSeconds: number;
  /** Most FDB entries, every kind counted; 0 no limit. */
  maxAddress: number;
  proxy: boolean;
  l2miss: boolean;
  l3miss: boolean;
  /** Control socket path; undefined: /run/vxlan-tap/<tap>.sock once the TAP has its name. */
  control?: string;
  /** FDB entries the config file keeps (`bridge fdb add`/`append` at start and on reload). */
  fdb: ConfiguredFdbEntry[];
  /** Neighbour entries the config file keeps (`ip neigh add`). */
  neigh: ConfiguredNeighbour[];
}

export interface ConfiguredFdbEntry {
  /** Canonical text form. */
  mac: string;
  dst: string;
  port?: number;
  vni?: number;
  state: FdbState;
}

export interface ConfiguredNeighbour {
  ip: string;
  lladdr: Uint8Array;
  router: boolean;
}

export interface VtepConfig {
  underlay: UnderlayConfig;
  segments: SegmentConfig[];
  logLevel: LogLevel;
  /** Log counters, heap size and GC count this often; 0 never. */
  statsIntervalSeconds: number;
  /** Serve Prometheus metrics here, if set. */
  metrics?: { host: string; port: number };
  /** Register in etcd and program the tables from the other members, if set. */
  membership?: MembershipConfig;
}

/** Settings of one VNI, as text (options) or as found in the file. */
export interface RawSegment {
  vni?: string;
  peer?: string[];
  group?: string;
  tap?: string;
  mtu?: string;
  mac?: string;
  address?: string[];
  bridge?: string;
  learning?: boolean;
  ageing?: string;
  maxAddress?: string;
  proxy?: boolean;
  l2miss?: boolean;
  l3miss?: boolean;
  control?: string;
}

/** Settings shared by all VNIs. */
export interface RawUnderlay {
  port?: string;
  local?: string;
  dev?: string;
  io?: string;
  ttl?: string;
  tos?: string;
  df?: string;
  srcport?: string;
  offload?: string;
  busyPoll?: string;
  threads?: string;
  acceptFrom?: string;
  flowlabel?: string;
  outerIds?: string;
  udpcsum?: boolean;
  udp6zerocsumtx?: boolean;
  udp6zerocsumrx?: boolean;
  persist?: boolean;
  logLevel?: string;
  statsInterval?: string;
  metrics?: string;
}

/** The run command's options: one segment, the underlay and membership. */
export type RawRunOptions = RawSegment & RawUnderlay & RawMembership;

/** Where the kernel takes defaults from. */
export interface SystemDefaults {
  /** The source port range (per network namespace). */
  localPortRange: { min: number; max: number };
  /** The MTU of an interface, or undefined when there is no such interface. */
  deviceMtu(name: string): number | undefined;
}

/** The name to blame for a bad setting: `--peer` on the command line, `vnis[1].peers` in a file. */
export type Namer = (setting: string) => string;

export const optionNamer: Namer = (setting) => `--${setting.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

// node:dgram sends every datagram from the bound port with the socket's TTL and TOS,
// cannot bind to a device or join a group on one, and delivers only through its own
// callbacks (nothing to busy-poll).
const NATIVE_ONLY = ['ttl', 'tos', 'df', 'srcport', 'flowlabel', 'dev', 'busyPoll', 'outerIds', 'udpcsum', 'udp6zerocsumtx', 'udp6zerocsumrx'] as const;

/** Names a setting of the i-th VNI (options and file fields name them differently). */
export type SegmentNamer = (index: number, setting: string) => string;

/** The underlay family: --local decides, else the first group or peer, else IPv4. */
function underlayFamily(raw: RawUnderlay, segments: RawSegment[], name: Namer, segmentName: SegmentNamer): 4 | 6 {
  if (raw.local !== undefined) return parseIp(name('local'), raw.local).family;
  for (const [i, segment] of segments.entries()) {
    if (segment.group !== undefined) return parseIp(segmentName(i, 'group'), segment.group).family;
    const peer = segment.peer?.[0];
    if (peer !== undefined) return parseIp(segmentName(i, 'peer'), peer).family;
  }
  return 4;
}

export function buildUnderlay(
  raw: RawUnderlay,
  segments: RawSegment[],
  system: SystemDefaults,
  name: Namer,
  segmentName: SegmentNamer = (_, setting) => name(setting),
): UnderlayConfig {
  const io = raw.io === undefined ? 'native' : parseIo(raw.io, name('io'));
  if (io === 'dgram') {
    for (const setting of NATIVE_ONLY) {
      if (raw[setting] !== undefined) throw new ConfigError(`${name(setting)} needs native I/O: node:dgram cannot do it`);
    }
    // node:dgram cannot share the port (SO_REUSEPORT) between workers.
    if (raw.threads !== undefined && raw.threads !== '1') throw new ConfigError(`${name('threads')} above 1 needs native I/O: node:dgram cannot do it`);
    const withGroup = segments.findIndex((s) => s.group !== undefined);
    if (withGroup >= 0) throw new ConfigError(`${segmentName(withGroup, 'group')} needs native I/O: node:dgram cannot do it`);
  }
  const device = raw.dev === undefined ? undefined : parseInterfaceName(name('dev'), raw.dev);
  const deviceMtu = device === undefined ? undefined : system.deviceMtu(device);
  if (device !== undefined && deviceMtu === undefined) throw new ConfigError(`${name('dev')} ${device}: no such interface`);
  const srcPorts = raw.srcport === undefined ? system.localPortRange : parsePortRange(raw.srcport, name('srcport'));
  return {
    port: raw.port === undefined ? DEFAULT_PORT : parsePort(raw.port, name('port')),
    local: raw.local === undefined ? undefined : parseIp(name('local'), raw.local).address,
    device,
    deviceMtu,
    family: underlayFamily(raw, segments, name, segmentName),
    io,
    offload: raw.offload === undefined ? 'on' : parseOffload(raw.offload, name('offload')),
    busyPollUs: raw.busyPoll === undefined ? 0 : parseBusyPoll(raw.busyPoll, name('busyPoll')),
    threads: raw.threads === undefined ? 1 : parseThreads(raw.threads, availableParallelism(), name('threads')),
    ...(raw.outerIds === undefined ? {} : { outerIds: parseOuterIds(raw.outerIds, name('outerIds')) }),
    ...(raw.udpcsum === undefined ? {} : { udpChecksum: raw.udpcsum }),
    ...(raw.udp6zerocsumtx === undefined ? {} : { udp6ZeroChecksumTx: raw.udp6zerocsumtx }),
    ...(raw.udp6zerocsumrx === undefined ? {} : { udp6ZeroChecksumRx: raw.udp6zerocsumrx }),
    acceptFrom: raw.acceptFrom === undefined ? 'any' : parseAcceptFrom(raw.acceptFrom, name('acceptFrom')),
    persist: raw.persist ?? false,
    outer: {
      ttl: raw.ttl === undefined ? 'auto' : parseTtl(raw.ttl, name('ttl')),
      tos: raw.tos === undefined ? 0 : parseTos(raw.tos, name('tos')),
      df: raw.df === undefined ? 'unset' : parseDf(raw.df, name('df')),
      srcPortMin: srcPorts.min,
      srcPortMax: srcPorts.max,
      flowLabel: raw.flowlabel === undefined ? 0 : parseFlowLabel(raw.flowlabel, name('flowlabel')),
    },
  };
}

function defaultMtu(underlay: UnderlayConfig): number {
  if (underlay.deviceMtu === undefined) return DEFAULT_MTU[underlay.family];
  return Math.max(MIN_MTU, underlay.deviceMtu - ENCAP_OVERHEAD[underlay.family]);
}

export function buildSegment(raw: RawSegment, underlay: UnderlayConfig, name: Namer): SegmentConfig {
  if (raw.vni === undefined) throw new ConfigError(`${name('vni')} is required`);
  const peers = (raw.peer ?? []).map((p) => parseUnicastIp(name('peer'), p, name('group')));
  const group = raw.group === undefined ? undefined : parseMulticastIp(name('group'), raw.group);
  if (group !== undefined && peers.length > 0) {
    throw new ConfigError(`${name('group')} and ${name('peer')} exclude each other, as group and remote do in the kernel`);
  }
  for (const [setting, ip] of [...peers.map((p) => ['peer', p] as const), ['group', group] as const]) {
    if (ip !== undefined && ip.family !== underlay.family) {
      throw new ConfigError(`${name(setting)} ${ip.address} is IPv${ip.family} but the underlay is IPv${underlay.family}: use one family`);
    }
  }
  return {
    vni: parseVni(raw.vni, name('vni')),
    peers: [...new Set(peers.map((p) => p.address))],
    group: group?.address,
    tapName: raw.tap === undefined ? '' : parseInterfaceName(name('tap'), raw.tap),
    mtu: raw.mtu === undefined ? defaultMtu(underlay) : parseMtu(raw.mtu, name('mtu')),
    mac: raw.mac === undefined ? 'persistent' : parseTapMac(raw.mac, name('mac')),
    addresses: (raw.address ?? []).map((a) => parseCidr(name('address'), a)),
    bridge: raw.bridge === undefined ? undefined : parseInterfaceName(name('bridge'), raw.bridge),
    learning: raw.learning ?? true,
    ageingSeconds: raw.ageing === undefined ? DEFAULT_AGEING_SECONDS : parseAgeing(raw.ageing, name('ageing')),
    maxAddress: raw.maxAddress === undefined ? 0 : parseMaxAddress(raw.maxAddress, name('maxAddress')),
    proxy: raw.proxy ?? false,
    l2miss: raw.l2miss ?? false,
    l3miss: raw.l3miss ?? false,
    control: raw.control === undefined ? undefined : parseSocketPath(raw.control, name('control')),
    fdb: [],
    neigh: [],
  };
}

/** Checks that hold across VNIs: each VNI, TAP name and control socket once. */
export function checkSegments(segments: SegmentConfig[], name: SegmentNamer): void {
  const vnis = new Set<number>();
  const taps = new Set<string>();
  const controls = new Set<string>();
  segments.forEach((segment, i) => {
    if (vnis.has(segment.vni)) throw new ConfigError(`${name(i, 'vni')} ${segment.vni} appears twice`);
    vnis.add(segment.vni);
    if (segment.tapName !== '' && taps.has(segment.tapName)) throw new ConfigError(`${name(i, 'tap')} ${segment.tapName} appears twice`);
    taps.add(segment.tapName);
    if (segment.control !== undefined && controls.has(segment.control)) throw new ConfigError(`${name(i, 'control')} ${segment.control} appears twice`);
    if (segment.control !== undefined) controls.add(segment.control);
  });
}

/** The run command's options: one VNI. */
export function buildVtepConfig(raw: RawRunOptions, system: SystemDefaults): VtepConfig {
  if (raw.vni === undefined) throw new ConfigError('--vni is required (or give --config)');
  const underlay = buildUnderlay(raw, [raw], system, optionNamer);
  return {
    underlay,
    segments: [buildSegment(raw, underlay, optionNamer)],
    logLevel: raw.logLevel === undefined ? 'info' : parseLogLevel(raw.logLevel),
    statsIntervalSeconds: raw.statsInterval === undefined ? 0 : parseStatsInterval(raw.statsInterval),
    metrics: raw.metrics === undefined ? undefined : parseHostPort(raw.metrics, '--metrics'),
    membership: buildMembership(raw, optionNamer),
  };
}
