// The outer IP/UDP header fields the engine chooses per frame (TTL, TOS with ECN, DF,
// UDP source port), the inner-header readers behind them (src/wire/inner.ts), and
// RFC 6040 decapsulation of a CE mark into the inner packet.
import { describe, expect, it } from 'vitest';
import { ZERO_MAC } from '../../src/engine/fdb.js';
import { makeRemote } from '../../src/engine/remote.js';
import {
  decapCe,
  dsField,
  encapEcn,
  flowHash,
  hopLimit,
  inheritsDf,
  innerIpOffset,
  flowIpOffset,
  portFromHash,
} from '../../src/wire/inner.js';
import {
  allOuterFields,
  BROADCAST,
  datagramBatch,
  frameBatch,
  ethernetFrame,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  hexRows,
  INNER_DST,
  ipv4Frame,
  ipv4HeaderChecksum,
  ipv4Packet,
  ipv6Frame,
  ipv6Packet,
  keepAll,
  makeEngine,
  encapOne,
  type EngineSetup,
  type OuterFields,
  OWN_MAC,
  PEER_1,
  PEER_2,
  PEER_3,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  storedChecksum,
} from './frames.js';

const GROUP = '239.1.1.1';

/** A frame placed at a non-zero offset of a larger buffer, as the pool holds them. */
const AT = 6;
function placed(frame: Uint8Array): Uint8Array {
  const buf = new Uint8Array(AT + frame.length + 8).fill(0xcc);
  buf.set(frame, AT);
  return buf;
}

const arpFrame = (src = OWN_MAC, dst = BROADCAST): Uint8Array => ethernetFrame({ dst, src, etherType: ETHERTYPE_ARP });

/** The flow hash of a frame, placed at AT of a buffer of its own. */
function hashOf(frame: Uint8Array): number {
  const buf = placed(frame);
  return flowHash(buf, AT, frame.length, innerIpOffset(buf, AT, frame.length));
}

describe('innerIpOffset', () => {
  it.each([
    ['IPv4', AT + 14, ipv4Frame()],
    ['IPv6', AT + 14, ipv6Frame()],
    // As the kernel: TTL, TOS, DF and ECN look at the outermost ethertype only.
    ['IPv4 behind one VLAN tag', -1, ipv4Frame({}, { vlan: 100 })],
    ['IPv6 behind one VLAN tag', -1, ipv6Frame({}, { vlan: 4094 })],
    ['ARP', -1, arpFrame()],
    ['ARP behind one VLAN tag', -1, ethernetFrame({ dst: BROADCAST, src: OWN_MAC, etherType: ETHERTYPE_ARP, vlan: 7 })],
  ])('%s -> %i', (_, expected, frame) => {
    expect(innerIpOffset(placed(frame), AT, frame.length)).toBe(expected);
  });

  it.each([
    ['IPv4', ETHERTYPE_IPV4, ipv4Packet(), 20],
    ['IPv6', ETHERTYPE_IPV6, ipv6Packet(), 40],
  ])('%s: -1 when the frame is one byte short of the fixed header, the offset at exactly the header', (_, etherType, packet, header) => {
    const frame = ethernetFrame({ dst: INNER_DST, src: OWN_MAC, etherType, payload: packet.subarray(0, header) });
    // The bytes after the frame's end hold the rest of a header: the length must be what counts.
    const buf = placed(frame);
    expect(innerIpOffset(buf, AT, 14 + header - 1)).toBe(-1);
    expect(innerIpOffset(buf, AT, 14 + header)).toBe(AT + 14);
    expect(innerIpOffset(buf, AT, 14 + header - 1 - 4)).toBe(-1);
  });

  it('flowIpOffset reads behind one VLAN tag, as the flow dissector; -1 when too short after it', () => {
    const frame = ipv4Frame({ l4Length: 0 }, { vlan: 5 });
    expect(flowIpOffset(placed(frame), AT, frame.length)).toBe(AT + 18);
    expect(flowIpOffset(placed(frame), AT, frame.length - 1)).toBe(-1);
    expect(flowIpOffset(placed(frame), AT, 16)).toBe(-1);
    const v6 = ipv6Frame({}, { vlan: 4094 });
    expect(flowIpOffset(placed(v6), AT, v6.length)).toBe(AT + 18);
  });

  it('-1 when the version nibble does not match the ethertype', () => {
    const v6InV4 = ethernetFrame({ dst: INNER_DST, src: OWN_MAC, etherType: ETHERTYPE_IPV4, payload: ipv6Packet() });
    const v4InV6 = ethernetFrame({ dst: INNER_DST, src: OWN_MAC, etherType: ETHERTYPE_IPV6, payload: ipv4Packet({ l4Length: 40 }) });
    expect(innerIpOffset(placed(v6InV4), AT, v6InV4.length)).toBe(-1);
    expect(innerIpOffset(placed(v4InV6), AT, v4InV6.length)).toBe(-1);
  });
});

