// The ARP/ND proxy (`proxy` on a kernel vxlan): ARP requests and IPv6 Neighbour
// Solicitations from the TAP are answered from the neighbour table, the reply written
// over the request in its own slot, and never tunnelled. Allocates nothing per request
// but the table lookup's key.
import type { NeighEntry, NeighTable } from './neigh.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, EthernetFrame } from '../wire/ethernet.js';
import { ADDRESS_LEN, formatAddress } from '../wire/address.js';
import {
  ARP_ETHERNET_IPV4_LEN,
  ARP_HARDWARE_ETHERNET,
  ARP_HARDWARE_IEEE802,
  ARP_REPLY,
  ARP_REQUEST,
  ArpPacket,
} from '../wire/arp.js';
import { IPV6_HEADER_LEN, Ipv6Packet } from '../wire/ipv6.js';
import {
  ND_ADVERT,
  ND_LLADDR_OPTION_LEN,
  ND_MESSAGE_LEN,
  ND_OPT_SOURCE_LLADDR,
  ND_OPT_TARGET_LLADDR,
  ND_SOLICIT,
  NeighbourMessage,
  PROTO_ICMPV6,
} from '../wire/nd.js';
import { MAC_LEN } from '../wire/mac.js';

const IPV4_LEN = 4;
/** The advertisement: the message and its target link-layer address option. */
const NA_LEN = ND_MESSAGE_LEN + ND_LLADDR_OPTION_LEN;
const ND_HOP_LIMIT = 255;

/** What the proxy did with a frame it takes. */
export interface ProxyOutcome {
  /** Length of the reply written over the request (0: none). */
  replyLength: number;
  /** The address nobody is listed for (an l3miss), or undefined; never for the host's own probes. */
  missed: string | undefined;
}

// The views isProxied reads through: made once, pointed at each frame.
const classifyEth = new EthernetFrame();
const classifyIp = new Ipv6Packet();
const classifyNd = new NeighbourMessage();

/** True for the frames the proxy takes: every ARP frame, and Neighbour Solicitations. */
export function isProxied(buf: Uint8Array, frame: number, length: number): boolean {
  if (!classifyEth.wrap(buf, frame, length)) return false;
  const type = classifyEth.etherType;
  if (type === ETHERTYPE_ARP) return true;
  if (type !== ETHERTYPE_IPV6 || !classifyIp.wrap(buf, classifyEth.payloadOffset, classifyEth.payloadLength)) return false;
  if (classifyIp.nextHeader !== PROTO_ICMPV6) return false;
  if (!classifyNd.wrap(buf, classifyIp.payloadOffset, classifyEth.payloadLength - IPV6_HEADER_LEN)) return false;
  return classifyNd.type === ND_SOLICIT && classifyNd.code === 0;
}

export class Proxy {
  private readonly address = new Uint8Array(ADDRESS_LEN);
  private readonly requester = new Uint8Array(ADDRESS_LEN);
  private readonly requesterMac = new Uint8Array(MAC_LEN);
  private readonly outcome: ProxyOutcome = { replyLength: 0, missed: undefined };
  private readonly eth = new EthernetFrame();
  private readonly arp = new ArpPacket();
  private readonly ip = new Ipv6Packet();
  private readonly nd = new NeighbourMessage();

  constructor(private readonly neighbours: NeighTable) {}

  /** Answers a frame isProxied() accepted; the returned object is reused per call. */
  answer(buf: Uint8Array, frame: number, length: number): ProxyOutcome {
    this.outcome.replyLength = 0;
    this.outcome.missed = undefined;
    const eth = this.eth;
    eth.wrap(buf, frame, length);
    if (eth.etherType === ETHERTYPE_ARP) this.answerArp(buf);
    else this.answerSolicitation(buf);
    return this.outcome;
  }

