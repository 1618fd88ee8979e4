// The ARP/ND proxy (`proxy` on a kernel vxlan): ARP requests and IPv6 Neighbour
// Solicitations from the TAP are answered from the neighbour table, the reply written
// over the request in its own slot, and never tunnelled. Allocates nothing per request
// but the table lookup's key.
import type { NeighEntry, NeighTable } from './neigh.js';
import { ETH_DST, ETH_HEADER_LEN, ETH_SRC, ETHERTYPE_ARP, ETHERTYPE_IPV6, etherType } from '../vxlan/ethernet.js';
import { ADDRESS_LEN, formatAddress } from '../vxlan/address.js';

const ARP_LEN = 28;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const IPV6_LEN = 40;
const PROTO_ICMPV6 = 58;
const ND_SOLICIT = 135;
const ND_ADVERT = 136;
const ND_MSG_LEN = 24; // type, code, checksum, flags, target
const ND_OPT_SOURCE_LLADDR = 1;
const ND_OPT_TARGET_LLADDR = 2;
const NA_LEN = ND_MSG_LEN + 8; // with the target link-layer address option

/** What the proxy did with a frame it takes. */
export interface ProxyOutcome {
  /** Length of the reply written over the request (0: none). */
  replyLength: number;
  /** The address nobody is listed for (an l3miss), or undefined. */
  missed: string | undefined;
}

/** True for the frames the proxy takes: every ARP frame, and Neighbour Solicitations. */
export function isProxied(buf: Uint8Array, frame: number, length: number): boolean {
  if (length < ETH_HEADER_LEN) return false;
  const type = etherType(buf, frame);
  if (type === ETHERTYPE_ARP) return true;
  if (type !== ETHERTYPE_IPV6 || length < ETH_HEADER_LEN + IPV6_LEN + ND_MSG_LEN) return false;
  const ip = frame + ETH_HEADER_LEN;
  const icmp = ip + IPV6_LEN;
  return buf[ip + 6] === PROTO_ICMPV6 && buf[icmp] === ND_SOLICIT && buf[icmp + 1] === 0;
}

export class Proxy {
  private readonly address = new Uint8Array(ADDRESS_LEN);
  private readonly requester = new Uint8Array(ADDRESS_LEN);
  private readonly requesterMac = new Uint8Array(6);
  private readonly outcome: ProxyOutcome = { replyLength: 0, missed: undefined };

  constructor(private readonly neighbours: NeighTable) {}

  /** Answers a frame isProxied() accepted; the returned object is reused per call. */
  answer(buf: Uint8Array, frame: number, length: number): ProxyOutcome {
    this.outcome.replyLength = 0;
    this.outcome.missed = undefined;
    if (etherType(buf, frame) === ETHERTYPE_ARP) this.answerArp(buf, frame, length);
    else this.answerSolicitation(buf, frame, length);
    return this.outcome;
  }

  private answerArp(buf: Uint8Array, frame: number, length: number): void {
    const arp = frame + ETH_HEADER_LEN;
    if (length < ETH_HEADER_LEN + ARP_LEN) return;
    const hardware = (buf[arp]! << 8) | buf[arp + 1]!;
    const protocol = (buf[arp + 2]! << 8) | buf[arp + 3]!;
    const op = (buf[arp + 6]! << 8) | buf[arp + 7]!;
    if ((hardware !== 1 && hardware !== 6) || protocol !== 0x0800 || buf[arp + 4] !== 6 || buf[arp + 5] !== 4 || op !== ARP_REQUEST) return;
    const target = arp + 24;
    // Loopback and multicast targets are never answered (as the kernel).
    if (buf[target] === 127 || (buf[target]! & 0xf0) === 0xe0) return;
    this.address.fill(0, 0, 10);
    this.address[10] = 0xff;
    this.address[11] = 0xff;
    this.address.set(buf.subarray(target, target + 4), 12);
    const neighbour = this.neighbours.lookup(this.address, 0);
    if (neighbour === undefined) {
      this.outcome.missed = formatAddress(this.address, 0);
      return;
    }
    // The reply goes back to the asker: its MAC and IP become the target.
    this.requesterMac.set(buf.subarray(arp + 8, arp + 14));
    this.requester.set(buf.subarray(arp + 14, arp + 18));
    buf.set(this.requesterMac, frame + ETH_DST);
    buf.set(neighbour.mac, frame + ETH_SRC);
    buf[arp + 7] = ARP_REPLY;
    buf.set(neighbour.mac, arp + 8);
    buf.set(this.address.subarray(12, 16), arp + 14);
    buf.set(this.requesterMac, arp + 18);
    buf.set(this.requester.subarray(0, 4), arp + 24);
    this.outcome.replyLength = ETH_HEADER_LEN + ARP_LEN;
  }

