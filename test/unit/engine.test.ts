import { describe, expect, it } from 'vitest';
import type { Counters } from '../../src/engine/counters.js';
import type { Engine } from '../../src/engine/engine.js';
import { ZERO_MAC } from '../../src/engine/fdb.js';
import { makeRemote } from '../../src/engine/remote.js';
import {
  addressOf,
  allOuterFields,
  BROADCAST,
  DATAGRAM_OFFSET,
  datagramBatch,
  decapOne,
  FRAME_OFFSET,
  frameBatch,
  type FrameSpec,
  ethernetFrame,
  hex,
  HOST,
  HOST_B,
  ip,
  ipv4Frame,
  ipv4HeaderChecksum,
  ipv6Frame,
  keepAll,
  lengths,
  mac,
  makeEngine,
  encapOne,
  offsets,
  OWN_MAC,
  PEER_1,
  PEER_2,
  PEER_3,
  sentTo,
  sentVnis,
  storedChecksum,
  eventText,
  vxlanDatagram,
  expectedRemote,
} from './frames.js';

const VNI = 42;
const GROUP = '01:00:5e:00:00:01';

/** The drop reasons with a non-zero count. */
function drops(counters: Counters): Record<string, number> {
  return Object.fromEntries(Object.entries(counters.drops).filter(([, n]) => n !== 0));
}

function datagram(spec: Partial<FrameSpec> = {}, headerPatch: Record<number, number> = {}, vni = VNI): Uint8Array {
  return vxlanDatagram(ethernetFrame({ dst: OWN_MAC, src: HOST, ...spec }), vni, headerPatch);
}

/** Decapsulates and checks that the datagram was dropped for exactly `reason`. */
function expectRxDrop(engine: Engine, bytes: Uint8Array, reason: string, source = PEER_1, tos = 0): void {
  const { delivered } = decapOne(engine, bytes, source, 0, tos);
  expect(delivered.count).toBe(0);
  expect(drops(engine.counters)).toEqual({ [reason]: 1 });
  expect(engine.counters.rxPackets).toBe(0);
  expect(engine.counters.rxBytes).toBe(0);
}