  private answerArp(buf: Uint8Array): void {
    const { eth, arp } = this;
    if (!arp.wrap(buf, eth.payloadOffset, eth.payloadLength)) return;
    const hardware = arp.hardwareType;
    if (hardware !== ARP_HARDWARE_ETHERNET && hardware !== ARP_HARDWARE_IEEE802) return;
    if (arp.protocolType !== ETHERTYPE_IPV4 || arp.hardwareLength !== MAC_LEN || arp.protocolLength !== IPV4_LEN) return;
    if (arp.operation !== ARP_REQUEST) return;
    const target = arp.targetProtocolOffset;
    // Loopback and multicast targets are never answered (as the kernel).
    if (buf[target] === 127 || (buf[target]! & 0xf0) === 0xe0) return;
    // The table's key: the IPv4-mapped form.
    this.address.fill(0, 0, 10);
    this.address[10] = 0xff;
    this.address[11] = 0xff;
    this.address.set(buf.subarray(target, target + IPV4_LEN), 12);
    const neighbour = this.neighbours.lookup(this.address, 0);
    if (neighbour === undefined) {
      // A probe from 0.0.0.0 (RFC 5227) is the host checking its own address: no miss.
      const spa = arp.senderProtocolOffset;
      if ((buf[spa]! | buf[spa + 1]! | buf[spa + 2]! | buf[spa + 3]!) !== 0) this.outcome.missed = formatAddress(this.address, 0);
      return;
    }
    // The reply goes back to the asker: its MAC and IP become the target.
    const sha = arp.senderHardwareOffset;
    const spa = arp.senderProtocolOffset;
    this.requesterMac.set(buf.subarray(sha, sha + MAC_LEN));
    this.requester.set(buf.subarray(spa, spa + IPV4_LEN));
    eth.setDestination(this.requesterMac);
    eth.setSource(neighbour.mac);
    arp.operation = ARP_REPLY;
    arp.setSenderHardware(neighbour.mac);
    arp.setSenderProtocol(this.address.subarray(12, 16));
    arp.setTargetHardware(this.requesterMac);
    arp.setTargetProtocol(this.requester.subarray(0, IPV4_LEN));
    this.outcome.replyLength = ETH_HEADER_LEN + ARP_ETHERNET_IPV4_LEN;
  }

  private answerSolicitation(buf: Uint8Array): void {
    const { eth, ip, nd } = this;
    ip.wrap(buf, eth.payloadOffset, eth.payloadLength);
    nd.wrap(buf, ip.payloadOffset, eth.payloadLength - IPV6_HEADER_LEN);
    // Multicast and IPv4-mapped targets are never answered (the latter would hit ARP entries).
    if (ip.destinationIsLoopback || nd.targetIsMapped || nd.targetIsMulticast) return;
    const target = nd.targetOffset;
    this.address.set(buf.subarray(target, target + ADDRESS_LEN));
    const neighbour = this.neighbours.lookup(this.address, 0);
    if (neighbour === undefined) {
      // Duplicate address detection (from ::) is the host checking its own address: no miss.
      if (!ip.sourceIsUnspecified) this.outcome.missed = formatAddress(this.address, 0);
      return;
    }
    // The solicitation's source link-layer address option, which the kernel prefers.
    const option = nd.linkAddressOffset(ND_OPT_SOURCE_LLADDR);
    const mac = option >= 0 ? option : eth.sourceOffset;
    this.requesterMac.set(buf.subarray(mac, mac + MAC_LEN));
    const source = ip.sourceOffset;
    this.requester.set(buf.subarray(source, source + ADDRESS_LEN));
    this.writeAdvertisement(neighbour);
    this.outcome.replyLength = ETH_HEADER_LEN + IPV6_HEADER_LEN + NA_LEN;
  }

  /** A Neighbour Advertisement (S and O set, R from the entry) over the solicitation. */
  private writeAdvertisement(neighbour: NeighEntry): void {
    const { eth, ip, nd } = this;
    eth.setDestination(this.requesterMac);
    eth.setSource(neighbour.mac);
    ip.setFirstWord(0, 0);
    ip.payloadLength = NA_LEN;
    ip.nextHeader = PROTO_ICMPV6;
    ip.hopLimit = ND_HOP_LIMIT;
    ip.setSource(this.address); // from the target address
    ip.setDestination(this.requester); // to the asker
    nd.wrap(ip.buf, ip.payloadOffset, NA_LEN);
    nd.type = ND_ADVERT;
    nd.code = 0;
    nd.checksum = 0;
    nd.setFlags(neighbour.router, true, true);
    nd.setTarget(this.address);
    nd.setLinkAddressOption(ND_OPT_TARGET_LLADDR, neighbour.mac);
    nd.fillChecksum(ip);
  }
}
