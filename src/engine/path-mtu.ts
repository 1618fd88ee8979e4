// Path MTU, as the kernel's vxlan (skb_tunnel_check_pmtu): each remote's path MTU as the
// underlay learned it (a router's ICMP "fragmentation needed" or "packet too big" lowered
// the route's MTU, and a send with DF was refused for it), kept per remote address for as
// long as the kernel keeps a learned route MTU (10 minutes); and the answer to an inner
// packet that no longer fits: ICMP "fragmentation needed" (inner IPv4 with DF) or ICMPv6
// "packet too big" (inner IPv6) with the inner MTU, written over the packet toward its
// sender, as the kernel builds it (iptunnel_pmtud_build_icmp[v6]). Allocates nothing per
// packet.
import { ETH_DST, ETH_HEADER_LEN, ETH_SRC } from '../wire/ethernet.js';
import { IPV4_MIN_HEADER_LEN, Ipv4Packet } from '../wire/ipv4.js';
import { IPV6_ADDRESS_LEN, IPV6_HEADER_LEN, Ipv6Packet } from '../wire/ipv6.js';
import {
  ICMP_DEST_UNREACH,
  ICMP_FRAG_NEEDED,
  ICMP_HEADER_LEN,
  ICMPV6_PACKET_TOO_BIG,
  IcmpMessage,
  IPV4_MIN_MTU,
  IPV6_MIN_MTU,
  isIcmpError,
  isIcmpv6ErrorOrRedirect,
  PROTO_ICMP,
  PROTO_ICMPV6,
} from '../wire/icmp.js';
import { MAC_LEN } from '../wire/mac.js';
import { VXLAN_HEADER_LEN } from '../wire/vxlan.js';

/** How long a learned path MTU holds: the kernel's net.ipv4.route.mtu_expires. */
export const PATH_MTU_EXPIRES_MS = 600_000;
const UDP_HEADER_LEN = 8;
const FRAGMENT_HEADER = 44;

/** Outer IP and UDP header bytes in front of a VXLAN datagram. */
export function outerOverhead(family: 4 | 6): number {
  return (family === 4 ? IPV4_MIN_HEADER_LEN : IPV6_HEADER_LEN) + UDP_HEADER_LEN;
}

/** The path MTU of every remote whose path is narrower than its link, by remote address. */
export class PathMtus {
  private readonly mtus = new Map<string, number>();
  private readonly expires = new Map<string, number>();

  get size(): number {
    return this.mtus.size;
  }

  /** The underlay refused a datagram to `address` as too big for the path MTU `mtu`. */
  learn(address: string, mtu: number, now = Date.now()): void {
    this.mtus.set(address, mtu);
    this.expires.set(address, now + PATH_MTU_EXPIRES_MS);
  }

  /** The path MTU learned for `address`, or 0 (none, or expired). */
  get(address: string, now: number): number {
    const mtu = this.mtus.get(address);
    if (mtu === undefined) return 0;
    if (now < this.expires.get(address)!) return mtu;
    this.mtus.delete(address);
    this.expires.delete(address);
    return 0;
  }

  /** Every learned path MTU (for stats and tests). */
  entries(): { address: string; mtu: number }[] {
    return [...this.mtus].map(([address, mtu]) => ({ address, mtu }));
  }
}

/** Writes the "too big" answers over the packets that did not fit. */
export class TooBigAnswer {
  private readonly v4 = new Ipv4Packet();
  private readonly v6 = new Ipv6Packet();
  private readonly icmp = new IcmpMessage();
  // The sender's and the destination's addresses, kept while the packet moves, and a view
  // of each half (made once: a view per packet would allocate).
  private readonly addresses = new Uint8Array(2 * IPV6_ADDRESS_LEN);
  private readonly v4Sender = this.addresses.subarray(0, 4);
  private readonly v4Destination = this.addresses.subarray(4, 8);
  private readonly v6Sender = this.addresses.subarray(0, IPV6_ADDRESS_LEN);
  private readonly v6Destination = this.addresses.subarray(IPV6_ADDRESS_LEN);

  /**
   * The frame at buf[frame, frame+length), whose IP header is at `ip`, did not fit a path
   * MTU of `pathMtu` over an underlay of `family`. Writes the answer over it (the packet
   * moves back to make room for the new headers; the answer is never longer than the
   * frame) and returns its length, or 0 when the kernel would not answer: an inner IPv4
   * packet without DF (or a fragment), an ICMP error, a multicast or broadcast
   * destination, an invalid source, or an inner MTU below the minimum.
   */
  write(buf: Uint8Array, frame: number, length: number, ip: number, pathMtu: number, family: 4 | 6): number {
    const mtu = pathMtu - outerOverhead(family) - VXLAN_HEADER_LEN - (ip - frame);
    const packet = frame + length - ip;
    return buf[ip]! >> 4 === 4 ? this.writeV4(buf, frame, ip, packet, mtu) : this.writeV6(buf, frame, ip, packet, mtu);
  }