describe('decap: delivered frames', () => {
  it('delivers the inner frame at datagram offset + 8 and counts it', () => {
    const { engine } = makeEngine({ vni: VNI });
    const bytes = datagram({ payloadLength: 46 });
    const { buf, delivered } = decapOne(engine, bytes, PEER_1);
    expect(delivered.count).toBe(1);
    expect(delivered.offset(0)).toBe(DATAGRAM_OFFSET + 8);
    expect(delivered.length(0)).toBe(60);
    expect(Array.from(buf.subarray(DATAGRAM_OFFSET + 8, DATAGRAM_OFFSET + 8 + 60))).toEqual(Array.from(bytes.subarray(8)));
    expect(engine.counters.rxPackets).toBe(1);
    expect(engine.counters.rxBytes).toBe(60);
    expect(engine.counters.rxErrors).toBe(0);
    expect(drops(engine.counters)).toEqual({});
  });

  it('accepts the shortest datagram: header plus a bare Ethernet header', () => {
    const { engine } = makeEngine({ vni: VNI });
    const { delivered } = decapOne(engine, datagram({ payloadLength: 0 }), PEER_1);
    expect(delivered.count).toBe(1);
    expect(delivered.length(0)).toBe(14);
  });

  it('accepts any outer source address, IPv4 or IPv6', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    decapOne(engine, datagram({ src: HOST }), '2001:db8::7');
    decapOne(engine, datagram({ src: HOST_B }), PEER_3);
    expect(engine.counters.rxPackets).toBe(2);
    expect(fdb.get(mac(HOST))!.remotes[0]).toEqual(expectedRemote('2001:db8::7', 6, 4789));
    expect(fdb.get(mac(HOST_B))!.remotes[0]).toEqual(expectedRemote(PEER_3, 4, 4789));
  });

  it('accepts VNI 0 and VNI 0xffffff when configured', () => {
    for (const vni of [0, 0xffffff]) {
      const { engine } = makeEngine({ vni });
      expect(decapOne(engine, datagram({}, {}, vni), PEER_1).delivered.count).toBe(1);
    }
  });

  it('appends to the frame batch across calls', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    const buf = new Uint8Array(200);
    const a = datagram({ payloadLength: 28 });
    const b = datagram({ src: HOST_B, payloadLength: 46 });
    buf.set(a, 0);
    buf.set(b, 100);
    const sources = new Uint8Array(32);
    sources.set(ip(PEER_1), 0);
    sources.set(ip(PEER_2), 16);
    const out = frameBatch(2);
    engine.decap(buf, 0, a.length, sources, 0, 0, 0, out);
    engine.decap(buf, 100, b.length, sources, 16, 0, 0, out);
    expect(out.count).toBe(2);
    expect(offsets(out)).toEqual([8, 108]);
    expect(lengths(out)).toEqual([42, 60]);
    expect(engine.counters.rxBytes).toBe(102);
    // Each frame was learned from the address at its own offset.
    expect(fdb.get(mac(HOST))!.remotes[0]!.address).toBe(PEER_1);
    expect(fdb.get(mac(HOST_B))!.remotes[0]!.address).toBe(PEER_2);
  });

  it('tells of learned and moved entries, not of refreshes', () => {
    const { engine, events } = makeEngine({ vni: VNI });
    // The event carries the live entry: read it when the event is new.
    const seen: string[][] = [];
    for (const [source, now] of [[PEER_1, 0], [PEER_1, 1], [PEER_2, 2]] as const) {
      decapOne(engine, datagram(), source, now);
      seen.push(events.splice(0).map(eventText));
    }
    expect(seen).toEqual([[`learned ${HOST} ${PEER_1}`], [], [`moved ${HOST} ${PEER_2}`]]);
  });

  it('counts the sources a full FDB refused to learn, and still delivers their frames', () => {
    const { engine, fdb, events } = makeEngine({ vni: VNI, maxAddress: 1 });
    decapOne(engine, datagram(), PEER_1);
    for (let i = 0; i < 3; i++) expect(decapOne(engine, datagram({ src: HOST_B }), PEER_2).delivered.count).toBe(1);
    expect(fdb.size).toBe(1);
    expect(engine.counters.learnFull).toBe(3);
    expect(engine.counters.rxPackets).toBe(4);
    expect(events.map(eventText)).toEqual([`learned ${HOST} ${PEER_1}`]);
  });

  describe('--accept-from peers', () => {
    const ATTACKER = '203.0.113.66';

    it('drops a datagram from an unknown source before it can move a MAC, and counts it', () => {
      const { engine, fdb, events } = makeEngine({ vni: VNI, acceptFrom: 'peers' });
      fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
      expect(decapOne(engine, datagram(), PEER_1).delivered.count).toBe(1);
      expect(decapOne(engine, datagram(), ATTACKER).delivered.count).toBe(0);
      expect(fdb.get(mac(HOST))!.remotes[0]!.address).toBe(PEER_1);
      expect(drops(engine.counters)).toEqual({ unknownSource: 1 });
      expect(events.map(eventText)).toEqual([`learned ${HOST} ${PEER_1}`]);
    });

    it('accepts an FDB destination, and stops accepting it once no entry names it', () => {
      const { engine, fdb } = makeEngine({ vni: VNI, acceptFrom: 'peers' });
      fdb.add(mac(HOST_B), makeRemote(PEER_2, 4789), 'static', 0);
      expect(decapOne(engine, datagram(), PEER_2).delivered.count).toBe(1);
      fdb.delete(mac(HOST_B));
      // The learned entry for HOST still names PEER_2.
      expect(decapOne(engine, datagram(), PEER_2).delivered.count).toBe(1);
      Array.from(fdb.flush({ dst: PEER_2 }, 1024)); // run to its end
      expect(decapOne(engine, datagram(), PEER_2).delivered.count).toBe(0);
      expect(drops(engine.counters)).toEqual({ unknownSource: 1 });
    });

    it('accepts a sender to the group (group mode), learns it, and then its unicast too', () => {
      const { engine, fdb } = makeEngine({ vni: VNI, acceptFrom: 'peers' });
      fdb.append(ZERO_MAC, makeRemote('239.1.1.1', 4789), 'permanent', 0);
      const frame = datagram();
      const buf = new Uint8Array(frame);
      const sources = ip(PEER_2);
      const out = frameBatch(2);
      engine.decap(buf, 0, buf.length, sources, 0, 0, 0, out, true);
      expect(out.count).toBe(1);
      expect(fdb.get(mac(HOST))!.remotes[0]!.address).toBe(PEER_2);
      // Learned, the sender is known: its unicast datagrams pass too.
      expect(decapOne(engine, datagram({ src: HOST_B }), PEER_2).delivered.count).toBe(1);
      expect(decapOne(engine, datagram({ src: HOST_B }), PEER_3).delivered.count).toBe(0);
      expect(drops(engine.counters)).toEqual({ unknownSource: 1 });
    });

    it('accepts anyone with any, as the kernel does: one forged datagram moves the MAC', () => {
      const { engine, fdb } = makeEngine({ vni: VNI, acceptFrom: 'any' });
      fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
      decapOne(engine, datagram(), PEER_1);
      decapOne(engine, datagram(), ATTACKER);
      expect(fdb.get(mac(HOST))!.remotes[0]!.address).toBe(ATTACKER);
    });
  });

  it('counts a datagram cut short on receive as truncated, a length error of its VNI', () => {
    const { engine } = makeEngine({ vni: VNI });
    engine.dropTruncated();
    expect(drops(engine.counters)).toEqual({ truncated: 1 });
    expect(engine.counters).toMatchObject({ rxDatagrams: 1, rxLengthErrors: 1, rxErrors: 1, rxPackets: 0 });
  });

  it('carries VLAN-tagged frames unchanged', () => {
    const { engine } = makeEngine({ vni: VNI });
    const { delivered } = decapOne(engine, datagram({ etherType: 0x8100, payloadLength: 4 }), PEER_1);
    expect(delivered.count).toBe(1);
  });
});

