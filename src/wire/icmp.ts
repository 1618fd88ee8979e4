// The ICMP (RFC 792, RFC 1191) and ICMPv6 (RFC 4443) messages a tunnel sends back when a
// packet does not fit the path: "fragmentation needed" with the next-hop MTU, and "packet
// too big" with the MTU. Both are 8 bytes of header followed by as much of the packet
// that did not fit as the minimum MTU allows. Also what must never be answered with one:
// ICMP errors themselves.
import type { Ipv6Packet } from './ipv6.js';
import { finishChecksum, onesSum, WireView } from './view.js';

export const PROTO_ICMP = 1;
export const PROTO_ICMPV6 = 58;
export const ICMP_HEADER_LEN = 8;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMPV6_PACKET_TOO_BIG = 2;
/** The smallest MTU an IPv4 host must take (RFC 791), and what an ICMP error may fill. */
export const IPV4_MIN_MTU = 576;
/** The smallest MTU an IPv6 link may have (RFC 8200), and what an ICMPv6 error may fill. */
export const IPV6_MIN_MTU = 1280;

const TYPE = 0;
const CODE = 1;
const CHECKSUM = 2;
const REST = 4;

/** ICMP error types (destination unreachable, source quench, redirect, time exceeded, parameter problem). */
export function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** ICMPv6 errors (types below 128) and redirects. */
export function isIcmpv6ErrorOrRedirect(type: number): boolean {
  return type < 128 || type === 137;
}

/** What every ICMP and ICMPv6 message starts with: type, code and checksum. */
export abstract class IcmpHeader extends WireView {
  get type(): number {
    return this.u8(TYPE);
  }

  set type(value: number) {
    this.setU8(TYPE, value);
  }

  get code(): number {
    return this.u8(CODE);
  }

  set code(value: number) {
    this.setU8(CODE, value);
  }

  get checksum(): number {
    return this.u16(CHECKSUM);
  }

  set checksum(value: number) {
    this.setU16(CHECKSUM, value);
  }

  /** The ICMPv6 checksum of the `length` wrapped bytes under the header `ip`. */
  computeChecksumV6(ip: Ipv6Packet): number {
    const sum = ip.pseudoHeaderSum(this.length, PROTO_ICMPV6) + onesSum(this.buf, this.start, this.start + this.length) - this.checksum;
    return finishChecksum(sum);
  }
}

/** An ICMP or ICMPv6 error: the header and the 32-bit field after it. */
export class IcmpMessage extends IcmpHeader {
  protected checkLength(): boolean {
    return this.length >= ICMP_HEADER_LEN;
  }

  /** "Fragmentation needed": the unused half word, then the next-hop MTU (RFC 1191). */
  get nextHopMtu(): number {
    return this.u16(REST + 2);
  }

  setNextHopMtu(mtu: number): void {
    this.setU16(REST, 0);
    this.setU16(REST + 2, mtu);
  }

  /** "Packet too big": the 32-bit MTU. */
  get mtu(): number {
    return this.u16(REST) * 0x10000 + this.u16(REST + 2);
  }

  set mtu(value: number) {
    this.setU16(REST, Math.floor(value / 0x10000));
    this.setU16(REST + 2, value & 0xffff);
  }

  /** The ICMP checksum: the `length` wrapped bytes, the checksum field counted as zero. */
  computeChecksum(): number {
    return finishChecksum(onesSum(this.buf, this.start, this.start + this.length) - this.checksum);
  }
}
