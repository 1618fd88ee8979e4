// A member's record in the store: `<prefix><network>/members/<underlay address>`, JSON,
// held under the member's lease. Records come from whoever can write the prefix, so
// reading one checks every field and what the store says about it (checkMember): a bad
// record is skipped (and logged by the caller), never trusted.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
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

/** Far above a real record (64 VNIs with 16 addresses each take about 5 KB). */
export const MAX_RECORD_BYTES = 16 * 1024;

/** What a record is checked against besides its own fields. */
export interface RecordRules {
  /** The members folder: a record's key is this folder and its address. */
  folder: string;
  /** --etcd-underlay: every member's underlay address lies in it. */
  underlay?: { address: string; prefixLength: number };
}

/**
 * Whether `address` is one frames can be sent to: not unspecified (0.0.0.0/8, ::),
 * loopback, multicast, the limited broadcast, class E, or IPv4-mapped.
 */
export function isUsableUnicast(address: string): boolean {
  const ip = ipaddr.parse(address);
  if (['unspecified', 'loopback', 'multicast', 'broadcast', 'ipv4Mapped'].includes(ip.range())) return false;
  return ip.kind() === 'ipv6' || (ip as ipaddr.IPv4).octets[0]! < 240;
}

/** Why `address` may not be a member's underlay address under --etcd-underlay, if it may not. */
function outsideUnderlay(address: string, underlay: { address: string; prefixLength: number }): string | undefined {
  const cidr = `${underlay.address}/${underlay.prefixLength}`;
  const ip = ipaddr.parse(address);
  const range = ipaddr.parseCIDR(cidr);
  if (ip.kind() !== range[0].kind() || !ip.match(range)) return `address ${address} is outside --etcd-underlay ${cidr}`;
  // IPv4 subnets of more than two addresses: their first and last are no host's.
  if (ip.kind() === 'ipv4' && underlay.prefixLength < 31) {
    if (ip.toString() === ipaddr.IPv4.networkAddressFromCIDR(cidr).toString()) return `address ${address} is the network address of --etcd-underlay ${cidr}`;
    if (ip.toString() === ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString()) return `address ${address} is the broadcast address of --etcd-underlay ${cidr}`;
  }
  return undefined;
}

/** Why `address` cannot be a member's underlay address, if it cannot. */
export function underlayProblem(address: string, rules: Pick<RecordRules, 'underlay'>): string | undefined {
  if (!isUsableUnicast(address)) return `address ${address} is not a usable unicast address`;
  return rules.underlay === undefined ? undefined : outsideUnderlay(address, rules.underlay);
}

/**
 * A record as the store holds it (`key`, `value`, `lease`), checked: small enough, under
 * a lease, well formed, its key naming its own address, every address usable. Returns
 * the record, or what is wrong with it.
 */
export function checkMember(kv: { key: string; value: string; lease: string }, rules: RecordRules): MemberRecord | string {
  const bytes = Buffer.byteLength(kv.value);
  if (bytes > MAX_RECORD_BYTES) return `larger than ${MAX_RECORD_BYTES} bytes (${bytes})`;
  if (kv.lease === '0' || kv.lease === '') return 'no lease: a member record must live under one';
  const record = readRecord(kv.value);
  if (typeof record === 'string') return record;
  if (kv.key !== `${rules.folder}${record.address}`) return `the key does not name the record's address ${record.address}`;
  const unusable = underlayProblem(record.address, rules);
  if (unusable !== undefined) return unusable;
  for (const entry of record.vnis) {
    const bad = entry.addresses.find((a) => !isUsableUnicast(a));
    if (bad !== undefined) return `overlay address ${bad} is not a usable unicast address`;
  }
  return record;
}
