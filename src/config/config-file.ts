// The --config file: JSON holding the underlay settings and one entry per VNI. Read at
// start and again on SIGHUP; every error names the bad field, e.g. "vnis[1].vni".
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseHostPort, parseIp, parseLogLevel, parsePort, parseStatsInterval, parseUnicastMac, parseVni } from './parse.js';
import { formatMac, parseMac } from '../vxlan/mac.js';
import { buildMembership, MEMBERSHIP_SETTINGS, readMembershipFields } from './membership.js';
import {
  buildSegment,
  buildUnderlay,
  checkSegments,
  type ConfiguredFdbEntry,
  type ConfiguredNeighbour,
  type RawSegment,
  type RawUnderlay,
  type SystemDefaults,
  type VtepConfig,
} from './vtep-config.js';

type Kind = 'text' | 'list' | 'flag';

// File field -> the raw setting it feeds, and what JSON it may hold. Numbers may be
// written as numbers or strings ("ttl": 64 or "ttl": "inherit").
const UNDERLAY_FIELDS: Record<string, [keyof RawUnderlay, Kind]> = {
  port: ['port', 'text'],
  local: ['local', 'text'],
  dev: ['dev', 'text'],
  io: ['io', 'text'],
  ttl: ['ttl', 'text'],
  tos: ['tos', 'text'],
  df: ['df', 'text'],
  srcport: ['srcport', 'text'],
  offload: ['offload', 'text'],
  logLevel: ['logLevel', 'text'],
  statsInterval: ['statsInterval', 'text'],
  metrics: ['metrics', 'text'],
};