describe('dsField, hopLimit, inheritsDf', () => {
  const ipOf = (frame: Uint8Array): { buf: Uint8Array; ip: number } => {
    const buf = placed(frame);
    return { buf, ip: innerIpOffset(buf, AT, frame.length) };
  };

  it.each(hexRows([[0x00], [0x02], [0xb8], [0xbb], [0xff]]))('dsField reads IPv4 TOS %s and IPv6 traffic class alike', (_, ds) => {
    const v4 = ipOf(ipv4Frame({ tos: ds }));
    const v6 = ipOf(ipv6Frame({ trafficClass: ds, flowLabel: 0xfffff }));
    expect(dsField(v4.buf, v4.ip)).toBe(ds);
    expect(dsField(v6.buf, v6.ip)).toBe(ds);
  });


  it.each([1, 17, 64, 255])('hopLimit reads IPv4 TTL and IPv6 hop limit %i', (ttl) => {
    const v4 = ipOf(ipv4Frame({ ttl }));
    const v6 = ipOf(ipv6Frame({ hopLimit: ttl }));
    expect(hopLimit(v4.buf, v4.ip)).toBe(ttl);
    expect(hopLimit(v6.buf, v6.ip)).toBe(ttl);
  });

  it.each([
    ['IPv4 with DF', true, ipv4Frame({ df: true })],
    ['IPv4 with DF, MF and an offset', true, ipv4Frame({ df: true, mf: true, fragmentOffset: 0x1fff })],
    ['IPv4 without DF', false, ipv4Frame({ df: false })],
    ['IPv4 with MF and an offset, no DF', false, ipv4Frame({ mf: true, fragmentOffset: 0x1fff })],
    ['IPv6', true, ipv6Frame()],
  ])('inheritsDf: %s -> %s', (_, expected, frame) => {
    const { buf, ip } = ipOf(frame);
    expect(inheritsDf(buf, ip)).toBe(expected);
  });
});

describe('encapEcn (RFC 6040: CE goes out as ECT(0))', () => {
  it.each([
    [0b00, 0b00],
    [0b01, 0b01],
    [0b10, 0b10],
    [0b11, 0b10],
  ])('inner ECN %i -> outer ECN %i, whatever the DSCP', (ecn, expected) => {
    for (const dscp of [0x00, 0xb8, 0xfc]) expect(encapEcn(dscp | ecn)).toBe(expected);
  });
});

