// The wire views (src/wire): each header built field by field through its setters into
// a blank buffer and compared with bytes laid out independently; real packets from the
// reference capture parsed through the getters; and what was parsed emitted again into a
// fresh buffer, byte for byte equal. Plus each view's length check and its reuse on
// another buffer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARP_ETHERNET_IPV4_LEN, ARP_REPLY, ARP_REQUEST, ArpPacket } from '../../src/wire/arp.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, EthernetFrame } from '../../src/wire/ethernet.js';
import { VXLAN_HEADER_LEN, VxlanHeader } from '../../src/wire/vxlan.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { Ipv6Packet } from '../../src/wire/ipv6.js';
import { formatMac } from '../../src/wire/mac.js';
import { ND_ADVERT, ND_MESSAGE_LEN, ND_OPT_SOURCE_LLADDR, ND_OPT_TARGET_LLADDR, ND_SOLICIT, NeighbourMessage, PROTO_ICMPV6 } from '../../src/wire/nd.js';
import { readPcap } from './pcap.js';

const capture = readPcap(new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/tcpdump-vxlan-4789.pcap', import.meta.url)))));
/** Packet 1: ICMP echo request 192.168.203.3 -> .5 in VNI 100; packet 2: ARP request for .3. */
const echoRequest = capture.records[0]!.data;
const arpRequest = capture.records[1]!.data;
const OUTER_UDP = 14 + 20;
const VXLAN_AT = OUTER_UDP + 8;
const INNER_AT = VXLAN_AT + 8;

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.replace(/\s+/g, '').match(/../g)!, (b) => parseInt(b, 16));
const text = (buf: Uint8Array, at: number, len: number): string => Array.from(buf.subarray(at, at + len), (b) => b.toString(16).padStart(2, '0')).join('');
const dotted = (buf: Uint8Array, at: number): string => Array.from(buf.subarray(at, at + 4)).join('.');
/** A buffer of `len` bytes of 0xee, so that a field left unwritten shows. */
const blank = (len: number): Uint8Array => new Uint8Array(len).fill(0xee);

describe('EthernetFrame', () => {
  const header = bytes('ffffffffffff 003088010002 0806');

  it('builds the header field by field', () => {
    const buf = blank(4 + ETH_HEADER_LEN);
    const eth = new EthernetFrame();
    expect(eth.wrap(buf, 4, ETH_HEADER_LEN)).toBe(true);
    eth.setDestination(bytes('ffffffffffff'));
    eth.setSource(bytes('003088010002'));
    eth.etherType = ETHERTYPE_ARP;
    expect(Array.from(buf.subarray(4))).toEqual(Array.from(header));
    expect(Array.from(buf.subarray(0, 4))).toEqual([0xee, 0xee, 0xee, 0xee]);
  });

  it('parses the inner frame of the capture and emits it again', () => {
    const eth = new EthernetFrame();
    expect(eth.wrap(arpRequest, INNER_AT, arpRequest.length - INNER_AT)).toBe(true);
    expect(formatMac(arpRequest, eth.destinationOffset)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(arpRequest, eth.sourceOffset)).toBe('00:30:88:01:00:02');
    expect(eth.etherType).toBe(ETHERTYPE_ARP);
    expect(eth.payloadOffset).toBe(INNER_AT + 14);
    expect(eth.payloadLength).toBe(arpRequest.length - INNER_AT - 14);
    const out = new EthernetFrame();
    out.wrap(blank(ETH_HEADER_LEN), 0, ETH_HEADER_LEN);
    out.setDestination(arpRequest.subarray(eth.destinationOffset, eth.destinationOffset + 6));
    out.setSource(arpRequest.subarray(eth.sourceOffset, eth.sourceOffset + 6));
    out.etherType = eth.etherType;
    expect(Array.from(out.buf)).toEqual(Array.from(arpRequest.subarray(INNER_AT, INNER_AT + 14)));
  });

  it('checks the length and is reused on another buffer', () => {
    const eth = new EthernetFrame();
    expect(eth.wrap(header, 0, 13)).toBe(false);
    expect(eth.wrap(header, 1, 14)).toBe(false); // runs past the buffer
    expect(eth.wrap(header, 0, 14)).toBe(true);
    expect(eth.etherType).toBe(ETHERTYPE_ARP);
    expect(eth.wrap(echoRequest, INNER_AT, echoRequest.length - INNER_AT)).toBe(true);
    expect(eth.etherType).toBe(ETHERTYPE_IPV4);
  });
});

