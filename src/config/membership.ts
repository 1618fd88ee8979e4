// The membership settings (--etcd, --network, --etcd-prefix, --etcd-ttl, the trust
// settings --etcd-underlay and --etcd-max-members, the TLS and authentication settings
// --etcd-cacert, --etcd-cert, --etcd-key, --etcd-user and --etcd-password-file, or the
// config file's fields of the same names in camelCase) -> one validated MembershipConfig.
// The files are read here, so that a missing one is an input error before anything starts.
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseCidr } from './parse.js';

export interface MembershipConfig {
  /** etcd client URLs, like http://192.0.2.10:2379. */
  endpoints: string[];
  network: string;
  /** Ends with "/". */
  prefix: string;
  ttlSeconds: number;
  /** Members are taken from this underlay network only (--etcd-underlay). */
  underlay?: { address: string; prefixLength: number; family: 4 | 6 };
  /** Most members followed: the newest beyond it are left out (--etcd-max-members). */
  maxMembers: number;
  /** TLS towards etcd: the CA to check it by, and our client certificate and key. */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** etcd's user and password authentication. */
  auth?: { username: string; password: string };
}

export interface RawMembership {
  etcd?: string;
  network?: string;
  etcdPrefix?: string;
  etcdTtl?: string;
  etcdUnderlay?: string;
  etcdMaxMembers?: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  etcdUser?: string;
  etcdPasswordFile?: string;
}

export const MEMBERSHIP_SETTINGS = [
  'etcd', 'network', 'etcdPrefix', 'etcdTtl', 'etcdUnderlay', 'etcdMaxMembers', 'etcdCacert', 'etcdCert', 'etcdKey', 'etcdUser', 'etcdPasswordFile',
] as const;
/** Where --etcd-user's password comes from when no --etcd-password-file is given. */
export const ETCD_PASSWORD_VARIABLE = 'VXLAN_TAP_ETCD_PASSWORD';
export const DEFAULT_MAX_MEMBERS = 1024;
const MAX_MAX_MEMBERS = 100_000;
export const DEFAULT_NETWORK = 'default';
export const DEFAULT_ETCD_PREFIX = '/vxlan-tap/';
export const DEFAULT_ETCD_TTL = 10;
// etcd grants no lease shorter than about 2 s (1.5 election timeouts).
const MIN_TTL = 2;
const MAX_TTL = 3600;

function parseEndpoint(text: string, option: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    // reported below
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ConfigError(`${option} must be etcd client URLs like http://192.0.2.10:2379, comma-separated, not "${text}"`);
  }
  return `${url.protocol}//${url.host}`;
}

/** undefined without --etcd (membership off); the other settings then make no sense. */
export function buildMembership(raw: RawMembership, name: (setting: string) => string): MembershipConfig | undefined {
  if (raw.etcd === undefined) {
    const stray = MEMBERSHIP_SETTINGS.find((s) => raw[s] !== undefined);
    if (stray !== undefined) throw new ConfigError(`${name(stray)} needs ${name('etcd')}`);
    return undefined;
  }
  const endpoints = raw.etcd.split(',').map((e) => parseEndpoint(e.trim(), name('etcd')));
  const network = raw.network ?? DEFAULT_NETWORK;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(network)) {
    throw new ConfigError(`${name('network')} must be 1 to 63 letters, digits, ".", "_" or "-", not "${network}"`);
  }
  const prefix = raw.etcdPrefix ?? DEFAULT_ETCD_PREFIX;
  if (!prefix.startsWith('/') || /\s/.test(prefix)) throw new ConfigError(`${name('etcdPrefix')} must start with "/" and hold no spaces, not "${prefix}"`);
  const ttl = raw.etcdTtl ?? String(DEFAULT_ETCD_TTL);
  if (!/^\d+$/.test(ttl) || Number(ttl) < MIN_TTL || Number(ttl) > MAX_TTL) {
    throw new ConfigError(`${name('etcdTtl')} must be a whole number of seconds from ${MIN_TTL} to ${MAX_TTL}, not "${ttl}"`);
  }
  return {
    endpoints,
    network,
    prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
    ttlSeconds: Number(ttl),
    ...(raw.etcdUnderlay === undefined ? {} : { underlay: parseCidr(name('etcdUnderlay'), raw.etcdUnderlay) }),
    maxMembers: raw.etcdMaxMembers === undefined ? DEFAULT_MAX_MEMBERS : parseMaxMembers(raw.etcdMaxMembers, name('etcdMaxMembers')),
    ...security(raw, endpoints, name),
  };
}

function parseMaxMembers(text: string, option: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_MAX_MEMBERS) throw new ConfigError(`${option} must be from 1 to ${MAX_MAX_MEMBERS}, not ${text}`);
  return Number(text);
}

function readSetting(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(`cannot read ${option} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The TLS files and the user and password, read and checked. */
function security(raw: RawMembership, endpoints: string[], name: (setting: string) => string): Pick<MembershipConfig, 'tls' | 'auth'> {
  const out: Pick<MembershipConfig, 'tls' | 'auth'> = {};
  if ((raw.etcdCert === undefined) !== (raw.etcdKey === undefined)) throw new ConfigError(`${name('etcdCert')} and ${name('etcdKey')} go together`);
  const tlsSetting = (['etcdCacert', 'etcdCert'] as const).find((s) => raw[s] !== undefined);
  if (tlsSetting !== undefined) {
    if (!endpoints.every((e) => e.startsWith('https:'))) throw new ConfigError(`${name(tlsSetting)} needs https:// endpoints in ${name('etcd')}`);
    out.tls = {
      ...(raw.etcdCacert === undefined ? {} : { ca: readSetting(raw.etcdCacert, name('etcdCacert')) }),
      ...(raw.etcdCert === undefined ? {} : { cert: readSetting(raw.etcdCert, name('etcdCert')), key: readSetting(raw.etcdKey!, name('etcdKey')) }),
    };
  }
  if (raw.etcdUser === undefined) {
    if (raw.etcdPasswordFile !== undefined) throw new ConfigError(`${name('etcdPasswordFile')} needs ${name('etcdUser')}`);
    return out;
  }
  // The first line of the file (a trailing newline is not part of it), or the environment.
  const password =
    raw.etcdPasswordFile === undefined ? process.env[ETCD_PASSWORD_VARIABLE] : readSetting(raw.etcdPasswordFile, name('etcdPasswordFile')).toString('utf8').split(/\r?\n/)[0];
  if (password === undefined || password === '') {
    throw new ConfigError(`${name('etcdUser')} needs a password: ${name('etcdPasswordFile')} <file> or the environment variable ${ETCD_PASSWORD_VARIABLE}`);
  }
  out.auth = { username: raw.etcdUser, password };
  return out;
}
