// The ARP / IPv6 ND proxy (`proxy` on a kernel vxlan), driven through Engine.encap: a
// request for an address in the neighbour table is answered in place and listed for
// the TAP; ARP and Neighbour Solicitations are never tunnelled while the proxy is on.
import type { FrameBatch } from '../../src/engine/batch.js';
import { describe, expect, it } from 'vitest';
import type { Counters } from '../../src/engine/counters.js';
import { ZERO_MAC } from '../../src/engine/fdb.js';
import { makeRemote } from '../../src/engine/remote.js';
import { addressBytes } from '../../src/wire/address.js';
import {
  BROADCAST,
  encapOne,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ethernetFrame,
  eventText,
  FRAME_OFFSET,
  ipv4Frame,
  ipv6Packet,
  mac,
  makeEngine,
  PROTO_UDP,
  sentTo,
  type EngineSetup,
} from './frames.js';

const ASKER_MAC = '02:00:00:00:00:01';
const ASKER_IP = '192.0.2.1';
const NEIGH_MAC = '02:00:00:00:00:0a';
const NEIGH_IP = '192.0.2.10';
const UNKNOWN_IP = '192.0.2.99';
const ASKER_IP6 = '2001:db8::1';
const NEIGH_IP6 = '2001:db8::a';
const UNKNOWN_IP6 = '2001:db8::99';
const PEER = '198.51.100.2';
const PROTO_ICMPV6 = 58;

/** The drop reasons with a non-zero count. */
function drops(counters: Counters): Record<string, number> {
  return Object.fromEntries(Object.entries(counters.drops).filter(([, n]) => n !== 0));
}

/** An engine with the proxy on (unless told), one default remote, and the neighbours given. */
function proxyEngine(neighbours: [string, string, boolean?][] = [], setup: EngineSetup = {}) {
  const under = makeEngine({ vni: 42, proxy: true, ...setup });
  under.fdb.append(ZERO_MAC, makeRemote(PEER, 4789), 'permanent', 0);
  for (const [ip, lladdr, router] of neighbours) under.neighbours.add(ip, mac(lladdr), router);
  return under;
}

const ipv4Bytes = (text: string): number[] => text.split('.').map(Number);

interface ArpSpec {
  op?: number;
  hardware?: number;
  protocol?: number;
  hln?: number;
  pln?: number;
  sha?: string;
  spa?: string;
  tha?: string;
  tpa?: string;
}

/** The 28-byte ARP body for IPv4 over Ethernet, a request unless told. */
function arpBody({
  op = 1,
  hardware = 1,
  protocol = ETHERTYPE_IPV4,
  hln = 6,
  pln = 4,
  sha = ASKER_MAC,
  spa = ASKER_IP,
  tha = '00:00:00:00:00:00',
  tpa = NEIGH_IP,
}: ArpSpec = {}): Uint8Array {
  const body = new Uint8Array(28);
  body.set([hardware >> 8, hardware & 0xff, protocol >> 8, protocol & 0xff, hln, pln, op >> 8, op & 0xff]);
  body.set(mac(sha), 8);
  body.set(ipv4Bytes(spa), 14);
  body.set(mac(tha), 18);
  body.set(ipv4Bytes(tpa), 24);
  return body;
}

const arpFrame = (spec: ArpSpec = {}, ethDst = BROADCAST, ethSrc = spec.sha ?? ASKER_MAC): Uint8Array =>
  ethernetFrame({ dst: ethDst, src: ethSrc, etherType: ETHERTYPE_ARP, payload: arpBody(spec) });

/** The frame listed for the TAP, read from the buffer it was written into. */
function reply(buf: Uint8Array, toTap: FrameBatch): number[] {
  expect(toTap.count).toBe(1);
  return Array.from(buf.subarray(toTap.offset(0), toTap.offset(0) + toTap.length(0)));
}

