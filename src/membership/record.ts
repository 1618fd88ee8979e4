// A member's record in the store: `<prefix><network>/members/<underlay address>`, JSON,
// held under the member's lease. Records come from other hosts, so reading one checks
// every field: a bad record is skipped (and logged by the caller), never trusted.
import { isIP } from 'node:net';
import { addressBytes, formatAddress } from '../wire/address.js';
import { formatMac, isMulticastMac, isZeroMac, parseMac } from '../wire/mac.js';
import { MAX_VNI } from '../wire/vxlan.js';

export interface MemberVni {
  vni: number;
  /** The VTEP's MAC on this VNI (TAP or kernel vxlan device), canonical text. */
  mac: string;
  /** Its overlay addresses, without prefix length, canonical text. */
  addresses: string[];
}

export interface MemberRecord {
  /** Underlay address other VTEPs send to. */
  address: string;
  /** UDP port of its VXLAN. */
  port: number;
  kind: 'vxlan-tap' | 'kernel';
  vnis: MemberVni[];
}

/** A record as read from the store, with what the store says about it. */
export interface Member {
  key: string;
  record: MemberRecord;
  /** Revision at which the key was created: the older claim wins a conflict. */
  createRevision: bigint;
  /** The lease the key lives under ('0': none). */
  lease: string;
}

/** `<prefix><network>/members/`, the folder every member of a network writes into. */
export function membersFolder(prefix: string, network: string): string {
  return `${prefix}${network}/members/`;
}

export function memberKey(prefix: string, network: string, address: string): string {
  return `${membersFolder(prefix, network)}${address}`;
}

const canonicalIp = (text: unknown): string | undefined => (typeof text === 'string' && isIP(text) !== 0 ? formatAddress(addressBytes(text), 0) : undefined);

const isWhole = (value: unknown, min: number, max: number): value is number => Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

function readVni(value: unknown): MemberVni | string {
  if (typeof value !== 'object' || value === null) return 'a vnis entry is not an object';
  const v = value as Record<string, unknown>;
  if (!isWhole(v['vni'], 0, MAX_VNI)) return 'vni is not 0..16777215';
  const mac = typeof v['mac'] === 'string' ? parseMac(v['mac']) : undefined;
  if (mac === undefined || isZeroMac(mac, 0) || isMulticastMac(mac, 0)) return 'mac is not a unicast MAC';
  const list = Array.isArray(v['addresses']) ? v['addresses'] : undefined;
  const addresses = list?.map(canonicalIp);
  if (addresses === undefined || addresses.some((a) => a === undefined)) return 'addresses is not a list of IP addresses';
  return { vni: v['vni'] as number, mac: formatMac(mac), addresses: addresses as string[] };
}

/** Parses a stored record; returns what is wrong with it as a string. */
export function readRecord(text: string): MemberRecord | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof json !== 'object' || json === null) return 'not a JSON object';
  const r = json as Record<string, unknown>;
  const address = canonicalIp(r['address']);
  if (address === undefined) return 'address is not an IP address';
  if (!isWhole(r['port'], 1, 65535)) return 'port is not 1..65535';
  if (r['kind'] !== 'vxlan-tap' && r['kind'] !== 'kernel') return 'kind is not vxlan-tap or kernel';
  if (!Array.isArray(r['vnis'])) return 'vnis is not a list';
  const vnis: MemberVni[] = [];
  for (const entry of r['vnis']) {
    const vni = readVni(entry);
    if (typeof vni === 'string') return vni;
    vnis.push(vni);
  }
  return { address, port: r['port'] as number, kind: r['kind'], vnis };
}
