// Reading (and, for ECN, writing) the inner IP header of a frame: what the outer header
// inherits (DS field, TTL, DF), the flow hash behind the UDP source port, and RFC 6040
// ECN decapsulation. Pure functions over a buffer; nothing allocates.
import { ETH_HEADER_LEN, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, etherType } from './ethernet.js';
import { IPV4_MIN_HEADER_LEN, Ipv4Packet } from './ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Packet } from './ipv6.js';

const VLAN_TAG_LEN = 4;
const PROTO_TCP = 6;
const PROTO_UDP = 17;

export const ECN_NOT_ECT = 0;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

// The IP header views the functions here read through: made once, pointed at each packet.
const v4 = new Ipv4Packet();
const v6 = new Ipv6Packet();

function ipOffset(buf: Uint8Array, frame: number, length: number, throughVlan: boolean): number {
  if (length < ETH_HEADER_LEN) return -1;
  let type = etherType(buf, frame);
  let ip = frame + ETH_HEADER_LEN;
  if (throughVlan && type === ETHERTYPE_VLAN && length >= ETH_HEADER_LEN + VLAN_TAG_LEN) {
    type = (buf[ip + 2]! << 8) | buf[ip + 3]!;
    ip += VLAN_TAG_LEN;
  }
  const rest = frame + length - ip;
  if (type === ETHERTYPE_IPV4 && v4.wrap(buf, ip, rest) && v4.version === 4) return ip;
  if (type === ETHERTYPE_IPV6 && v6.wrap(buf, ip, rest) && v6.version === 6) return ip;
  return -1;
}

/**
 * Offset of the inner IPv4/IPv6 header, or -1 when the frame carries something else or
 * is too short for the header. A VLAN-tagged frame counts as non-IP, as in the kernel,
 * whose TTL, TOS, DF and ECN handling look at the outermost ethertype only.
 */
export function innerIpOffset(buf: Uint8Array, frame: number, length: number): number {
  return ipOffset(buf, frame, length, false);
}

/** The IP header the flow hash reads: also behind one VLAN tag, as the kernel's flow dissector. */
export function flowIpOffset(buf: Uint8Array, frame: number, length: number): number {
  return ipOffset(buf, frame, length, true);
}

// The functions below take an offset ipOffset returned, so the header is whole.
const isV4 = (buf: Uint8Array, ip: number): boolean => buf[ip]! >> 4 === 4;
const ipv4At = (buf: Uint8Array, ip: number): Ipv4Packet => v4.at(buf, ip);
const ipv6At = (buf: Uint8Array, ip: number): Ipv6Packet => v6.at(buf, ip);

/** The DS field (TOS / traffic class), ECN bits included. */
export function dsField(buf: Uint8Array, ip: number): number {
  return isV4(buf, ip) ? ipv4At(buf, ip).dsField : ipv6At(buf, ip).trafficClass;
}

/** TTL (IPv4) or hop limit (IPv6). */
export function hopLimit(buf: Uint8Array, ip: number): number {
  return isV4(buf, ip) ? ipv4At(buf, ip).ttl : ipv6At(buf, ip).hopLimit;
}

/** The IPv6 flow label (20 bits); an IPv4 packet has none: 0. */
export function flowLabel(buf: Uint8Array, ip: number): number {
  return isV4(buf, ip) ? 0 : ipv6At(buf, ip).flowLabel;
}

/** What `df inherit` sets: IPv4 with DF, or any IPv6 (which never fragments en route). */
export function inheritsDf(buf: Uint8Array, ip: number): boolean {
  return isV4(buf, ip) ? ipv4At(buf, ip).dontFragment : true;
}

/** RFC 6040 encapsulation: the outer ECN field copies the inner, except CE goes out as ECT(0). */
export function encapEcn(innerDs: number): number {
  const ecn = innerDs & 3;
  return ecn === ECN_CE ? ECN_ECT0 : ecn;
}

function mix(h: number, byte: number): number {
  return Math.imul(h ^ byte, 0x01000193); // FNV-1a step
}

function mixRange(h: number, buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i < to; i++) h = mix(h, buf[i]!);
  return h;
}

/**
 * A 32-bit hash of the inner flow: addresses, protocol and TCP/UDP ports for IP, else
 * the Ethernet addresses and type. Same flow, same hash. Signed: a 32-bit integer V8
 * keeps as a small integer, where an unsigned one above 2^31 would be a heap number,
 * allocated for every frame.
 */
export function flowHash(buf: Uint8Array, frame: number, length: number, ip: number): number {
  let h = 0x811c9dc5;
  if (ip < 0) return finish(mixRange(h, buf, frame, frame + ETH_HEADER_LEN));
  let proto: number;
  let l4: number;
  if (isV4(buf, ip)) {
    const p = ipv4At(buf, ip);
    h = mixRange(h, buf, p.sourceOffset, p.destinationOffset + 4);
    proto = p.protocol;
    l4 = p.isFragment ? -1 : p.payloadOffset;
  } else {
    const p = ipv6At(buf, ip);
    h = mixRange(h, buf, p.sourceOffset, p.destinationOffset + 16);
    proto = p.nextHeader;
    l4 = p.payloadOffset;
  }
  h = mix(h, proto);
  // The ports: the first 4 bytes of TCP and UDP.
  if ((proto === PROTO_TCP || proto === PROTO_UDP) && l4 >= 0 && l4 + 4 <= frame + length) h = mixRange(h, buf, l4, l4 + 4);
  return finish(h);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/** A port in [min, max] chosen by the hash, spread evenly. */
export function portFromHash(hash: number, min: number, max: number): number {
  return min + Math.floor(((hash >>> 0) / 2 ** 32) * (max - min + 1));
}

/**
 * RFC 6040 decapsulation for an outer CE mark: returns false when the inner packet is
 * not ECN-capable (it must be dropped); otherwise marks it CE (fixing the IPv4 header
 * checksum) and returns true.
 */
export function decapCe(buf: Uint8Array, ip: number): boolean {
  const ecn = dsField(buf, ip) & 3;
  if (ecn === ECN_NOT_ECT) return false;
  if (ecn === ECN_CE) return true;
  if (isV4(buf, ip)) ipv4At(buf, ip).markCe();
  else {
    const p = ipv6At(buf, ip);
    p.trafficClass = p.trafficClass | ECN_CE;
  }
  return true;
}

/**
 * The frame says it carries IPv4 or IPv6 but is too short to hold that IP header:
 * the kernel counts these as rx_length_errors and drops them.
 */
export function hasTruncatedIpHeader(buf: Uint8Array, frameOffset: number, frameLen: number): boolean {
  const payload = frameLen - ETH_HEADER_LEN;
  switch (etherType(buf, frameOffset)) {
    case ETHERTYPE_IPV4:
      return payload < IPV4_MIN_HEADER_LEN;
    case ETHERTYPE_IPV6:
      return payload < IPV6_HEADER_LEN;
    default:
      return false;
  }
}