describe('decap: drop reasons', () => {
  it.each([0, 8, 21])('drops a %i-byte datagram as tooShort', (length) => {
    const { engine } = makeEngine({ vni: VNI });
    expectRxDrop(engine, datagram({ payloadLength: 0 }).subarray(0, length), 'tooShort');
  });

  it.each([
    ['flags 0x0c', { 0: 0x0c }],
    ['flags 0x88', { 0: 0x88 }],
    ['byte 1', { 1: 0x01 }],
    ['byte 2', { 2: 0x80 }],
    ['byte 3', { 3: 0x10 }],
    ['byte 7', { 7: 0xff }],
  ])('drops reserved bits (%s) with rxFrameErrors and rxErrors', (_, patch) => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    expectRxDrop(engine, datagram({}, patch), 'reservedBits');
    expect(engine.counters.rxFrameErrors).toBe(1);
    expect(engine.counters.rxErrors).toBe(1);
    expect(engine.counters.rxLengthErrors).toBe(0);
    expect(fdb.size).toBe(0);
  });

  it.each([true, false])('drops our own MAC as inner source (learning %s) and learns nothing', (learning) => {
    const ownMac = '02:00:fe:dc:ba:98'; // low half with the top bit set: a negative int32
    const { engine, fdb } = makeEngine({ vni: VNI, ownMac, learning });
    expectRxDrop(engine, datagram({ src: ownMac, dst: BROADCAST }), 'ownMac');
    expect(fdb.size).toBe(0);
  });

  it('delivers a source differing from our own MAC only in the high half', () => {
    const { engine } = makeEngine({ vni: VNI, ownMac: '02:00:fe:dc:ba:98' });
    expect(decapOne(engine, datagram({ src: '06:00:fe:dc:ba:98' }), PEER_1).delivered.count).toBe(1);
  });

  it.each([
    ['multicast', GROUP],
    ['broadcast', BROADCAST],
    ['all-zero', '00:00:00:00:00:00'],
  ])('drops a %s source MAC while learning, as invalidSrcMac', (_, src) => {
    const { engine, fdb } = makeEngine({ vni: VNI, learning: true });
    expectRxDrop(engine, datagram({ src }), 'invalidSrcMac');
    expect(fdb.size).toBe(0);
  });

  it.each([
    ['multicast', GROUP],
    ['all-zero', '00:00:00:00:00:00'],
  ])('delivers a %s source MAC when learning is off', (_, src) => {
    const { engine, fdb } = makeEngine({ vni: VNI, learning: false });
    const { delivered } = decapOne(engine, datagram({ src }), PEER_1);
    expect(delivered.count).toBe(1);
    expect(engine.counters.rxPackets).toBe(1);
    expect(drops(engine.counters)).toEqual({});
    expect(fdb.size).toBe(0);
  });

  it.each(['static', 'permanent'] as const)('drops a source MAC held by a %s entry pointing elsewhere', (state) => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), state, 0);
    expectRxDrop(engine, datagram(), 'staticConflict', PEER_2);
    expect(fdb.get(mac(HOST))!.remotes.map((r) => r.address)).toEqual([PEER_1]);
    // From the address the entry names, the frame is delivered.
    expect(decapOne(engine, datagram(), PEER_1).delivered.count).toBe(1);
  });

  it('does not check static entries when learning is off', () => {
    const { engine, fdb } = makeEngine({ vni: VNI, learning: false });
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'static', 0);
    expect(decapOne(engine, datagram(), PEER_2).delivered.count).toBe(1);
  });

  it.each([
    ['IPv4', 0x0800, 19, 20],
    ['IPv6', 0x86dd, 39, 40],
  ])('drops a truncated inner %s header with rxLengthErrors and rxErrors', (_, etherType, short, enough) => {
    const { engine } = makeEngine({ vni: VNI });
    expectRxDrop(engine, datagram({ etherType, payloadLength: short }), 'truncatedInner');
    expect(engine.counters.rxLengthErrors).toBe(1);
    expect(engine.counters.rxErrors).toBe(1);
    expect(engine.counters.rxFrameErrors).toBe(0);
    const { delivered } = decapOne(engine, datagram({ etherType, payloadLength: enough }), PEER_1);
    expect(delivered.count).toBe(1);
    expect(engine.counters.rxLengthErrors).toBe(1);
  });

  it('does not length-check other ethertypes', () => {
    const { engine } = makeEngine({ vni: VNI });
    expect(decapOne(engine, datagram({ etherType: 0x0806, payloadLength: 0 }), PEER_1).delivered.count).toBe(1);
  });
});