describe('flowHash', () => {
  it('is a signed 32-bit integer, which V8 keeps as a small integer: never a heap number made per frame', () => {
    const hashes = Array.from({ length: 64 }, (_, i) => hashOf(arpFrame(`02:00:00:00:01:${i.toString(16).padStart(2, '0')}`)));
    for (const hash of hashes) expect(hash === (hash | 0)).toBe(true);
    // The upper half of the 32-bit range is there, as negative numbers.
    expect(hashes.some((hash) => hash < 0)).toBe(true);
  });

  it('is the same for two packets of one flow that differ in everything but the flow', () => {
    const a = ipv4Frame({ ttl: 64, id: 1, tos: 0, l4Length: 16 });
    const b = ipv4Frame({ ttl: 3, id: 999, tos: 0xb8, l4Length: 300, df: true }, { dst: '02:00:00:00:00:77', src: '02:00:00:00:00:78' });
    b.fill(0x11, 14 + 20 + 4); // another payload after the ports
    expect(hashOf(a)).toBe(hashOf(b));
    const buf = new Uint8Array(500);
    buf.set(a, 0);
    buf.set(b, 100);
    expect(flowHash(buf, 0, a.length, 14)).toBe(flowHash(buf, 100, b.length, 114));
  });

  it('is the same for one IPv6 flow, whatever the hop limit and traffic class', () => {
    expect(hashOf(ipv6Frame({ hopLimit: 64 }))).toBe(hashOf(ipv6Frame({ hopLimit: 1, trafficClass: 0xb8, l4Length: 100 })));
  });

  it.each([
    ['TCP', PROTO_TCP],
    ['UDP', PROTO_UDP],
  ])('differs for each of 100 %s source ports, and for another destination port', (_, protocol) => {
    const hashes = new Set(Array.from({ length: 100 }, (_, i) => hashOf(ipv4Frame({ protocol, srcPort: 40000 + i }))));
    expect(hashes.size).toBe(100);
    expect(hashOf(ipv4Frame({ protocol, dstPort: 5202 }))).not.toBe(hashOf(ipv4Frame({ protocol, dstPort: 5201 })));
  });

  it('differs for each of 100 IPv6 UDP source ports', () => {
    const hashes = new Set(Array.from({ length: 100 }, (_, i) => hashOf(ipv6Frame({ srcPort: 40000 + i }))));
    expect(hashes.size).toBe(100);
  });

  it('differs for another address, another protocol, and the reverse direction', () => {
    const base = hashOf(ipv4Frame());
    expect(hashOf(ipv4Frame({ src: '192.0.2.11' }))).not.toBe(base);
    expect(hashOf(ipv4Frame({ dst: '198.51.100.21' }))).not.toBe(base);
    expect(hashOf(ipv4Frame({ protocol: PROTO_TCP }))).not.toBe(base);
    expect(hashOf(ipv4Frame({ src: '198.51.100.20', dst: '192.0.2.10', srcPort: 5201, dstPort: 40000 }))).not.toBe(base);
    expect(hashOf(ipv6Frame({ src: '2001:db8::11' }))).not.toBe(hashOf(ipv6Frame()));
    expect(hashOf(ipv6Frame({ dst: '2001:db8::21' }))).not.toBe(hashOf(ipv6Frame()));
    expect(hashOf(ipv6Frame({ nextHeader: PROTO_TCP }))).not.toBe(hashOf(ipv6Frame()));
  });

  it('ignores the bytes after the IP header for protocols without ports (ICMP)', () => {
    const a = ipv4Frame({ protocol: PROTO_ICMP });
    const b = ipv4Frame({ protocol: PROTO_ICMP });
    b.fill(0x33, 14 + 20);
    expect(hashOf(a)).toBe(hashOf(b));
  });

  it('ignores ports for IPv4 fragments, so every fragment of a datagram hashes alike', () => {
    const first = ipv4Frame({ mf: true, srcPort: 40000 });
    const middle = ipv4Frame({ mf: true, fragmentOffset: 185, srcPort: 0x5a5a, dstPort: 0x5a5a });
    const last = ipv4Frame({ fragmentOffset: 370, srcPort: 0x1111, dstPort: 0x2222 });
    expect(hashOf(middle)).toBe(hashOf(first));
    expect(hashOf(last)).toBe(hashOf(first));
    // An unfragmented packet of the same addresses does hash its ports.
    expect(hashOf(ipv4Frame({ srcPort: 40000 }))).not.toBe(hashOf(ipv4Frame({ srcPort: 40001 })));
  });

  it('finds the ports after IPv4 options', () => {
    const a = ipv4Frame({ optionWords: 2, srcPort: 40000 });
    const b = ipv4Frame({ optionWords: 2, srcPort: 40001 });
    expect(hashOf(a)).not.toBe(hashOf(b));
  });

  it('does not read ports beyond the end of the frame', () => {
    // A UDP packet cut right after the IP header; what follows in the buffer is not the frame's.
    const frame = ipv4Frame({ l4Length: 0 });
    const a = placed(frame);
    const b = placed(frame);
    b.fill(0x99, AT + frame.length);
    expect(flowHash(a, AT, frame.length, AT + 14)).toBe(flowHash(b, AT, frame.length, AT + 14));
  });

  it('hashes the Ethernet header of non-IP frames: their payload does not count, their MACs do', () => {
    const a = arpFrame();
    const b = arpFrame();
    b.fill(0x44, 14);
    expect(hashOf(a)).toBe(hashOf(b));
    expect(hashOf(arpFrame('02:00:00:00:00:02'))).not.toBe(hashOf(a));
    expect(hashOf(arpFrame(OWN_MAC, '02:00:00:00:00:0b'))).not.toBe(hashOf(a));
    // The ethertype is part of the Ethernet header.
    expect(hashOf(ethernetFrame({ dst: BROADCAST, src: OWN_MAC, etherType: 0x88b5 }))).not.toBe(hashOf(a));
  });
});