  /** The solicitation's source link-layer address option, which the kernel prefers. */
  private sourceLinkAddress(buf: Uint8Array, frame: number, length: number): Uint8Array | undefined {
    const end = frame + length;
    for (let opt = frame + ETH_HEADER_LEN + IPV6_LEN + ND_MSG_LEN; opt + 8 <= end; ) {
      const size = buf[opt + 1]! * 8;
      if (size === 0) return undefined;
      if (buf[opt] === ND_OPT_SOURCE_LLADDR && size === 8) return buf.subarray(opt + 2, opt + 8);
      opt += size;
    }
    return undefined;
  }

  private answerSolicitation(buf: Uint8Array, frame: number, length: number): void {
    const ip = frame + ETH_HEADER_LEN;
    const icmp = ip + IPV6_LEN;
    const target = icmp + 8;
    const destination = ip + 24;
    const loopback = buf.subarray(destination, destination + 15).every((b) => b === 0) && buf[destination + 15] === 1;
    // Multicast and IPv4-mapped targets are never answered (the latter would hit ARP entries).
    const mapped = buf.subarray(target, target + 10).every((b) => b === 0) && buf[target + 10] === 0xff && buf[target + 11] === 0xff;
    if (loopback || mapped || buf[target] === 0xff) return;
    this.address.set(buf.subarray(target, target + ADDRESS_LEN));
    const neighbour = this.neighbours.lookup(this.address, 0);
    if (neighbour === undefined) {
      this.outcome.missed = formatAddress(this.address, 0);
      return;
    }
    this.requesterMac.set(this.sourceLinkAddress(buf, frame, length) ?? buf.subarray(frame + ETH_SRC, frame + ETH_SRC + 6));
    this.requester.set(buf.subarray(ip + 8, ip + 24));
    this.writeAdvertisement(buf, frame, neighbour);
    this.outcome.replyLength = ETH_HEADER_LEN + IPV6_LEN + NA_LEN;
  }

  /** A Neighbour Advertisement (S and O set, R from the entry) over the solicitation. */
  private writeAdvertisement(buf: Uint8Array, frame: number, neighbour: NeighEntry): void {
    const ip = frame + ETH_HEADER_LEN;
    const icmp = ip + IPV6_LEN;
    buf.set(this.requesterMac, frame + ETH_DST);
    buf.set(neighbour.mac, frame + ETH_SRC);
    buf.set([0x60, 0, 0, 0, 0, NA_LEN, PROTO_ICMPV6, 255], ip);
    buf.set(this.address, ip + 8); // from the target address
    buf.set(this.requester, ip + 24); // to the asker
    buf.fill(0, icmp, icmp + NA_LEN);
    buf[icmp] = ND_ADVERT;
    buf[icmp + 4] = (neighbour.router ? 0x80 : 0) | 0x40 | 0x20;
    buf.set(this.address, icmp + 8);
    buf[icmp + ND_MSG_LEN] = ND_OPT_TARGET_LLADDR;
    buf[icmp + ND_MSG_LEN + 1] = 1;
    buf.set(neighbour.mac, icmp + ND_MSG_LEN + 2);
    const check = icmpv6Checksum(buf, ip, icmp, NA_LEN);
    buf[icmp + 2] = check >> 8;
    buf[icmp + 3] = check & 0xff;
  }
}

/** ICMPv6 checksum: the pseudo-header (addresses, length, next header) and the message. */
function icmpv6Checksum(buf: Uint8Array, ip: number, icmp: number, length: number): number {
  let sum = 0;
  const add = (from: number, to: number): void => {
    for (let i = from; i < to; i += 2) sum += (buf[i]! << 8) | (i + 1 < to ? buf[i + 1]! : 0);
  };
  add(ip + 8, ip + 40);
  sum += length + PROTO_ICMPV6;
  add(icmp, icmp + length);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