describe('ArpPacket', () => {
  // Ethernet/IPv4 request: who has 192.168.203.3? tell 192.168.203.5 (00:30:88:01:00:02).
  const request = bytes('0001 0800 06 04 0001 003088010002 c0a8cb05 000000000000 c0a8cb03');

  it('builds a request field by field', () => {
    const buf = blank(ARP_ETHERNET_IPV4_LEN);
    const arp = new ArpPacket();
    buf.set([0, 0, 0, 0, 6, 4]); // the lengths come first: the address offsets follow them
    arp.wrap(buf, 0, buf.length);
    arp.hardwareType = 1;
    arp.protocolType = ETHERTYPE_IPV4;
    arp.hardwareLength = 6;
    arp.protocolLength = 4;
    arp.operation = ARP_REQUEST;
    arp.setSenderHardware(bytes('003088010002'));
    arp.setSenderProtocol(bytes('c0a8cb05'));
    arp.setTargetHardware(bytes('000000000000'));
    arp.setTargetProtocol(bytes('c0a8cb03'));
    expect(text(buf, 0, buf.length)).toBe(text(request, 0, request.length));
  });

  it('parses the request in the capture and emits it again as it was', () => {
    const arp = new ArpPacket();
    const at = INNER_AT + ETH_HEADER_LEN;
    expect(arp.wrap(arpRequest, at, arpRequest.length - at)).toBe(true);
    expect([arp.hardwareType, arp.protocolType, arp.hardwareLength, arp.protocolLength, arp.operation]).toEqual([1, 0x0800, 6, 4, ARP_REQUEST]);
    expect(formatMac(arpRequest, arp.senderHardwareOffset)).toBe('00:30:88:01:00:02');
    expect(dotted(arpRequest, arp.senderProtocolOffset)).toBe('192.168.203.5');
    expect(formatMac(arpRequest, arp.targetHardwareOffset)).toBe('00:00:00:00:00:00');
    expect(dotted(arpRequest, arp.targetProtocolOffset)).toBe('192.168.203.3');
    expect(arp.packetLength).toBe(ARP_ETHERNET_IPV4_LEN);

    const out = new ArpPacket();
    const buf = blank(ARP_ETHERNET_IPV4_LEN);
    buf.set([0, 0, 0, 0, arp.hardwareLength, arp.protocolLength]);
    out.wrap(buf, 0, buf.length);
    out.hardwareType = arp.hardwareType;
    out.protocolType = arp.protocolType;
    out.operation = arp.operation;
    const field = (offset: number, len: number): Uint8Array => arpRequest.subarray(offset, offset + len);
    out.setSenderHardware(field(arp.senderHardwareOffset, 6));
    out.setSenderProtocol(field(arp.senderProtocolOffset, 4));
    out.setTargetHardware(field(arp.targetHardwareOffset, 6));
    out.setTargetProtocol(field(arp.targetProtocolOffset, 4));
    expect(text(buf, 0, buf.length)).toBe(text(arpRequest, at, ARP_ETHERNET_IPV4_LEN));
    out.operation = ARP_REPLY;
    expect(buf[7]).toBe(2);
  });

  it('checks the length the address lengths ask for', () => {
    const arp = new ArpPacket();
    expect(arp.wrap(request, 0, 7)).toBe(false);
    expect(arp.wrap(request, 0, 27)).toBe(false);
    expect(arp.wrap(request, 0, 28)).toBe(true);
    const long = Uint8Array.from(request);
    long[4] = 16; // 16-byte hardware addresses: 8 + 2 * (16 + 4) bytes needed
    expect(arp.wrap(long, 0, 28)).toBe(false);
  });
});