describe('ARP proxy', () => {
  it('answers a request for a known address in place, for the TAP only', () => {
    const { engine, events } = proxyEngine([[NEIGH_IP, NEIGH_MAC]], { l3miss: true, l2miss: true });
    const request = arpFrame();
    const { buf, sent, toTap } = encapOne(engine, request);
    expect(sent.count).toBe(0);
    expect(toTap.offset(0)).toBe(FRAME_OFFSET);
    expect(toTap.length(0)).toBe(42);
    const expected = [
      ...mac(ASKER_MAC), // eth dst: the asker
      ...mac(NEIGH_MAC), // eth src: the neighbour
      0x08, 0x06,
      0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02, // Ethernet/IPv4, reply
      ...mac(NEIGH_MAC), ...ipv4Bytes(NEIGH_IP), // sender: the neighbour
      ...mac(ASKER_MAC), ...ipv4Bytes(ASKER_IP), // target: the asker
    ];
    expect(reply(buf, toTap)).toEqual(expected);
    // Nothing written outside the frame: no VXLAN header in the headroom.
    expect(Array.from(buf.subarray(0, FRAME_OFFSET))).toEqual(new Array(FRAME_OFFSET).fill(0xaa));
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
    expect(engine.counters.txPackets).toBe(0);
    expect(engine.counters.txDropped).toBe(0);
    expect(events).toEqual([]);
  });

  it('answers the ARP sender, not the Ethernet source, and is 42 bytes from a padded 60-byte request', () => {
    const { engine } = proxyEngine([[NEIGH_IP, NEIGH_MAC]]);
    const sha = '02:00:00:00:00:77';
    const padded = new Uint8Array(60);
    padded.set(arpFrame({ sha, spa: '192.0.2.77' }, BROADCAST, ASKER_MAC));
    const { buf, toTap } = encapOne(engine, padded);
    const frame = reply(buf, toTap);
    expect(frame).toHaveLength(42);
    expect(frame.slice(0, 6)).toEqual(Array.from(mac(sha)));
    expect(frame.slice(32, 42)).toEqual([...mac(sha), ...ipv4Bytes('192.0.2.77')]);
  });

  it('answers from the entry the request names, among several', () => {
    const other = '02:00:00:00:00:0b';
    const { engine } = proxyEngine([
      [NEIGH_IP, NEIGH_MAC],
      ['192.0.2.11', other],
      ['2001:db8::b', '02:00:00:00:00:0c'],
    ]);
    const { buf, toTap } = encapOne(engine, arpFrame({ tpa: '192.0.2.11' }));
    const frame = reply(buf, toTap);
    expect(frame.slice(6, 12)).toEqual(Array.from(mac(other)));
    expect(frame.slice(22, 32)).toEqual([...mac(other), ...ipv4Bytes('192.0.2.11')]);
  });

  it.each([true, false])('does not answer an unknown address; l3miss %s', (l3miss) => {
    const { engine, events } = proxyEngine([[NEIGH_IP, NEIGH_MAC]], { l3miss, l2miss: true });
    const request = arpFrame({ tpa: UNKNOWN_IP });
    const { buf, sent, toTap } = encapOne(engine, request);
    expect(sent.count).toBe(0);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
    expect(events.map(eventText)).toEqual(l3miss ? [`l3miss ${UNKNOWN_IP}`] : []);
    // The request is left as it was.
    expect(Array.from(buf.subarray(FRAME_OFFSET, FRAME_OFFSET + request.length))).toEqual(Array.from(request));
  });

  it('answers once a controller adds the missing entry', () => {
    const { engine, neighbours, events } = proxyEngine([], { l3miss: true });
    expect(encapOne(engine, arpFrame({ tpa: UNKNOWN_IP })).toTap.count).toBe(0);
    expect(events.map(eventText)).toEqual([`l3miss ${UNKNOWN_IP}`]);
    neighbours.add(UNKNOWN_IP, mac(NEIGH_MAC));
    const { buf, toTap } = encapOne(engine, arpFrame({ tpa: UNKNOWN_IP }));
    expect(reply(buf, toTap).slice(22, 32)).toEqual([...mac(NEIGH_MAC), ...ipv4Bytes(UNKNOWN_IP)]);
    expect(events).toHaveLength(1);
    expect(engine.counters.drops.proxyConsumed).toBe(2);
  });

  it.each([
    ['loopback', '127.0.0.1'],
    ['multicast', '239.1.1.1'],
  ])('ignores a %s target even with a neighbour entry for it, and reports no miss', (_, target) => {
    const { engine, events } = proxyEngine([[target, NEIGH_MAC]], { l3miss: true });
    const { sent, toTap } = encapOne(engine, arpFrame({ tpa: target }));
    expect(toTap.count).toBe(0);
    expect(sent.count).toBe(0);
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
    expect(events).toEqual([]);
  });

  it.each<[string, ArpSpec | 'short']>([
    ['a reply', { op: 2, tha: NEIGH_MAC }],
    ['a RARP request (op 3)', { op: 3 }],
    ['another protocol', { protocol: ETHERTYPE_IPV6 }],
    ['another hardware type', { hardware: 0x18 }],
    ['a hardware length of 8', { hln: 8 }],
    ['a protocol length of 16', { pln: 16 }],
    ['a truncated request', 'short'],
  ])('consumes %s for a known address without answering it, as arp_reduce', (_, spec) => {
    const { engine, events } = proxyEngine([[NEIGH_IP, NEIGH_MAC]], { l3miss: true });
    const frame = spec === 'short' ? arpFrame().subarray(0, 14 + 27) : arpFrame(spec);
    const { buf, sent, toTap } = encapOne(engine, frame);
    expect(sent.count).toBe(0);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
    expect(events).toEqual([]);
    expect(Array.from(buf.subarray(FRAME_OFFSET, FRAME_OFFSET + frame.length))).toEqual(Array.from(frame));
  });

  it('also answers an IEEE 802 hardware type (6), as the kernel accepts it', () => {
    const { engine } = proxyEngine([[NEIGH_IP, NEIGH_MAC]]);
    const { buf, toTap } = encapOne(engine, arpFrame({ hardware: 6 }));
    const frame = reply(buf, toTap);
    expect(frame.slice(20, 22)).toEqual([0, 2]);
    expect(frame.slice(22, 28)).toEqual(Array.from(mac(NEIGH_MAC)));
  });

  it('tunnels ARP as usual with the proxy off', () => {
    const { engine, events } = proxyEngine([[NEIGH_IP, NEIGH_MAC]], { proxy: false, l3miss: true });
    const request = arpFrame();
    const { buf, sent, toTap } = encapOne(engine, request);
    expect(sentTo(sent)).toEqual([PEER]);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({});
    expect(engine.counters.txEncapsulated).toBe(1);
    expect(events).toEqual([]);
    expect(Array.from(buf.subarray(FRAME_OFFSET, FRAME_OFFSET + request.length))).toEqual(Array.from(request));
  });

  it('tunnels IPv4 traffic to a neighbour-table address as usual with the proxy on', () => {
    const { engine } = proxyEngine([[NEIGH_IP, NEIGH_MAC]]);
    const { sent, toTap } = encapOne(engine, ipv4Frame({ dst: NEIGH_IP }, { dst: BROADCAST }));
    expect(sentTo(sent)).toEqual([PEER]);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------
// IPv6 Neighbour Discovery

interface NsSpec {
  src?: string;
  dst?: string;
  target?: string;
  ethSrc?: string;
  ethDst?: string;
  type?: number;
  code?: number;
  nextHeader?: number;
  /** Add the source link-layer address option (ethSrc). */
  slla?: boolean;
}

/**
 * A Neighbour Solicitation (or, with `type`, another ICMPv6 message of its shape). The
 * solicitation is unicast to the target (as for NUD), so its addresses stay in 2001:db8::/32.
 */
function nsFrame({
  src = ASKER_IP6,
  dst = NEIGH_IP6,
  target = NEIGH_IP6,
  ethSrc = ASKER_MAC,
  ethDst = '02:00:00:00:00:55',
  type = 135,
  code = 0,
  nextHeader = PROTO_ICMPV6,
  slla = true,
}: NsSpec = {}): Uint8Array {
  const icmp = new Uint8Array(24 + (slla ? 8 : 0));
  icmp[0] = type;
  icmp[1] = code;
  icmp.set(addressBytes(target), 8);
  if (slla) {
    icmp.set([1, 1], 24);
    icmp.set(mac(ethSrc), 26);
  }
  const packet = ipv6Packet({ src, dst, nextHeader, hopLimit: 255, l4Length: icmp.length });
  packet.set(icmp, 40);
  const check = icmpv6Checksum(packet);
  packet[42] = check >> 8;
  packet[43] = check & 0xff;
  return ethernetFrame({ dst: ethDst, src: ethSrc, etherType: ETHERTYPE_IPV6, payload: packet });
}

/**
 * The ICMPv6 checksum of the IPv6 packet `packet` (header at 0), computed from scratch:
 * the one's complement sum over the pseudo-header (source, destination, upper-layer
 * length as 32 bits, 3 zero bytes and next header 58) and the message with its checksum
 * field taken as zero.
 */
function icmpv6Checksum(packet: Uint8Array): number {
  return ~pseudoHeaderSum(packet, false) & 0xffff;
}

/** The folded one's complement sum of pseudo-header and message, checksum field kept or zeroed. */
function pseudoHeaderSum(packet: Uint8Array, keepChecksum: boolean): number {
  const length = (packet[4]! << 8) | packet[5]!;
  const message = Uint8Array.from(packet.subarray(40, 40 + length));
  if (!keepChecksum) {
    message[2] = 0;
    message[3] = 0;
  }
  const pseudo = new Uint8Array(40 + length + (length % 2));
  pseudo.set(packet.subarray(8, 40), 0);
  new DataView(pseudo.buffer).setUint32(32, length);
  pseudo[39] = PROTO_ICMPV6;
  pseudo.set(message, 40);
  let sum = 0;
  for (let i = 0; i < pseudo.length; i += 2) sum += (pseudo[i]! << 8) | pseudo[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Neighbour Advertisement a kernel would send for `neighbour` to the asker. */
function expectedAdvertisement(neighbourMac: string, target: string, router: boolean, askerMac = ASKER_MAC, askerIp = ASKER_IP6): number[] {
  const packet = new Uint8Array(40 + 32);
  packet.set([0x60, 0, 0, 0, 0, 32, PROTO_ICMPV6, 255]);
  packet.set(addressBytes(target), 8);
  packet.set(addressBytes(askerIp), 24);
  packet[40] = 136;
  packet[44] = (router ? 0x80 : 0) | 0x40 | 0x20; // R, S, O
  packet.set(addressBytes(target), 48);
  packet.set([2, 1], 64);
  packet.set(mac(neighbourMac), 66);
  const check = icmpv6Checksum(packet);
  packet[42] = check >> 8;
  packet[43] = check & 0xff;
  return [...mac(askerMac), ...mac(neighbourMac), 0x86, 0xdd, ...packet];
}

describe('ND proxy', () => {
  it.each([false, true])('answers a solicitation for a known target with an advertisement (router %s)', (router) => {
    const { engine, events } = proxyEngine([[NEIGH_IP6, NEIGH_MAC, router]], { l3miss: true, l2miss: true });
    const { buf, sent, toTap } = encapOne(engine, nsFrame());
    expect(sent.count).toBe(0);
    expect(toTap.offset(0)).toBe(FRAME_OFFSET);
    expect(toTap.length(0)).toBe(14 + 40 + 32);
    const frame = reply(buf, toTap);
    expect(frame).toEqual(expectedAdvertisement(NEIGH_MAC, NEIGH_IP6, router));
    // Field by field, for a readable failure.
    expect(frame.slice(0, 6)).toEqual(Array.from(mac(ASKER_MAC)));
    expect(frame[14 + 7]).toBe(255);
    expect((frame[14 + 4]! << 8) | frame[14 + 5]!).toBe(32);
    expect(frame[54]).toBe(136);
    expect(frame[58]).toBe(router ? 0xe0 : 0x60);
    // A valid checksum: the sum over pseudo-header and message, checksum included, is all ones.
    const packet = Uint8Array.from(frame.slice(14));
    expect((packet[42]! << 8) | packet[43]!).toBe(icmpv6Checksum(packet));
    expect(pseudoHeaderSum(packet, true)).toBe(0xffff);
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
    expect(Array.from(buf.subarray(0, FRAME_OFFSET))).toEqual(new Array(FRAME_OFFSET).fill(0xaa));
    expect(events).toEqual([]);
  });

  it("replies to the solicitation's source link-layer address, as the kernel prefers it", () => {
    const { engine } = proxyEngine([[NEIGH_IP6, NEIGH_MAC]]);
    const frame = nsFrame();
    frame.set(mac('02:00:00:00:00:77'), 14 + 40 + 26); // the option names another MAC than the Ethernet source
    const { buf, toTap } = encapOne(engine, frame);
    expect(reply(buf, toTap).slice(0, 6)).toEqual(Array.from(mac('02:00:00:00:00:77')));
  });

  it('never answers for an IPv4-mapped target, even when the IPv4 address has an ARP entry', () => {
    const { engine, events } = proxyEngine([[NEIGH_IP, NEIGH_MAC]], { l3miss: true });
    const { toTap } = encapOne(engine, nsFrame({ target: `::ffff:${NEIGH_IP}` }));
    expect(toTap.count).toBe(0);
    expect(events).toEqual([]);
  });

  it('answers a solicitation without options (78 bytes) and one from another asker', () => {
    const { engine } = proxyEngine([[NEIGH_IP6, NEIGH_MAC]]);
    const asker = '02:00:00:00:00:66';
    const { buf, toTap } = encapOne(engine, nsFrame({ slla: false, ethSrc: asker, src: '2001:db8:1::66' }));
    expect(reply(buf, toTap)).toEqual(expectedAdvertisement(NEIGH_MAC, NEIGH_IP6, false, asker, '2001:db8:1::66'));
  });

  it('answers with the entry the target names', () => {
    const { engine } = proxyEngine([
      [NEIGH_IP6, NEIGH_MAC],
      ['2001:db8::b', '02:00:00:00:00:0b', true],
      [NEIGH_IP, '02:00:00:00:00:0c'],
    ]);
    const { buf, toTap } = encapOne(engine, nsFrame({ target: '2001:DB8:0::b', dst: '2001:db8::b' }));
    expect(reply(buf, toTap)).toEqual(expectedAdvertisement('02:00:00:00:00:0b', '2001:db8::b', true));
  });

  it.each([true, false])('consumes a solicitation for an unknown target without answering; l3miss %s', (l3miss) => {
    const { engine, events } = proxyEngine([[NEIGH_IP6, NEIGH_MAC]], { l3miss });
    const request = nsFrame({ target: UNKNOWN_IP6, dst: UNKNOWN_IP6 });
    const { buf, sent, toTap } = encapOne(engine, request);
    expect(sent.count).toBe(0);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
    expect(events.map(eventText)).toEqual(l3miss ? [`l3miss ${UNKNOWN_IP6}`] : []);
    expect(Array.from(buf.subarray(FRAME_OFFSET, FRAME_OFFSET + request.length))).toEqual(Array.from(request));
  });

  it('ignores a solicitation sent to the loopback address, and reports no miss', () => {
    const { engine, events } = proxyEngine([[NEIGH_IP6, NEIGH_MAC]], { l3miss: true });
    const { sent, toTap } = encapOne(engine, nsFrame({ dst: '::1' }));
    expect(toTap.count).toBe(0);
    expect(sent.count).toBe(0);
    expect(events).toEqual([]);
    expect(drops(engine.counters)).toEqual({ proxyConsumed: 1 });
  });

  it.each<[string, NsSpec | 'udp' | 'truncated']>([
    ['an echo request (128)', { type: 128 }],
    ['a neighbour advertisement (136)', { type: 136 }],
    ['a router solicitation (133)', { type: 133 }],
    ['a solicitation with code 1', { code: 1 }],
    ['a solicitation behind a hop-by-hop header', { nextHeader: 0 }],
    ['UDP', 'udp'],
    ['a solicitation cut short of its 24 bytes', 'truncated'],
  ])('tunnels %s as usual with the proxy on', (_, spec) => {
    const { engine, events } = proxyEngine([[NEIGH_IP6, NEIGH_MAC]], { l3miss: true });
    let frame: Uint8Array;
    if (spec === 'udp') {
      const packet = ipv6Packet({ dst: NEIGH_IP6, nextHeader: PROTO_UDP, l4Length: 32 });
      packet[40] = 135; // looks like an NS where the ICMPv6 type would be
      packet[41] = 0;
      frame = ethernetFrame({ dst: BROADCAST, src: ASKER_MAC, etherType: ETHERTYPE_IPV6, payload: packet });
    } else if (spec === 'truncated') {
      frame = nsFrame({ slla: false }).subarray(0, 14 + 40 + 23);
    } else {
      frame = nsFrame(spec);
    }
    const { buf, sent, toTap } = encapOne(engine, frame);
    expect(sentTo(sent)).toEqual([PEER]);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({});
    expect(events).toEqual([]);
    expect(Array.from(buf.subarray(FRAME_OFFSET, FRAME_OFFSET + frame.length))).toEqual(Array.from(frame));
  });

  it('tunnels a solicitation with the proxy off', () => {
    const { engine } = proxyEngine([[NEIGH_IP6, NEIGH_MAC]], { proxy: false });
    const { sent, toTap } = encapOne(engine, nsFrame());
    expect(sentTo(sent)).toEqual([PEER]);
    expect(toTap.count).toBe(0);
    expect(drops(engine.counters)).toEqual({});
  });
});