describe('decap: ECN of an outer CE mark (RFC 6040)', () => {
  const CE = 0x03;
  const INNER = 8 + 14; // inner IP header within the datagram
  const v4 = (tos: number): Uint8Array => vxlanDatagram(ipv4Frame({ tos, ttl: 17, id: 0xbeef }, { dst: OWN_MAC, src: HOST }), VNI);
  const v6 = (trafficClass: number): Uint8Array =>
    vxlanDatagram(ipv6Frame({ trafficClass, flowLabel: 0xabcde }, { dst: OWN_MAC, src: HOST }), VNI);

  it.each([0x00, 0xb8, 0xfc].map((tos) => ({ tos: hex(tos), value: tos })))(
    'drops outer CE with a not-ECT inner IPv4 packet (TOS $tos) as ecnNotEct, with rxFrameErrors and rxErrors',
    ({ value }) => {
      const { engine, fdb } = makeEngine({ vni: VNI });
      expectRxDrop(engine, v4(value), 'ecnNotEct', PEER_1, CE);
      const c = engine.counters;
      expect([c.rxErrors, c.rxFrameErrors, c.rxLengthErrors]).toEqual([1, 1, 0]);
      // The source was learned first: learning comes before the ECN check in the kernel.
      expect(fdb.get(mac(HOST))!.remotes[0]!.address).toBe(PEER_1);
    },
  );

  it('drops outer CE with a not-ECT inner IPv6 packet as ecnNotEct', () => {
    const { engine } = makeEngine({ vni: VNI });
    expectRxDrop(engine, v6(0xb8), 'ecnNotEct', PEER_1, CE);
    expect([engine.counters.rxErrors, engine.counters.rxFrameErrors]).toEqual([1, 1]);
  });

  it.each([
    [0x02, 0x03],
    [0x01, 0x03],
    [0xba, 0xbb],
    [0xb9, 0xbb],
    [0xfe, 0xff],
  ].map(([tos, marked]) => ({ tos: hex(tos!), marked: hex(marked!), before: tos!, after: marked! })))(
    'outer CE, ECT inner IPv4 TOS $tos: delivered with TOS $marked and a valid header checksum, nothing else changed',
    ({ before, after }) => {
      const { engine } = makeEngine({ vni: VNI });
      const original = v4(before);
      const { buf, delivered } = decapOne(engine, original, PEER_1, 0, CE);
      expect(delivered.count).toBe(1);
      const ipAt = DATAGRAM_OFFSET + INNER;
      expect(buf[ipAt + 1]).toBe(after);
      expect(storedChecksum(buf, ipAt)).toBe(ipv4HeaderChecksum(buf, ipAt));
      expect(storedChecksum(buf, ipAt)).not.toBe(storedChecksum(original, INNER));
      const expected = Uint8Array.from(original);
      expected[INNER + 1] = after;
      expected.set(buf.subarray(ipAt + 10, ipAt + 12), INNER + 10);
      expect(Array.from(buf.subarray(DATAGRAM_OFFSET, DATAGRAM_OFFSET + original.length))).toEqual(Array.from(expected));
      expect(engine.counters.rxPackets).toBe(1);
      expect(engine.counters.rxErrors).toBe(0);
      expect(drops(engine.counters)).toEqual({});
    },
  );

  it('outer CE, inner IPv4 already CE: delivered byte for byte', () => {
    const { engine } = makeEngine({ vni: VNI });
    const original = v4(0xbb);
    const { buf, delivered } = decapOne(engine, original, PEER_1, 0, CE);
    expect(delivered.count).toBe(1);
    expect(Array.from(buf.subarray(DATAGRAM_OFFSET, DATAGRAM_OFFSET + original.length))).toEqual(Array.from(original));
  });

  it.each([
    [0xba, 0xbb],
    [0x01, 0x03],
  ].map(([tc, marked]) => ({ tc: hex(tc!), marked: hex(marked!), before: tc!, after: marked! })))(
    'outer CE, ECT inner IPv6 traffic class $tc: delivered with traffic class $marked, flow label kept',
    ({ before, after }) => {
      const { engine } = makeEngine({ vni: VNI });
      const original = v6(before);
      const { buf, delivered } = decapOne(engine, original, PEER_1, 0, CE);
      expect(delivered.count).toBe(1);
      const ipAt = DATAGRAM_OFFSET + INNER;
      const expectedHead = [0x60 | (after >> 4), ((after & 0x0f) << 4) | 0x0a, 0xbc, 0xde];
      expect(Array.from(buf.subarray(ipAt, ipAt + 4))).toEqual(expectedHead);
      const expected = Uint8Array.from(original);
      expected.set(expectedHead, INNER);
      expect(Array.from(buf.subarray(DATAGRAM_OFFSET, DATAGRAM_OFFSET + original.length))).toEqual(Array.from(expected));
    },
  );

  it('outer CE with a non-IP inner frame (ARP): delivered unchanged, as the kernel does', () => {
    const { engine } = makeEngine({ vni: VNI });
    const original = datagram({ etherType: 0x0806 });
    const { buf, delivered } = decapOne(engine, original, PEER_1, 0, CE);
    expect(delivered.count).toBe(1);
    expect(Array.from(buf.subarray(DATAGRAM_OFFSET, DATAGRAM_OFFSET + original.length))).toEqual(Array.from(original));
    expect(drops(engine.counters)).toEqual({});
  });

  it.each([0x00, 0x01, 0x02, 0xb8, 0xfe].map((tos) => ({ tos: hex(tos), value: tos })))(
    'outer TOS $tos (not CE): inner packets delivered untouched, not-ECT ones included',
    ({ value }) => {
      const { engine } = makeEngine({ vni: VNI });
      for (const original of [v4(0x00), v4(0x02), v4(0xb9), v6(0x00), v6(0xba)]) {
        const { buf, delivered } = decapOne(engine, original, PEER_1, 0, value);
        expect(delivered.count).toBe(1);
        expect(Array.from(buf.subarray(DATAGRAM_OFFSET, DATAGRAM_OFFSET + original.length))).toEqual(Array.from(original));
      }
      expect(engine.counters.rxPackets).toBe(5);
      expect(drops(engine.counters)).toEqual({});
    },
  );

  it('checks ECN after the truncated-header check: a short inner IPv4 under CE is truncatedInner', () => {
    const { engine } = makeEngine({ vni: VNI });
    expectRxDrop(engine, datagram({ etherType: 0x0800, payloadLength: 19 }), 'truncatedInner', PEER_1, CE);
  });
});