  private writeV4(buf: Uint8Array, frame: number, ip: number, packet: number, mtu: number): number {
    const { v4, icmp } = this;
    if (mtu < IPV4_MIN_MTU || !v4.wrap(buf, ip, packet)) return 0;
    // Exactly DF: no more fragments, offset 0.
    if (!v4.dontFragment || v4.isFragment) return 0;
    const src = v4.sourceOffset;
    const dst = v4.destinationOffset;
    const dstFirst = buf[dst]!;
    const srcFirst = buf[src]!;
    if (dstFirst >= 224 || isAllOnes(buf, dst, 4)) return 0; // multicast, limited broadcast
    if (srcFirst === 0 || srcFirst === 127 || srcFirst >= 224) return 0; // zero, loopback, multicast, broadcast
    if (v4.protocol === PROTO_ICMP) {
      const at = v4.payloadOffset;
      if (at >= ip + packet || isIcmpError(buf[at]!)) return 0;
    }
    const ttl = v4.ttl;
    copy(buf, src, this.v4Sender, 4);
    copy(buf, dst, this.v4Destination, 4);
    const quoted = Math.min(packet, IPV4_MIN_MTU - IPV4_MIN_HEADER_LEN - ICMP_HEADER_LEN);
    const headers = IPV4_MIN_HEADER_LEN + ICMP_HEADER_LEN;
    swapMacs(buf, frame);
    buf.copyWithin(ip + headers, ip, ip + quoted);
    const icmpLength = ICMP_HEADER_LEN + quoted;
    icmp.wrap(buf, ip + IPV4_MIN_HEADER_LEN, icmpLength);
    icmp.type = ICMP_DEST_UNREACH;
    icmp.code = ICMP_FRAG_NEEDED;
    icmp.checksum = 0;
    icmp.setNextHopMtu(mtu);
    icmp.checksum = icmp.computeChecksum();
    v4.wrap(buf, ip, IPV4_MIN_HEADER_LEN + icmpLength);
    v4.setVersionAndHeaderLength(IPV4_MIN_HEADER_LEN);
    v4.dsField = 0;
    v4.totalLength = IPV4_MIN_HEADER_LEN + icmpLength;
    v4.identification = 0;
    v4.setUnfragmented(true);
    v4.ttl = ttl;
    v4.protocol = PROTO_ICMP;
    v4.setSource(this.v4Destination); // from the packet's destination
    v4.setDestination(this.v4Sender); // to its sender
    v4.checksum = 0;
    v4.fillChecksum();
    return ETH_HEADER_LEN + headers + quoted;
  }

  private writeV6(buf: Uint8Array, frame: number, ip: number, packet: number, mtu: number): number {
    const { v6, icmp } = this;
    if (mtu < IPV6_MIN_MTU || !v6.wrap(buf, ip, packet)) return 0;
    const src = v6.sourceOffset;
    // Unspecified, loopback or multicast source: nobody to tell.
    if (buf[src] === 0xff || isZeroUpTo(buf, src, 15)) return 0;
    const next = v6.nextHeader;
    if (next === FRAGMENT_HEADER) return 0;
    if (next === PROTO_ICMPV6) {
      const at = v6.payloadOffset;
      if (at >= ip + packet || isIcmpv6ErrorOrRedirect(buf[at]!)) return 0;
    }
    const hopLimit = v6.hopLimit;
    copy(buf, src, this.v6Sender, IPV6_ADDRESS_LEN);
    copy(buf, v6.destinationOffset, this.v6Destination, IPV6_ADDRESS_LEN);
    const quoted = Math.min(packet, IPV6_MIN_MTU - IPV6_HEADER_LEN - ICMP_HEADER_LEN);
    const headers = IPV6_HEADER_LEN + ICMP_HEADER_LEN;
    swapMacs(buf, frame);
    buf.copyWithin(ip + headers, ip, ip + quoted);
    const icmpLength = ICMP_HEADER_LEN + quoted;
    v6.wrap(buf, ip, IPV6_HEADER_LEN + icmpLength);
    v6.setFirstWord(0, 0);
    v6.payloadLength = icmpLength;
    v6.nextHeader = PROTO_ICMPV6;
    v6.hopLimit = hopLimit;
    v6.setSource(this.v6Destination); // from the packet's destination
    v6.setDestination(this.v6Sender); // to its sender
    icmp.wrap(buf, ip + IPV6_HEADER_LEN, icmpLength);
    icmp.type = ICMPV6_PACKET_TOO_BIG;
    icmp.code = 0;
    icmp.checksum = 0;
    icmp.mtu = mtu;
    icmp.checksum = icmp.computeChecksumV6(v6);
    return ETH_HEADER_LEN + headers + quoted;
  }

}

/** Back to the sender: the Ethernet destination and source swap places. */
function swapMacs(buf: Uint8Array, frame: number): void {
  for (let i = frame + ETH_DST; i < frame + ETH_DST + MAC_LEN; i++) {
    const b = buf[i]!;
    buf[i] = buf[i + ETH_SRC - ETH_DST]!;
    buf[i + ETH_SRC - ETH_DST] = b;
  }
}

function copy(from: Uint8Array, at: number, to: Uint8Array, len: number): void {
  for (let i = 0; i < len; i++) to[i] = from[at + i]!;
}

function isAllOnes(buf: Uint8Array, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) if (buf[i] !== 0xff) return false;
  return true;
}

/** `len` zero bytes at `at`, then a last byte of 0 or 1: the address :: or ::1. */
function isZeroUpTo(buf: Uint8Array, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) if (buf[i] !== 0) return false;
  return buf[at + len]! <= 1;
}