describe('portFromHash', () => {
  it('maps the extremes of the hash to the ends of the range', () => {
    expect(portFromHash(0, 32768, 60999)).toBe(32768);
    expect(portFromHash(0xffffffff, 32768, 60999)).toBe(60999);
    expect(portFromHash(2 ** 31, 32768, 60999)).toBe(32768 + Math.floor((60999 - 32768 + 1) / 2));
    expect(portFromHash(0xffffffff, 1, 65535)).toBe(65535);
  });

  it('gives the only port of a one-port range', () => {
    for (const hash of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) expect(portFromHash(hash, 4789, 4789)).toBe(4789);
  });

  it('spreads 1000 flows over 32768-60999: within the range, > 900 distinct ports, both halves', () => {
    const ports = Array.from({ length: 1000 }, (_, i) =>
      portFromHash(hashOf(ipv4Frame({ srcPort: 1024 + i })), 32768, 60999),
    );
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThanOrEqual(60999);
    }
    expect(new Set(ports).size).toBeGreaterThan(900);
    const middle = (32768 + 60999) / 2;
    expect(ports.filter((p) => p < middle).length).toBeGreaterThan(400);
    expect(ports.filter((p) => p > middle).length).toBeGreaterThan(400);
  });

  it('keeps a narrow range: 1000 flows over 10 ports hit each of them', () => {
    const ports = Array.from({ length: 1000 }, (_, i) => portFromHash(hashOf(ipv6Frame({ srcPort: 1024 + i })), 50000, 50009));
    expect([...new Set(ports)].sort()).toEqual([50000, 50001, 50002, 50003, 50004, 50005, 50006, 50007, 50008, 50009]);
  });
});