describe('decap: the first fault in kernel order wins', () => {
  const cases: [string, string, () => Uint8Array, string?][] = [
    ['too short with reserved bits', 'tooShort', () => datagram({ payloadLength: 0 }, { 0: 0x0c }).subarray(0, 20)],
    ['reserved bits and our own source MAC', 'reservedBits', () => datagram({ src: OWN_MAC }, { 0: 0x0c })],
    ['our own source MAC, truncated IPv4', 'ownMac', () => datagram({ src: OWN_MAC, etherType: 0x0800, payloadLength: 4 })],
    ['multicast source, truncated IPv6', 'invalidSrcMac', () => datagram({ src: GROUP, etherType: 0x86dd, payloadLength: 4 })],
    ['static conflict, truncated IPv4', 'staticConflict', () => datagram({ etherType: 0x0800, payloadLength: 4 }), PEER_2],
  ];

  it.each(cases)('%s -> %s', (_, reason, build, staticAt) => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    if (staticAt !== undefined) fdb.add(mac(HOST), makeRemote(staticAt, 4789), 'static', 0);
    expectRxDrop(engine, build(), reason, PEER_1);
    const c = engine.counters;
    expect([c.rxErrors, c.rxFrameErrors, c.rxLengthErrors]).toEqual(reason === 'reservedBits' ? [1, 1, 0] : [0, 0, 0]);
  });

  it('learns the source before dropping a truncated inner header, as the kernel does', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    expectRxDrop(engine, datagram({ etherType: 0x0800, payloadLength: 4 }), 'truncatedInner');
    expect(fdb.get(mac(HOST))!.remotes[0]!.address).toBe(PEER_1);
  });
});