describe('Ipv4Packet', () => {
  // The capture's inner echo request: 192.168.203.3 -> .5.
  const at = INNER_AT + ETH_HEADER_LEN;

  it('parses the inner IPv4 header of the capture', () => {
    const ip = new Ipv4Packet();
    expect(ip.wrap(echoRequest, at, echoRequest.length - at)).toBe(true);
    expect([ip.version, ip.headerLength, ip.protocol]).toEqual([4, 20, 1]);
    expect(ip.totalLength).toBe(echoRequest.length - at);
    expect(dotted(echoRequest, ip.sourceOffset)).toBe('192.168.203.3');
    expect(dotted(echoRequest, ip.destinationOffset)).toBe('192.168.203.5');
    expect(ip.payloadOffset).toBe(at + 20);
    expect(ip.computeChecksum()).toBe(ip.checksum);
  });

  it('emits what it parsed into a fresh buffer, checksum included, byte for byte', () => {
    const ip = new Ipv4Packet();
    ip.wrap(echoRequest, at, echoRequest.length - at);
    const out = new Ipv4Packet();
    const buf = blank(20);
    out.wrap(buf, 0, 20);
    out.setVersionAndHeaderLength(ip.headerLength);
    out.dsField = ip.dsField;
    out.totalLength = ip.totalLength;
    out.identification = ip.identification;
    expect(ip.isFragment).toBe(false);
    out.setUnfragmented(ip.dontFragment);
    out.ttl = ip.ttl;
    out.protocol = ip.protocol;
    out.setSource(echoRequest.subarray(ip.sourceOffset, ip.sourceOffset + 4));
    out.setDestination(echoRequest.subarray(ip.destinationOffset, ip.destinationOffset + 4));
    out.fillChecksum();
    expect(text(buf, 0, 20)).toBe(text(echoRequest, at, 20));
  });

  it('builds a header with DF, and marks CE keeping the checksum valid', () => {
    const buf = blank(20);
    const ip = new Ipv4Packet();
    ip.wrap(buf, 0, 20);
    ip.setVersionAndHeaderLength(20);
    ip.dsField = 0xb8 | 1; // EF, ECT(1)
    ip.totalLength = 84;
    ip.identification = 0x1234;
    ip.setUnfragmented(true);
    ip.ttl = 64;
    ip.protocol = 17;
    ip.setSource(bytes('c0000201'));
    ip.setDestination(bytes('c0000202'));
    ip.fillChecksum();
    // The checksum by hand: ~(45b9 + 0054 + 1234 + 4000 + 4011 + c000 + 0201 + c000 + 0202) = a3a8.
    expect(text(buf, 0, 20)).toBe('45b90054123440004011a3a8c0000201c0000202');
    expect(ip.dontFragment).toBe(true);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    expect(ip.isFragment).toBe(false);
    ip.markCe();
    expect(ip.dsField).toBe(0xbb);
    expect(ip.computeChecksum()).toBe(ip.checksum);
  });

  it('checks the length of the fixed header', () => {
    const ip = new Ipv4Packet();
    expect(ip.wrap(echoRequest, at, 19)).toBe(false);
    expect(ip.wrap(echoRequest, echoRequest.length - 10, 20)).toBe(false);
    expect(ip.wrap(echoRequest, at, 20)).toBe(true);
  });
});

