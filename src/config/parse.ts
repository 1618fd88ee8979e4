// Parsers for single option values. Each returns the value or throws a ConfigError whose
// message names the option and what was wrong with it.
import ipaddr from 'ipaddr.js';
import { ConfigError } from './errors.js';
import { formatMac, parseMac, isMulticastMac, isZeroMac } from '../wire/mac.js';
import { MAX_VNI, MIN_MTU } from '../wire/vxlan.js';
import { addressBytes, formatAddress, isMulticastAddress } from '../wire/address.js';

/** An address in canonical text form, and its family. */
export interface IpAddress {
  address: string;
  family: 4 | 6;
}

export interface Cidr extends IpAddress {
  prefixLength: number;
}

export function parseInteger(option: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new ConfigError(`${option} must be a whole number from ${min} to ${max}, not "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new ConfigError(`${option} must be from ${min} to ${max}, not ${text}`);
  return n;
}

// Each parser takes the name to blame in its message: an option (--vni) or, for the
// config file, a field (vnis[1].vni).
export const parseVni = (text: string, option = '--vni'): number => parseInteger(option, text, 0, MAX_VNI);
export const parsePort = (text: string, option = '--port'): number => parseInteger(option, text, 1, 65535);
export const parseMtu = (text: string, option = '--mtu'): number => parseInteger(option, text, MIN_MTU, 65535);
// Whole seconds whose milliseconds still fit a timer (2^31 - 1 ms).
const MAX_AGEING_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
export const parseAgeing = (text: string, option = '--ageing'): number => parseInteger(option, text, 0, MAX_AGEING_SECONDS);
export const parseStatsInterval = (text: string, option = '--stats-interval'): number => parseInteger(option, text, 0, 86400);
export const parseBusyPoll = (text: string, option = '--busy-poll'): number => parseInteger(option, text, 0, 100_000);
/** Data-path workers: a count, or 'auto' (one per core this process may use). */
export function parseThreads(text: string, cores: number, option = '--threads'): number {
  if (text === 'auto') return Math.max(1, Math.min(MAX_THREADS, cores));
  if (!/^\d+$/.test(text)) throw new ConfigError(`${option} must be a number of threads from 1 to ${MAX_THREADS} or auto, not "${text}"`);
  return parseInteger(option, text, 1, MAX_THREADS);
}
const MAX_THREADS = 64;
export const parseMaxAddress = (text: string, option = '--max-address'): number => parseInteger(option, text, 0, 2 ** 31 - 1);

/** A Unix socket path: absolute, and short enough for sockaddr_un (107 bytes). */
export function parseSocketPath(text: string, option = '--control'): string {
  if (!text.startsWith('/') || Buffer.byteLength(text) > 107) {
    throw new ConfigError(`${option} must be an absolute path of at most 107 bytes, not "${text}"`);
  }
  return text;
}

/** host:port, or [v6]:port; host may be an address or a name. */
export function parseHostPort(text: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(text);
  if (!m) throw new ConfigError(`${option} must be host:port, like 127.0.0.1:9100, not "${text}"`);
  return { host: m[1] ?? m[2]!, port: parseInteger(option, m[3]!, 1, 65535) };
}

/**
 * An address in its canonical text form (2001:DB8:0::1 becomes 2001:db8::1). IPv4 only in
 * four-part decimal, as iproute2 takes it. A zone index (fe80::1%eth0) is refused, as
 * iproute2 refuses it: a link-local address's link is the underlay device (--dev) or
 * the TAP itself, never part of the address, and dropping it silently would send the
 * traffic somewhere else than asked.
 */
export function parseIp(option: string, text: string): IpAddress {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return { address: formatAddress(addressBytes(text), 0), family: 4 };
  if (!ipaddr.IPv6.isValid(text)) throw new ConfigError(`${option} must be an IPv4 or IPv6 address, not "${text}"`);
  const { zoneId } = ipaddr.IPv6.parse(text);
  if (zoneId !== undefined) {
    throw new ConfigError(`${option} must be an address without a zone index, not "${text}" (the link of a link-local address is --dev, or the TAP itself)`);
  }
  return { address: formatAddress(addressBytes(text), 0), family: 6 };
}

export function parseMulticastIp(option: string, text: string): IpAddress {
  const ip = parseIp(option, text);
  if (!isMulticastAddress(addressBytes(ip.address))) {
    throw new ConfigError(`${option} must be a multicast address (224.0.0.0/4 or ff00::/8), not ${text}`);
  }
  return ip;
}

/**
 * A unicast address a host can have: iproute2 refuses a multicast `remote` ("invalid
 * remote address"), and an unspecified, loopback or broadcast one is no other VTEP.
 */
export function parseUnicastIp(option: string, text: string, instead: string): IpAddress {
  const ip = parseIp(option, text);
  if (isMulticastAddress(addressBytes(ip.address))) throw new ConfigError(`${option} must be a unicast address, not ${text} (a multicast group is ${instead})`);
  if (['unspecified', 'loopback', 'broadcast'].includes(ipaddr.parse(ip.address).range())) throw new ConfigError(`${option} must be a usable unicast address, not ${text}`);
  return ip;
}

/** Any MAC, group and all-zeros ones included (FDB keys), in its canonical text form. */
function macBytes(option: string, text: string): Uint8Array {
  const mac = parseMac(text);
  if (mac === undefined) throw new ConfigError(`${option} must be a MAC like 02:00:00:00:00:01, not "${text}"`);
  return mac;
}

export function parseMacAddress(option: string, text: string): string {
  return formatMac(macBytes(option, text));
}

export function parseUnicastMac(option: string, text: string): Uint8Array {
  const mac = macBytes(option, text);
  if (isMulticastMac(mac, 0) || isZeroMac(mac, 0)) {
    throw new ConfigError(`${option} must be a unicast, non-zero MAC, not ${text}`);
  }
  return mac;
}

/** The TAP's MAC: persistent (from the machine and the TAP name), random, or this one. */
export type TapMac = Uint8Array | 'persistent' | 'random';

export function parseTapMac(text: string, option = '--mac'): TapMac {
  if (text === 'persistent' || text === 'random') return text;
  if (parseMac(text) === undefined) throw new ConfigError(`${option} must be persistent, random or a MAC like 02:00:00:00:00:01, not "${text}"`);
  return parseUnicastMac(option, text);
}

export function parseCidr(option: string, text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new ConfigError(`${option} must be an address with a prefix length, like 192.0.2.1/24, not "${text}"`);
  const { address, family } = parseIp(option, text.slice(0, slash));
  const max = family === 4 ? 32 : 128;
  const prefix = text.slice(slash + 1);
  if (!/^\d+$/.test(prefix) || Number(prefix) > max) {
    throw new ConfigError(`${option} prefix length must be from 0 to ${max}, not "${prefix}" in "${text}"`);
  }
  return { address, family, prefixLength: Number(prefix) };
}

// Linux interface names: 1..15 bytes, no slash, colon or white space, not "." or "..".
export function parseInterfaceName(option: string, text: string): string {
  if (text.length === 0 || Buffer.byteLength(text) > 15 || /[/:\s]/.test(text) || text === '.' || text === '..') {
    throw new ConfigError(`${option} must be an interface name of 1 to 15 characters without "/", ":" or spaces, not "${text}"`);
  }
  return text;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(text: string, option = '--log-level'): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    throw new ConfigError(`${option} must be one of ${LOG_LEVELS.join(', ')}, not "${text}"`);
  }
  return text as LogLevel;
}

export function parseTtl(text: string, option = '--ttl'): number | 'auto' | 'inherit' {
  if (text === 'auto' || text === 'inherit') return text;
  return parseInteger(option, text, 1, 255);
}

export function parseTos(text: string, option = '--tos'): number | 'inherit' {
  if (text === 'inherit') return text;
  // Hex as iproute2 prints it (0x10) or decimal.
  const n = /^0x[0-9a-f]{1,2}$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 255)) throw new ConfigError(`${option} must be 0 to 255 (or 0x00 to 0xff) or inherit, not "${text}"`);
  return n;
}

export function parseDf(text: string, option = '--df'): 'unset' | 'set' | 'inherit' {
  if (text === 'unset' || text === 'set' || text === 'inherit') return text;
  throw new ConfigError(`${option} must be unset, set or inherit, not "${text}"`);
}

export function parsePortRange(text: string, option = '--srcport'): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m) throw new ConfigError(`${option} must be a range like 32768-60999, not "${text}"`);
  const min = parseInteger(option, m[1]!, 1, 65535);
  const max = parseInteger(option, m[2]!, 1, 65535);
  if (min > max) throw new ConfigError(`${option} range must run from low to high, not ${text}`);
  return { min, max };
}

export function parseIo(text: string, option = '--io'): 'native' | 'dgram' {
  if (text === 'native' || text === 'dgram') return text;
  throw new ConfigError(`${option} must be native or dgram, not "${text}"`);
}

/** A flow label (20 bits, decimal or 0x hex as iproute2 reads it) or inherit. */
export function parseFlowLabel(text: string, option = '--flowlabel'): number | 'inherit' {
  if (text === 'inherit') return text;
  const n = /^0x[0-9a-f]{1,5}$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 0xfffff)) throw new ConfigError(`${option} must be 0 to 1048575 (or 0x0 to 0xfffff) or inherit, not "${text}"`);
  return n;
}

export function parseAcceptFrom(text: string, option = '--accept-from'): 'any' | 'peers' {
  if (text === 'any' || text === 'peers') return text;
  throw new ConfigError(`${option} must be any or peers, not "${text}"`);
}

export function parseOuterIds(text: string, option = '--outer-ids'): 'unique' | 'overlap' {
  if (text === 'unique' || text === 'overlap') return text;
  throw new ConfigError(`${option} must be unique or overlap, not "${text}"`);
}

export function parseOffload(text: string, option = '--offload'): 'on' | 'off' | 'no-coalesce' {
  if (text === 'on' || text === 'off' || text === 'no-coalesce') return text;
  throw new ConfigError(`${option} must be on, off or no-coalesce, not "${text}"`);
}