describe('encap', () => {
  function withDefault(...addresses: string[]): ReturnType<typeof makeEngine> {
    const setup = makeEngine({ vni: VNI });
    for (const a of addresses) setup.fdb.append(ZERO_MAC, makeRemote(a, 4789), 'permanent', 0);
    return setup;
  }

  it('writes the header into the 8 bytes before the frame and nothing else', () => {
    const { engine } = withDefault(PEER_1);
    const frame = ethernetFrame({ dst: BROADCAST, src: OWN_MAC, payloadLength: 28 });
    const { buf, sent } = encapOne(engine, frame);
    expect(Array.from(buf.subarray(FRAME_OFFSET - 8, FRAME_OFFSET))).toEqual([0x08, 0, 0, 0, 0, 0, VNI, 0]);
    expect(Array.from(buf.subarray(0, FRAME_OFFSET - 8))).toEqual(new Array(FRAME_OFFSET - 8).fill(0xaa));
    expect(Array.from(buf.subarray(FRAME_OFFSET, FRAME_OFFSET + frame.length))).toEqual(Array.from(frame));
    expect(Array.from(buf.subarray(FRAME_OFFSET + frame.length))).toEqual(new Array(16).fill(0xaa));
    expect(sent.count).toBe(1);
    expect(sent.offset(0)).toBe(FRAME_OFFSET - 8);
    expect(sent.length(0)).toBe(frame.length + 8);
  });

  it('writes a 24-bit VNI', () => {
    const { engine, fdb } = makeEngine({ vni: 0xabcdef });
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    const { buf } = encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }));
    expect(Array.from(buf.subarray(FRAME_OFFSET - 8, FRAME_OFFSET))).toEqual([0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0]);
  });

  it.each([
    ['broadcast', BROADCAST],
    ['multicast', GROUP],
    ['unknown unicast', HOST],
  ])('replicates %s to every default remote, all pointing at one datagram', (_, dst) => {
    const { engine } = withDefault(PEER_1, PEER_2, PEER_3);
    const frame = ethernetFrame({ dst, src: OWN_MAC, payloadLength: 50 });
    const { sent } = encapOne(engine, frame);
    expect(sentTo(sent)).toEqual([PEER_1, PEER_2, PEER_3]);
    expect(offsets(sent)).toEqual([FRAME_OFFSET - 8, FRAME_OFFSET - 8, FRAME_OFFSET - 8]);
    expect(lengths(sent)).toEqual([72, 72, 72]);
    expect(engine.counters.txPackets).toBe(3);
    expect(engine.counters.txDropped).toBe(0);
  });

  it('sends known unicast only to its remote', () => {
    const { engine } = withDefault(PEER_1, PEER_2, PEER_3);
    decapOne(engine, datagram({ src: HOST }), PEER_2);
    const { sent } = encapOne(engine, ethernetFrame({ dst: HOST, src: OWN_MAC }));
    expect(sentTo(sent)).toEqual([PEER_2]);
    expect(sent.remotes[0]!.port).toBe(4789);
    expect(engine.counters.txPackets).toBe(1);
  });

  it('sends known unicast even without a default entry', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    fdb.add(mac(HOST), makeRemote('2001:db8::2', 8472), 'permanent', 0);
    const { sent } = encapOne(engine, ethernetFrame({ dst: HOST, src: OWN_MAC }));
    expect(sent.remotes.slice(0, sent.count)).toEqual([expectedRemote('2001:db8::2', 6, 8472)]);
    // What the native sender reads: the 16-byte address and the entry's own port.
    expect(addressOf(sent, 0)).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(sent.field(0, 'port')).toBe(8472);
  });

  it('uses an exact entry for a multicast MAC instead of the default entry', () => {
    const { engine, fdb } = withDefault(PEER_1, PEER_2);
    fdb.append(mac(GROUP), makeRemote(PEER_3, 4789), 'permanent', 0);
    expect(sentTo(encapOne(engine, ethernetFrame({ dst: GROUP, src: OWN_MAC })).sent)).toEqual([PEER_3]);
    // Another group still floods.
    expect(sentTo(encapOne(engine, ethernetFrame({ dst: '01:00:5e:00:00:02', src: OWN_MAC })).sent)).toEqual([PEER_1, PEER_2]);
  });

  it.each([
    ['broadcast', BROADCAST],
    ['unknown unicast', HOST],
  ])('drops %s with no entry and no default entry as noTarget', (_, dst) => {
    const { engine } = makeEngine({ vni: VNI });
    const { sent } = encapOne(engine, ethernetFrame({ dst, src: OWN_MAC }));
    expect(sent.count).toBe(0);
    expect(engine.counters.txDropped).toBe(1);
    expect(drops(engine.counters)).toEqual({ noTarget: 1 });
    expect(engine.counters.txPackets).toBe(0);
    expect(engine.counters.txBytes).toBe(0);
  });

  it('drops a frame shorter than an Ethernet header', () => {
    const { engine } = withDefault(PEER_1);
    const { sent } = encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC, payloadLength: 0 }).subarray(0, 13));
    expect(sent.count).toBe(0);
    expect(engine.counters.txDropped).toBe(1);
  });

  it.each(['0.0.0.0', '::'])('skips an unspecified remote %s: a tx drop, but the frame had targets', (unspecified) => {
    const { engine } = withDefault(PEER_1, unspecified, PEER_3);
    const { sent } = encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }));
    expect(sentTo(sent)).toEqual([PEER_1, PEER_3]);
    expect(engine.counters.txPackets).toBe(2);
    expect(engine.counters.txDropped).toBe(1);
    // noTarget is per frame: this one went somewhere.
    expect(drops(engine.counters)).toEqual({});
    expect(engine.counters.txEncapsulated).toBe(1);
  });

  it.each(['0.0.0.0', '::'])('counts a frame whose only remotes are unspecified (%s) as noTarget, once', (unspecified) => {
    const { engine, fdb } = withDefault(unspecified);
    fdb.append(ZERO_MAC, makeRemote(unspecified, 8472), 'permanent', 0);
    expect(fdb.defaultEntry()!.remotes).toHaveLength(2);
    const { sent } = encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }));
    expect(sent.count).toBe(0);
    expect(engine.counters.txPackets).toBe(0);
    expect(drops(engine.counters)).toEqual({ noTarget: 1 });
    expect(engine.counters.txEncapsulated).toBe(0);
    expect(engine.counters.txFrames).toBe(1);
  });

  it('decides once for a train of segments: every header written, one entry per remote, frames counted', () => {
    const { engine } = withDefault(PEER_1, PEER_2);
    const frames = [100, 100, 40].map((payloadLength) => ethernetFrame({ dst: BROADCAST, src: OWN_MAC, payloadLength }));
    const segment = frames[0]!.length + 8;
    const buf = new Uint8Array(16 + 3 * segment).fill(0xaa);
    frames.forEach((frame, i) => buf.set(frame, 16 + i * segment + 8));
    const length = 2 * segment + frames[2]!.length + 8;
    const sent = datagramBatch(4);
    engine.encap(buf, 16, length, segment, keepAll(sent), frameBatch(1));
    for (let i = 0; i < 3; i++) expect(Array.from(buf.subarray(16 + i * segment, 16 + i * segment + 8))).toEqual([0x08, 0, 0, 0, 0, 0, VNI, 0]);
    expect(sentTo(sent)).toEqual([PEER_1, PEER_2]);
    expect([offsets(sent), lengths(sent), [sent.segment(0), sent.segment(1)]]).toEqual([[16, 16], [length, length], [segment, segment]]);
    const c = engine.counters;
    expect([c.txFrames, c.txEncapsulated, c.txPackets, c.txBytes]).toEqual([3, 3, 6, 2 * (length - 24)]);
  });

  it('counts txPackets per copy across frames', () => {
    const { engine } = withDefault(PEER_1, PEER_2);
    const sent = datagramBatch(8);
    const buf = new Uint8Array(300);
    buf.set(ethernetFrame({ dst: BROADCAST, src: OWN_MAC }), 8);
    buf.set(ethernetFrame({ dst: HOST, src: OWN_MAC }), 108);
    const toTap = frameBatch(2);
    engine.encap(buf, 0, 50, 50, keepAll(sent), toTap);
    engine.encap(buf, 100, 50, 50, keepAll(sent), toTap);
    expect(toTap.count).toBe(0);
    expect(sent.count).toBe(4);
    expect(offsets(sent)).toEqual([0, 0, 100, 100]);
    expect(engine.counters.txPackets).toBe(4);
  });

  it('grows the send batch when a flood has more copies than it holds', () => {
    const peers = Array.from({ length: 9 }, (_, i) => `192.0.2.${i + 10}`);
    const { engine } = withDefault(...peers);
    const { sent } = encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }), 2);
    expect(sentTo(sent)).toEqual(peers);
    expect(offsets(sent)).toEqual(new Array(9).fill(FRAME_OFFSET - 8));
    expect(lengths(sent)).toEqual(new Array(9).fill(50));
    // Entries written before the growth are kept in every array.
    expect(allOuterFields(sent).map((f) => f.dst)).toEqual(peers);
    expect(addressOf(sent, 0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10]);
    expect(addressOf(sent, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 18]);
    const first = allOuterFields(sent)[0]!;
    expect(first).toMatchObject({ dstPort: 4789, ttl: 64, tos: 0, df: 0 });
    expect(allOuterFields(sent)).toEqual(peers.map((dst) => ({ ...first, dst })));
  });
});