const SEGMENT_FIELDS: Record<string, [keyof RawSegment, Kind]> = {
  vni: ['vni', 'text'],
  peers: ['peer', 'list'],
  group: ['group', 'text'],
  tap: ['tap', 'text'],
  mtu: ['mtu', 'text'],
  mac: ['mac', 'text'],
  addresses: ['address', 'list'],
  bridge: ['bridge', 'text'],
  learning: ['learning', 'flag'],
  ageing: ['ageing', 'text'],
  maxAddress: ['maxAddress', 'text'],
  proxy: ['proxy', 'flag'],
  l2miss: ['l2miss', 'flag'],
  l3miss: ['l3miss', 'flag'],
  control: ['control', 'text'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks each field's JSON type and turns it into the raw (text) setting. */
function readFields<T>(json: Record<string, unknown>, fields: Record<string, [keyof T, Kind]>, path: string, skip: string[] = []): T {
  const raw: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(json)) {
    if (skip.includes(field)) continue;
    if (!Object.hasOwn(fields, field)) {
      throw new ConfigError(`unknown field ${path}${field} (known: ${[...Object.keys(fields), ...skip].join(', ')})`);
    }
    const [setting, kind] = fields[field]!;
    const name = `${path}${field}`;
    if (kind === 'flag') {
      if (typeof value !== 'boolean') throw new ConfigError(`${name} must be true or false`);
      raw[setting as string] = value;
    } else if (kind === 'list') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ConfigError(`${name} must be a list of strings`);
      raw[setting as string] = value;
    } else {
      if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${name} must be a string or a number`);
      raw[setting as string] = String(value);
    }
  }
  return raw as T;
}

/** Field names for messages, from the raw setting they feed. */
function fieldNamer(fields: Record<string, [string, Kind]>, path: string): (setting: string) => string {
  return (setting) => `${path}${Object.keys(fields).find((f) => fields[f]![0] === setting) ?? setting}`;
}

const FDB_STATES = ['permanent', 'static', 'dynamic'] as const;

/** `fdb`: a list of { mac, dst, port?, vni?, state? } (state: permanent by default). */
function readFdbEntries(value: unknown, path: string): ConfiguredFdbEntry[] {
  if (!Array.isArray(value)) throw new ConfigError(`${path} must be a list of { mac, dst, port?, vni?, state? }`);
  return value.map((entry, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(entry)) throw new ConfigError(`${at} must be an object`);
    const raw = readFields<Record<string, string>>(entry, { mac: ['mac', 'text'], dst: ['dst', 'text'], port: ['port', 'text'], vni: ['vni', 'text'], state: ['state', 'text'] }, `${at}.`);
    if (raw['mac'] === undefined || raw['dst'] === undefined) throw new ConfigError(`${at} needs mac and dst`);
    const mac = parseMac(raw['mac']);
    if (mac === undefined) throw new ConfigError(`${at}.mac must be a MAC like 02:00:00:00:00:01, not "${raw['mac']}"`);
    const state = raw['state'] ?? 'permanent';
    if (!(FDB_STATES as readonly string[]).includes(state)) throw new ConfigError(`${at}.state must be permanent, static or dynamic, not "${state}"`);
    return {
      mac: formatMac(mac),
      dst: parseIp(`${at}.dst`, raw['dst']).address,
      port: raw['port'] === undefined ? undefined : parsePort(raw['port'], `${at}.port`),
      vni: raw['vni'] === undefined ? undefined : parseVni(raw['vni'], `${at}.vni`),
      state: state as ConfiguredFdbEntry['state'],
    };
  });
}

/** `neigh`: a list of { ip, lladdr, router? }. */
function readNeighbours(value: unknown, path: string): ConfiguredNeighbour[] {
  if (!Array.isArray(value)) throw new ConfigError(`${path} must be a list of { ip, lladdr, router? }`);
  return value.map((entry, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(entry)) throw new ConfigError(`${at} must be an object`);
    const raw = readFields<Record<string, string | boolean>>(entry, { ip: ['ip', 'text'], lladdr: ['lladdr', 'text'], router: ['router', 'flag'] }, `${at}.`);
    if (typeof raw['ip'] !== 'string' || typeof raw['lladdr'] !== 'string') throw new ConfigError(`${at} needs ip and lladdr`);
    return {
      ip: parseIp(`${at}.ip`, raw['ip']).address,
      lladdr: formatMac(parseUnicastMac(`${at}.lladdr`, raw['lladdr'])),
      router: raw['router'] === true,
    };
  });
}

export function parseConfigFile(text: string, system: SystemDefaults): VtepConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(json)) throw new ConfigError('the file must hold a JSON object');
  const rawUnderlay = readFields<RawUnderlay>(json, UNDERLAY_FIELDS, '', ['vnis', ...MEMBERSHIP_SETTINGS]);
  const vnis = json['vnis'];
  if (!Array.isArray(vnis) || vnis.length === 0) throw new ConfigError('vnis must be a non-empty list of VNI entries');
  const rawSegments = vnis.map((entry, i) => {
    if (!isObject(entry)) throw new ConfigError(`vnis[${i}] must be an object`);
    return readFields<RawSegment>(entry, SEGMENT_FIELDS, `vnis[${i}].`, ['fdb', 'neigh']);
  });
  const underlayName = fieldNamer(UNDERLAY_FIELDS, '');
  const segmentName = (i: number, setting: string): string => {
    if (Object.hasOwn(UNDERLAY_FIELDS, setting) && !Object.hasOwn(SEGMENT_FIELDS, setting)) return underlayName(setting);
    return fieldNamer(SEGMENT_FIELDS, `vnis[${i}].`)(setting);
  };
  const underlay = buildUnderlay(rawUnderlay, rawSegments, system, underlayName, segmentName);
  const segments = rawSegments.map((raw, i) => {
    const segment = buildSegment(raw, underlay, (setting) => segmentName(i, setting));
    const entry = vnis[i] as Record<string, unknown>;
    if (entry['fdb'] !== undefined) segment.fdb = readFdbEntries(entry['fdb'], `vnis[${i}].fdb`);
    if (entry['neigh'] !== undefined) segment.neigh = readNeighbours(entry['neigh'], `vnis[${i}].neigh`);
    for (const [j, e] of segment.fdb.entries()) {
      const family = parseIp('dst', e.dst).family;
      if (family !== underlay.family) throw new ConfigError(`vnis[${i}].fdb[${j}].dst ${e.dst} is IPv${family} but the underlay is IPv${underlay.family}`);
    }
    return segment;
  });
  checkSegments(segments, segmentName);
  return {
    underlay,
    segments,
    logLevel: rawUnderlay.logLevel === undefined ? 'info' : parseLogLevel(rawUnderlay.logLevel, 'logLevel'),
    statsIntervalSeconds: rawUnderlay.statsInterval === undefined ? 0 : parseStatsInterval(rawUnderlay.statsInterval, 'statsInterval'),
    metrics: rawUnderlay.metrics === undefined ? undefined : parseHostPort(rawUnderlay.metrics, 'metrics'),
    membership: buildMembership(readMembershipFields(json), (field) => field),
  };
}

export function loadConfigFile(path: string, system: SystemDefaults): VtepConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read --config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseConfigFile(text, system);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`--config ${path}: ${err.message}`);
    throw err;
  }
}