describe('decapCe', () => {
  const v4At = (spec: Parameters<typeof ipv4Packet>[0]): { buf: Uint8Array; ip: number } => {
    const buf = new Uint8Array(10 + 60).fill(0xee);
    buf.set(ipv4Packet(spec), 10);
    return { buf, ip: 10 };
  };

  it('returns false for a not-ECT IPv4 packet and changes nothing', () => {
    const { buf, ip } = v4At({ tos: 0xb8 });
    const before = Array.from(buf);
    expect(decapCe(buf, ip)).toBe(false);
    expect(Array.from(buf)).toEqual(before);
  });

  it('returns false for a not-ECT IPv6 packet and changes nothing', () => {
    const buf = ipv6Packet({ trafficClass: 0xb8, flowLabel: 0x12345 });
    const before = Array.from(buf);
    expect(decapCe(buf, 0)).toBe(false);
    expect(Array.from(buf)).toEqual(before);
  });

  it.each(hexRows([
    [0x01, 0x03],
    [0x02, 0x03],
    [0xb9, 0xbb],
    [0xba, 0xbb],
    [0xfd, 0xff],
  ]))('IPv4 TOS %s with a header checksum that is still right', (_, tos, marked) => {
    const { buf, ip } = v4At({ tos, ttl: 33, id: 0x4321 });
    const before = Array.from(buf);
    expect(decapCe(buf, ip)).toBe(true);
    expect(buf[ip + 1]).toBe(marked);
    expect(storedChecksum(buf, ip)).toBe(ipv4HeaderChecksum(buf, ip));
    // Only the TOS byte and the checksum changed.
    const changed = Array.from(buf).flatMap((b, i) => (b === before[i] ? [] : [i - ip]));
    expect(changed.filter((i) => i !== 10 && i !== 11)).toEqual([1]);
  });

  it('keeps the IPv4 header checksum right for every IP id (every checksum value), ECT(0) and ECT(1)', () => {
    let wrong = 0;
    for (const tos of [0x01, 0x02, 0xfe]) {
      const base = ipv4Packet({ tos, ttl: 200, optionWords: 1 });
      for (let id = 0; id <= 0xffff; id++) {
        const packet = Uint8Array.from(base);
        packet[4] = id >> 8;
        packet[5] = id & 0xff;
        const check = ipv4HeaderChecksum(packet, 0);
        packet[10] = check >> 8;
        packet[11] = check & 0xff;
        decapCe(packet, 0);
        if (storedChecksum(packet, 0) !== ipv4HeaderChecksum(packet, 0) || (packet[1]! & 3) !== 3) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });

  it('leaves an IPv4 packet that is already CE as it is and returns true', () => {
    const { buf, ip } = v4At({ tos: 0xbb });
    const before = Array.from(buf);
    expect(decapCe(buf, ip)).toBe(true);
    expect(Array.from(buf)).toEqual(before);
  });

  it.each(hexRows([
    [0x01, 0x03],
    [0x02, 0x03],
    [0xba, 0xbb],
    [0x03, 0x03],
  ]))('IPv6 traffic class %s, version and flow label kept', (_, trafficClass, marked) => {
    const buf = ipv6Packet({ trafficClass, flowLabel: 0xfedcb });
    const before = Array.from(buf);
    expect(decapCe(buf, 0)).toBe(true);
    expect(Array.from(buf.subarray(0, 4))).toEqual([0x60 | (marked >> 4), ((marked & 0x0f) << 4) | 0x0f, 0xed, 0xcb]);
    expect(Array.from(buf.subarray(4))).toEqual(before.slice(4));
  });
});

// ---------------------------------------------------------------------------------------
// The engine: outer fields of every copy it lists.

function engineTo(remotes: [string, number][], outer: EngineSetup['outer'] = {}): ReturnType<typeof makeEngine> {
  const setup = makeEngine({ vni: 42, outer });
  for (const [address, port] of remotes) setup.fdb.append(ZERO_MAC, makeRemote(address, port), 'permanent', 0);
  return setup;
}

function outerOf(remotes: [string, number][], outer: EngineSetup['outer'], frame: Uint8Array): OuterFields[] {
  const { engine } = engineTo(remotes, outer);
  const { sent } = encapOne(engine, frame);
  return allOuterFields(sent);
}

const pick = <K extends keyof OuterFields>(fields: OuterFields[], key: K): OuterFields[K][] => fields.map((f) => f[key]);

describe('encap: outer TTL', () => {
  const unicastAndGroup: [string, number][] = [
    [PEER_1, 4789],
    [GROUP, 4789],
  ];

  it('ttl auto (the default): 64 to a unicast remote, 1 to a multicast group', () => {
    const fields = outerOf(unicastAndGroup, {}, ipv4Frame({ ttl: 17 }, { dst: BROADCAST }));
    expect(pick(fields, 'dst')).toEqual([PEER_1, GROUP]);
    expect(pick(fields, 'ttl')).toEqual([64, 1]);
  });

  it('ttl auto to an IPv6 unicast remote: 64', () => {
    expect(pick(outerOf([['2001:db8::2', 4789]], { ttl: 'auto' }, ipv6Frame({ hopLimit: 5 })), 'ttl')).toEqual([64]);
  });

  it.each([1, 17, 255])('a fixed ttl %i goes to unicast and multicast remotes alike', (ttl) => {
    const fields = outerOf(unicastAndGroup, { ttl }, ipv4Frame({ ttl: 99 }));
    expect(pick(fields, 'ttl')).toEqual([ttl, ttl]);
  });

  it.each([
    ['the inner IPv4 TTL', 23, ipv4Frame({ ttl: 23 })],
    ['the inner IPv6 hop limit', 99, ipv6Frame({ hopLimit: 99 })],
    ['64 for a non-IP frame (ARP)', 64, arpFrame()],
    ['64 for a frame too short for its IPv4 header', 64, ethernetFrame({ dst: BROADCAST, src: OWN_MAC, etherType: ETHERTYPE_IPV4, payloadLength: 19 })],
    ['64 for an inner TTL of 0 (the route default, as the kernel)', 64, ipv4Frame({ ttl: 0 })],
    ['64 for an inner hop limit of 0', 64, ipv6Frame({ hopLimit: 0 })],
  ])('ttl inherit copies %s, to a multicast group too', (_, expected, frame) => {
    const fields = outerOf(unicastAndGroup, { ttl: 'inherit' }, frame);
    expect(pick(fields, 'ttl')).toEqual([expected, expected]);
  });
});

describe('encap: outer TOS', () => {
  const one: [string, number][] = [[PEER_1, 4789]];

  it.each(hexRows([
    // [configured tos, inner DS field, outer tos]: DSCP from the configuration, ECN from the inner.
    [0x00, 0x00, 0x00],
    [0x00, 0xb9, 0x01],
    [0x00, 0xba, 0x02],
    [0x00, 0xbb, 0x02],
    [0x28, 0x00, 0x28],
    [0x28, 0x01, 0x29],
    [0x28, 0x02, 0x2a],
    [0x28, 0x03, 0x2a],
    [0xb8, 0x47, 0xba],
    // ECN bits in the configured value give way to the inner's.
    [0x2b, 0x00, 0x28],
    [0x2b, 0x01, 0x29],
  ]))('fixed tos, inner IPv4 DS -> outer: %s', (_, tos, inner, expected) => {
    expect(pick(outerOf(one, { tos }, ipv4Frame({ tos: inner })), 'tos')).toEqual([expected]);
  });

  it.each(hexRows([
    [0x00, 0x00],
    [0xb8, 0xb8],
    [0xb9, 0xb9],
    [0xba, 0xba],
    [0xbb, 0xba],
    [0x03, 0x02],
    [0xff, 0xfe],
  ]))('tos inherit, inner IPv4 DS %s (CE goes out as ECT(0))', (_, inner, expected) => {
    expect(pick(outerOf(one, { tos: 'inherit' }, ipv4Frame({ tos: inner })), 'tos')).toEqual([expected]);
  });

  it.each(hexRows([
    [0x00, 0x00],
    [0x29, 0x29],
    [0x2b, 0x2a],
  ]))('tos inherit, inner IPv6 traffic class %s', (_, inner, expected) => {
    expect(pick(outerOf(one, { tos: 'inherit' }, ipv6Frame({ trafficClass: inner, flowLabel: 0xfffff })), 'tos')).toEqual([expected]);
  });

  it('a non-IP frame: the fixed DSCP with ECN not-ECT; 0 under inherit', () => {
    expect(pick(outerOf(one, { tos: 0x2b }, arpFrame()), 'tos')).toEqual([0x28]);
    expect(pick(outerOf(one, { tos: 'inherit' }, arpFrame()), 'tos')).toEqual([0x00]);
  });
});

describe('encap: outer DF', () => {
  const one: [string, number][] = [[PEER_1, 4789]];
  const frames: [string, Uint8Array][] = [
    ['IPv4 with DF', ipv4Frame({ df: true })],
    ['IPv4 without DF', ipv4Frame({ df: false })],
    ['IPv6', ipv6Frame()],
    ['ARP', arpFrame()],
  ];
  const dfOf = (df: 'unset' | 'set' | 'inherit'): number[] => frames.flatMap(([, frame]) => pick(outerOf(one, { df }, frame), 'df'));

  it('df unset (the default): never', () => {
    expect(frames.flatMap(([, frame]) => pick(outerOf(one, {}, frame), 'df'))).toEqual([0, 0, 0, 0]);
    expect(dfOf('unset')).toEqual([0, 0, 0, 0]);
  });

  it('df set: always', () => {
    expect(dfOf('set')).toEqual([1, 1, 1, 1]);
  });

  it('df inherit: IPv4 with DF -> 1, IPv4 without DF -> 0, IPv6 -> 1, ARP -> 0', () => {
    expect(dfOf('inherit')).toEqual([1, 0, 1, 0]);
  });
});

describe('encap: UDP ports', () => {
  it('the destination port is each remote’s own; the source port is within the configured range', () => {
    const remotes: [string, number][] = [
      [PEER_1, 4789],
      [PEER_2, 8472],
      [PEER_3, 65535],
    ];
    const fields = outerOf(remotes, { srcPortMin: 50000, srcPortMax: 50099 }, ipv4Frame());
    expect(pick(fields, 'dstPort')).toEqual([4789, 8472, 65535]);
    for (const f of fields) {
      expect(f.srcPort).toBeGreaterThanOrEqual(50000);
      expect(f.srcPort).toBeLessThanOrEqual(50099);
    }
  });

  it('keeps every source port of 300 flows within a narrow configured range, max exclusive as the kernel\'s, and uses its ends', () => {
    const { engine } = engineTo([[PEER_1, 4789]], { srcPortMin: 1000, srcPortMax: 1004 });
    const ports = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const { sent } = encapOne(engine, ipv4Frame({ srcPort: 2000 + i }));
      ports.add(allOuterFields(sent)[0]!.srcPort);
    }
    expect([...ports].sort()).toEqual([1000, 1001, 1002, 1003]);
  });

  it('uses the one port of a one-port range for every flow', () => {
    const { engine } = engineTo([[PEER_1, 4789]], { srcPortMin: 4789, srcPortMax: 4789 });
    for (const frame of [ipv4Frame(), ipv4Frame({ srcPort: 1 }), ipv6Frame(), arpFrame()]) {
      expect(allOuterFields(encapOne(engine, frame).sent)[0]!.srcPort).toBe(4789);
    }
  });

  it('gives two frames of one flow the same source port, and spreads other flows', () => {
    const { engine } = engineTo([[PEER_1, 4789]]);
    const portOf = (frame: Uint8Array): number => allOuterFields(encapOne(engine, frame).sent)[0]!.srcPort;
    expect(portOf(ipv4Frame({ ttl: 64, id: 1 }))).toBe(portOf(ipv4Frame({ ttl: 60, id: 2, l4Length: 200 })));
    expect(portOf(ipv6Frame({ hopLimit: 64 }))).toBe(portOf(ipv6Frame({ hopLimit: 1, l4Length: 400 })));
    expect(portOf(arpFrame())).toBe(portOf(arpFrame()));
    const ports = new Set(Array.from({ length: 200 }, (_, i) => portOf(ipv4Frame({ srcPort: 30000 + i }))));
    expect(ports.size).toBeGreaterThan(180);
  });

  it('uses source ports that are high in 16 bits: no sign trouble in the packed array', () => {
    const fields = outerOf([[PEER_1, 4789]], { srcPortMin: 65535, srcPortMax: 65535 }, ipv4Frame());
    expect(fields[0]).toMatchObject({ srcPort: 65535, dstPort: 4789 });
  });
});

describe('encap: every copy of a flooded frame', () => {
  it('carries the same source port, TOS and DF; only TTL follows each remote under ttl auto', () => {
    const remotes: [string, number][] = [
      [PEER_1, 4789],
      [GROUP, 4789],
      [PEER_2, 8472],
      [PEER_3, 4789],
    ];
    const frame = ipv4Frame({ tos: 0xbb, df: true, ttl: 40 }, { dst: BROADCAST });
    const fields = outerOf(remotes, { tos: 'inherit', df: 'inherit' }, frame);
    expect(fields).toHaveLength(4);
    const srcPort = fields[0]!.srcPort;
    expect(fields).toEqual([
      { dst: PEER_1, srcPort, dstPort: 4789, ttl: 64, tos: 0xba, df: 1 },
      { dst: GROUP, srcPort, dstPort: 4789, ttl: 1, tos: 0xba, df: 1 },
      { dst: PEER_2, srcPort, dstPort: 8472, ttl: 64, tos: 0xba, df: 1 },
      { dst: PEER_3, srcPort, dstPort: 4789, ttl: 64, tos: 0xba, df: 1 },
    ]);
    expect(srcPort).toBeGreaterThanOrEqual(32768);
    expect(srcPort).toBeLessThanOrEqual(60999);
  });

  it('skips an unspecified remote without shifting the fields of the others', () => {
    const fields = outerOf(
      [
        [PEER_1, 4789],
        ['0.0.0.0', 4789],
        [GROUP, 4790],
      ],
      { ttl: 'auto', df: 'set' },
      ipv4Frame(),
    );
    expect(fields.map((f) => [f.dst, f.dstPort, f.ttl, f.df])).toEqual([
      [PEER_1, 4789, 64, 1],
      [GROUP, 4790, 1, 1],
    ]);
  });

  it('lists the outer fields of each frame of a batch against its own entries', () => {
    const { engine } = engineTo([[PEER_1, 4789]], { tos: 'inherit', ttl: 'inherit', df: 'inherit' });
    const a = ipv4Frame({ tos: 0x28, ttl: 10, df: true });
    const b = ipv6Frame({ trafficClass: 0xb9, hopLimit: 20 });
    const buf = new Uint8Array(300);
    buf.set(a, 8);
    buf.set(b, 158);
    const sent = datagramBatch(1);
    const toTap = frameBatch(2);
    engine.encap(buf, 0, a.length + 8, a.length + 8, keepAll(sent), toTap);
    engine.encap(buf, 150, b.length + 8, b.length + 8, keepAll(sent), toTap);
    expect(allOuterFields(sent).map((f) => [f.ttl, f.tos, f.df])).toEqual([
      [10, 0x28, 1],
      [20, 0xb9, 1],
    ]);
  });
});

describe('encap: outer IPv6 flow label', () => {
  const v6: [string, number][] = [['2001:db8::2', 4789]];
  const labelsOf = (outer: EngineSetup['outer'], frame: Uint8Array): number[] => {
    const { engine } = engineTo(v6, outer);
    const { sent } = encapOne(engine, frame);
    return Array.from({ length: sent.count }, (_, i) => sent.field(i, 'flowLabel'));
  };

  it('is 0 by default, as the kernel sends', () => {
    expect(labelsOf({}, ipv6Frame({ flowLabel: 0xabcde }))).toEqual([0]);
  });

  it('is the fixed one given', () => {
    expect(labelsOf({ flowLabel: 0x12345 }, ipv6Frame({ flowLabel: 0xabcde }))).toEqual([0x12345]);
  });

  it.each([
    ['the inner IPv6 flow label', 0xabcde, ipv6Frame({ flowLabel: 0xabcde })],
    ['0 for inner IPv4', 0, ipv4Frame()],
    ['0 for a non-IP frame (ARP)', 0, arpFrame()],
  ])('inherit copies %s', (_, expected, frame) => {
    expect(labelsOf({ flowLabel: 'inherit' }, frame)).toEqual([expected]);
  });
});