describe('counters add up', () => {
  it('frames in = delivered + every rx drop reason, for a mixed batch', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    fdb.add(mac('02:00:00:00:00:5a'), makeRemote(PEER_3, 4789), 'static', 0);
    const batch: [Uint8Array, string, number?][] = [
      [datagram(), PEER_1], // delivered, learned
      [datagram({ src: HOST_B, payloadLength: 100 }), PEER_2], // delivered, learned
      [datagram(), PEER_1], // delivered, refreshed
      [datagram().subarray(0, 15), PEER_1], // tooShort
      [datagram({}, { 7: 1 }), PEER_1], // reservedBits
      [datagram({}, { 0: 0x09 }), PEER_1], // reservedBits
      [datagram({ src: OWN_MAC }), PEER_1], // ownMac
      [datagram({ src: '00:00:00:00:00:00' }), PEER_1], // invalidSrcMac
      [datagram({ src: '02:00:00:00:00:5a' }), PEER_1], // staticConflict
      [datagram({ src: HOST_B, etherType: 0x86dd, payloadLength: 39 }), PEER_2], // truncatedInner
      [datagram({ src: HOST_B, etherType: 0x86dd, payloadLength: 40 }), PEER_2], // delivered
      [vxlanDatagram(ipv4Frame({ tos: 0 }, { dst: OWN_MAC, src: HOST }), VNI), PEER_1, 0x03], // ecnNotEct
      [vxlanDatagram(ipv4Frame({ tos: 0x02 }, { dst: OWN_MAC, src: HOST }), VNI), PEER_1, 0x03], // delivered, CE
    ];
    const buf = new Uint8Array(batch.length * 256);
    // One address array for the batch, as the native receiver fills it: 16 bytes a datagram.
    const sources = new Uint8Array(batch.length * 16);
    const out = frameBatch(batch.length);
    batch.forEach(([bytes, source, tos = 0], i) => {
      buf.set(bytes, i * 256);
      sources.set(ip(source), i * 16);
      engine.decap(buf, i * 256, bytes.length, sources, i * 16, tos, i, out);
    });
    const c = engine.counters;
    expect(out.count).toBe(5);
    expect(c.rxPackets).toBe(5);
    expect(c.rxBytes).toBe(42 + 114 + 42 + 54 + 50);
    expect(drops(c)).toEqual({
      tooShort: 1,
      reservedBits: 2,
      ownMac: 1,
      invalidSrcMac: 1,
      staticConflict: 1,
      truncatedInner: 1,
      ecnNotEct: 1,
    });
    expect(c.rxDropsTotal()).toBe(8);
    expect(out.count + c.rxDropsTotal()).toBe(batch.length);
    expect(c.rxDatagrams).toBe(batch.length);
    expect(c.rxDatagrams).toBe(c.rxPackets + c.rxDropsTotal());
    expect([c.rxErrors, c.rxFrameErrors, c.rxLengthErrors]).toEqual([4, 3, 1]);
    expect(fdb.size).toBe(3);
    expect(c.txPackets + c.txDropped).toBe(0);
  });

  it('snapshot copies scalars and drops', () => {
    const { engine } = makeEngine({ vni: VNI });
    decapOne(engine, datagram({ src: OWN_MAC }), PEER_1);
    decapOne(engine, datagram(), PEER_1);
    const snapshot = engine.counters.snapshot();
    expect(snapshot).toMatchObject({ rxPackets: 1, rxBytes: 42, txPackets: 0 });
    expect((snapshot.drops as Record<string, number>).ownMac).toBe(1);
    engine.counters.drops.ownMac = 5;
    expect((snapshot.drops as Record<string, number>).ownMac).toBe(1);
  });
});

describe('encap: l2miss', () => {
  it('reports a unicast destination with no entry and no default entry, when l2miss is on', () => {
    const { engine, events } = makeEngine({ vni: VNI, l2miss: true });
    const { sent } = encapOne(engine, ethernetFrame({ dst: HOST, src: OWN_MAC }));
    expect(sent.count).toBe(0);
    expect(events.map(eventText)).toEqual([`l2miss ${HOST}`]);
    expect(drops(engine.counters)).toEqual({ noTarget: 1 });
    expect(engine.counters.txDropped).toBe(1);
  });

  it('reports each miss, with the destination MAC in lower case', () => {
    const { engine, events } = makeEngine({ vni: VNI, l2miss: true });
    encapOne(engine, ethernetFrame({ dst: '02:AB:CD:EF:00:01', src: OWN_MAC }));
    encapOne(engine, ethernetFrame({ dst: HOST_B, src: OWN_MAC }));
    encapOne(engine, ethernetFrame({ dst: HOST_B, src: OWN_MAC }));
    expect(events.map(eventText)).toEqual(['l2miss 02:ab:cd:ef:00:01', `l2miss ${HOST_B}`, `l2miss ${HOST_B}`]);
  });

  it('reports nothing when l2miss is off', () => {
    const { engine, events } = makeEngine({ vni: VNI });
    encapOne(engine, ethernetFrame({ dst: HOST, src: OWN_MAC }));
    expect(events).toEqual([]);
    expect(drops(engine.counters)).toEqual({ noTarget: 1 });
  });

  it.each([
    ['broadcast', BROADCAST],
    ['multicast', GROUP],
    ['IPv6 multicast', '33:33:00:00:00:01'],
  ])('reports no %s destination', (_, dst) => {
    const { engine, events } = makeEngine({ vni: VNI, l2miss: true });
    const { sent } = encapOne(engine, ethernetFrame({ dst, src: OWN_MAC }));
    expect(sent.count).toBe(0);
    expect(events).toEqual([]);
    expect(drops(engine.counters)).toEqual({ noTarget: 1 });
  });

  it('reports nothing when the destination has an entry or a default entry exists', () => {
    const { engine, fdb, events } = makeEngine({ vni: VNI, l2miss: true });
    fdb.add(mac(HOST), makeRemote(PEER_1, 4789), 'permanent', 0);
    expect(sentTo(encapOne(engine, ethernetFrame({ dst: HOST, src: OWN_MAC })).sent)).toEqual([PEER_1]);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    expect(sentTo(encapOne(engine, ethernetFrame({ dst: HOST_B, src: OWN_MAC })).sent)).toEqual([PEER_2]);
    // A default entry of unspecified remotes is still an entry: a drop, not a miss.
    fdb.delete(ZERO_MAC);
    fdb.append(ZERO_MAC, makeRemote('0.0.0.0', 4789), 'permanent', 0);
    expect(encapOne(engine, ethernetFrame({ dst: HOST_B, src: OWN_MAC })).sent.count).toBe(0);
    expect(events).toEqual([]);
  });

  it('reports nothing for a frame shorter than an Ethernet header', () => {
    const { engine, events } = makeEngine({ vni: VNI, l2miss: true });
    encapOne(engine, ethernetFrame({ dst: HOST, src: OWN_MAC, payloadLength: 0 }).subarray(0, 12));
    expect(events).toEqual([]);
    expect(drops(engine.counters)).toEqual({ noTarget: 1 });
  });

  it('reports no l3miss for a frame the proxy does not take', () => {
    const { engine, events } = makeEngine({ vni: VNI, l3miss: true });
    encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }));
    expect(events).toEqual([]);
  });
});