describe('Ipv6Packet and NeighbourMessage', () => {
  // A Neighbour Solicitation from 2001:db8::1 (02:00:00:00:00:01) for 2001:db8::2, to its
  // solicited-node group, with a source link-layer address option.
  const solicitation = bytes(`
    6000000000203aff 20010db8000000000000000000000001 ff0200000000000000000001ff000002
    8700 0000 00000000 20010db8000000000000000000000002 0101020000000001`);

  it('builds the solicitation field by field, checksum included', () => {
    const buf = blank(solicitation.length);
    const ip = new Ipv6Packet();
    expect(ip.wrap(buf, 0, buf.length)).toBe(true);
    ip.setFirstWord(0, 0);
    ip.payloadLength = ND_MESSAGE_LEN + 8;
    ip.nextHeader = PROTO_ICMPV6;
    ip.hopLimit = 255;
    ip.setSource(bytes('20010db8000000000000000000000001'));
    ip.setDestination(bytes('ff0200000000000000000001ff000002'));
    const nd = new NeighbourMessage();
    expect(nd.wrap(buf, ip.payloadOffset, ND_MESSAGE_LEN + 8)).toBe(true);
    nd.type = ND_SOLICIT;
    nd.code = 0;
    nd.checksum = 0;
    nd.setFlags(false, false, false);
    nd.setTarget(bytes('20010db8000000000000000000000002'));
    nd.setLinkAddressOption(ND_OPT_SOURCE_LLADDR, bytes('020000000001'));
    nd.fillChecksum(ip);
    const expected = Uint8Array.from(solicitation);
    expected.set(buf.subarray(42, 44), 42); // the checksum, verified next
    expect(text(buf, 0, buf.length)).toBe(text(expected, 0, expected.length));
    // An independent sum over pseudo-header and message comes out all ones.
    let sum = 0;
    for (let i = 8; i < 40; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
    sum += 32 + PROTO_ICMPV6;
    for (let i = 40; i < buf.length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
  });

  it('parses the solicitation and emits it again as it was', () => {
    const buf = Uint8Array.from(solicitation);
    const ip = new Ipv6Packet();
    const nd = new NeighbourMessage();
    ip.wrap(buf, 0, buf.length);
    nd.wrap(buf, ip.payloadOffset, ip.payloadLength);
    nd.fillChecksum(ip);
    expect([ip.version, ip.trafficClass, ip.flowLabel, ip.payloadLength, ip.nextHeader, ip.hopLimit]).toEqual([6, 0, 0, 32, 58, 255]);
    expect(ip.destinationIsLoopback).toBe(false);
    expect([nd.type, nd.code, nd.router, nd.solicited, nd.override]).toEqual([ND_SOLICIT, 0, false, false, false]);
    expect(text(buf, nd.targetOffset, 16)).toBe('20010db8000000000000000000000002');
    expect([nd.targetIsMapped, nd.targetIsMulticast]).toEqual([false, false]);
    expect(formatMac(buf, nd.linkAddressOffset(ND_OPT_SOURCE_LLADDR))).toBe('02:00:00:00:00:01');
    expect(nd.linkAddressOffset(ND_OPT_TARGET_LLADDR)).toBe(-1);

    const out = blank(buf.length);
    const oip = new Ipv6Packet();
    const ond = new NeighbourMessage();
    oip.wrap(out, 0, out.length);
    oip.setFirstWord(ip.trafficClass, ip.flowLabel);
    oip.payloadLength = ip.payloadLength;
    oip.nextHeader = ip.nextHeader;
    oip.hopLimit = ip.hopLimit;
    oip.setSource(buf.subarray(ip.sourceOffset, ip.sourceOffset + 16));
    oip.setDestination(buf.subarray(ip.destinationOffset, ip.destinationOffset + 16));
    ond.wrap(out, oip.payloadOffset, ip.payloadLength);
    ond.type = nd.type;
    ond.code = nd.code;
    ond.checksum = 0;
    ond.setFlags(nd.router, nd.solicited, nd.override);
    ond.setTarget(buf.subarray(nd.targetOffset, nd.targetOffset + 16));
    ond.setLinkAddressOption(ND_OPT_SOURCE_LLADDR, buf.subarray(nd.linkAddressOffset(ND_OPT_SOURCE_LLADDR), nd.linkAddressOffset(ND_OPT_SOURCE_LLADDR) + 6));
    ond.fillChecksum(oip);
    expect(text(out, 0, out.length)).toBe(text(buf, 0, buf.length));
  });

  it('reads and writes the traffic class and flags across their nibbles', () => {
    const buf = Uint8Array.from(solicitation);
    const ip = new Ipv6Packet();
    ip.wrap(buf, 0, buf.length);
    ip.setFirstWord(0xb9, 0xabcde);
    expect(text(buf, 0, 4)).toBe('6b9abcde');
    expect([ip.trafficClass, ip.flowLabel]).toEqual([0xb9, 0xabcde]);
    ip.trafficClass = 0x2b;
    expect([text(buf, 0, 4), ip.flowLabel]).toEqual(['62babcde', 0xabcde]);
    const nd = new NeighbourMessage();
    nd.wrap(buf, 40, 32);
    nd.type = ND_ADVERT;
    nd.setFlags(true, true, true);
    expect(text(buf, 44, 4)).toBe('e0000000');
    nd.setFlags(false, true, false);
    expect([nd.router, nd.solicited, nd.override]).toEqual([false, true, false]);
  });

  it('finds no option in a zero-length or cut option, and checks lengths', () => {
    const buf = Uint8Array.from(solicitation);
    const nd = new NeighbourMessage();
    nd.wrap(buf, 40, 32);
    buf[65] = 0; // option length 0
    expect(nd.linkAddressOffset(ND_OPT_SOURCE_LLADDR)).toBe(-1);
    buf[65] = 1;
    nd.wrap(buf, 40, 31); // the option runs past the message
    expect(nd.linkAddressOffset(ND_OPT_SOURCE_LLADDR)).toBe(-1);
    expect(nd.wrap(buf, 40, 23)).toBe(false);
    expect(nd.wrap(buf, 40, 24)).toBe(true);
    const ip = new Ipv6Packet();
    expect(ip.wrap(buf, 0, 39)).toBe(false);
    expect(ip.wrap(buf, 40, 40)).toBe(false); // past the buffer
    expect(ip.wrap(buf, 0, 40)).toBe(true);
    expect(ip.nextHeader).toBe(PROTO_ICMPV6);
  });
});

describe('VxlanHeader', () => {
  it('parses the capture\'s header: I flag, VNI 100, no reserved bits', () => {
    const vx = new VxlanHeader();
    expect(vx.wrap(echoRequest, VXLAN_AT, echoRequest.length - VXLAN_AT)).toBe(true);
    expect([vx.flags, vx.hasIFlag, vx.vni, vx.hasReservedBits]).toEqual([0x08, true, 100, false]);
    expect(vx.payloadOffset).toBe(INNER_AT);
    expect(vx.payloadLength).toBe(echoRequest.length - INNER_AT);
  });

  it('emits what it parsed into a fresh buffer, byte for byte', () => {
    const vx = new VxlanHeader();
    vx.wrap(echoRequest, VXLAN_AT, echoRequest.length - VXLAN_AT);
    const out = new VxlanHeader();
    const buf = blank(VXLAN_HEADER_LEN);
    out.wrap(buf, 0, VXLAN_HEADER_LEN);
    out.emit(vx.vni);
    expect(text(buf, 0, 8)).toBe(text(echoRequest, VXLAN_AT, 8));
    expect(text(buf, 0, 8)).toBe('0800000000006400');
  });

  it('sees reserved bits, and checks the length', () => {
    const buf = bytes('0c00000000006401');
    const vx = new VxlanHeader();
    expect(vx.wrap(buf, 0, 7)).toBe(false);
    expect(vx.wrap(buf, 0, 8)).toBe(true);
    expect([vx.hasIFlag, vx.vni, vx.hasReservedBits]).toEqual([true, 100, true]);
  });
});
