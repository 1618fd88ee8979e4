// The membership settings (--etcd, --network, --etcd-prefix, --etcd-ttl, or the config
// file's etcd, network, etcdPrefix, etcdTtl) -> one validated MembershipConfig.
import { ConfigError } from './errors.js';

export interface MembershipConfig {
  /** etcd client URLs, like http://192.0.2.10:2379. */
  endpoints: string[];
  network: string;
  /** Ends with "/". */
  prefix: string;
  ttlSeconds: number;
}

export interface RawMembership {
  etcd?: string;
  network?: string;
  etcdPrefix?: string;
  etcdTtl?: string;
}

export const MEMBERSHIP_SETTINGS = ['etcd', 'network', 'etcdPrefix', 'etcdTtl'] as const;
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
  return { endpoints, network, prefix: prefix.endsWith('/') ? prefix : `${prefix}/`, ttlSeconds: Number(ttl) };
}