describe('encap: per-remote VNI', () => {
  it("lists each copy with its remote's VNI, else the engine's", () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789, 200), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_3, 4789, 0xffffff), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789, 0), 'permanent', 0);
    const { sent } = encapOne(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }));
    expect(sentTo(sent)).toEqual([PEER_1, PEER_2, PEER_3, PEER_1]);
    expect(sentVnis(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }))).toEqual([VNI, 200, 0xffffff, 0]);
  });

  it('uses the VNI of a unicast entry', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    fdb.add(mac(HOST), makeRemote(PEER_2, 4789, 7), 'permanent', 0);
    expect(sentVnis(engine, ethernetFrame({ dst: HOST, src: OWN_MAC }))).toEqual([7]);
  });

  it('keeps each copy\'s VNI across many remotes with VNIs of their own', () => {
    const { engine, fdb } = makeEngine({ vni: VNI });
    const vnis = Array.from({ length: 9 }, (_, i) => 100 + i);
    for (const vni of vnis) fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789, vni), 'permanent', 0);
    expect(sentVnis(engine, ethernetFrame({ dst: BROADCAST, src: OWN_MAC }), 2)).toEqual(vnis);
  });
});

describe('counters add up: transmit', () => {
  it('frames in = encapsulated + noTarget + proxyConsumed, for a mixed batch', () => {
    const { engine, fdb, neighbours } = makeEngine({ vni: VNI, proxy: true });
    fdb.append(ZERO_MAC, makeRemote(PEER_1, 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote('0.0.0.0', 4789), 'permanent', 0);
    fdb.append(ZERO_MAC, makeRemote(PEER_2, 4789), 'permanent', 0);
    fdb.add(mac(HOST), makeRemote(PEER_3, 4789), 'permanent', 0);
    fdb.add(mac(HOST_B), makeRemote('0.0.0.0', 4789), 'permanent', 0);
    neighbours.add('192.0.2.10', mac(HOST));
    const arp = (target: number[]): Uint8Array => {
      const body = Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1, ...mac(OWN_MAC), 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, ...target);
      return ethernetFrame({ dst: BROADCAST, src: OWN_MAC, payload: body });
    };
    const batch: Uint8Array[] = [
      ethernetFrame({ dst: BROADCAST, src: OWN_MAC, etherType: 0x0800, payloadLength: 46 }), // 2 copies, 1 skipped
      ethernetFrame({ dst: HOST, src: OWN_MAC, etherType: 0x0800, payloadLength: 46 }), // 1 copy
      ethernetFrame({ dst: HOST_B, src: OWN_MAC, etherType: 0x0800, payloadLength: 46 }), // noTarget (only 0.0.0.0)
      ethernetFrame({ dst: HOST, src: OWN_MAC, payloadLength: 0 }).subarray(0, 10), // noTarget (too short)
      arp([192, 0, 2, 10]), // answered
      arp([192, 0, 2, 99]), // consumed, no answer
      ipv4Frame({}, { dst: '02:00:00:00:00:0c' }), // unknown unicast: 2 copies, 1 skipped
    ];
    const buf = new Uint8Array(batch.length * 128);
    const sent = datagramBatch(4);
    const toTap = frameBatch(batch.length);
    batch.forEach((frame, i) => {
      buf.set(frame, i * 128 + 8);
      engine.encap(buf, i * 128, frame.length + 8, frame.length + 8, keepAll(sent), toTap);
    });
    const c = engine.counters;
    expect(c.txFrames).toBe(batch.length);
    expect(c.txEncapsulated).toBe(3);
    expect(drops(c)).toEqual({ noTarget: 2, proxyConsumed: 2 });
    expect(c.txEncapsulated + c.drops.noTarget + c.drops.proxyConsumed).toBe(c.txFrames);
    expect(toTap.count).toBe(1);
    expect(c.txPackets).toBe(5);
    expect(sent.count).toBe(5);
    // txDropped: the 0.0.0.0 copies skipped beside real ones (2), and each frame that went nowhere.
    expect(c.txDropped).toBe(2 + 1 + 1);
  });
});
