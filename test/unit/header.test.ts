import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ZERO_MAC } from '../../src/engine/fdb.js';
import { makeRemote } from '../../src/engine/remote.js';
import {
  hasIFlag,
  hasReservedBits,
  MAX_VNI,
  readVni,
  VXLAN_HEADER_LEN,
  writeVxlanHeader,
} from '../../src/wire/vxlan.js';
import { formatMac } from '../../src/wire/mac.js';
import { encapOne, eventText, FRAME_OFFSET, frameBatch, ip, makeEngine, outerFields } from './frames.js';
import { ipv4At, LINKTYPE_ETHERNET, readPcap, u16, udpInIpv4, type Pcap } from './pcap.js';

/** A capture from test/fixtures (see its README), found relative to this file. */
function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))));
}

function header(bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

describe('writeVxlanHeader', () => {
  it.each([
    [0, [0x08, 0, 0, 0, 0x00, 0x00, 0x00, 0]],
    [42, [0x08, 0, 0, 0, 0x00, 0x00, 0x2a, 0]],
    [0x123456, [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]],
    [MAX_VNI, [0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0]],
  ])('vni %i -> %j', (vni, expected) => {
    const buf = new Uint8Array(8).fill(0xff);
    writeVxlanHeader(buf, 0, vni);
    expect(Array.from(buf)).toEqual(expected);
  });

  it('writes exactly 8 bytes at the offset and nothing around them', () => {
    const buf = new Uint8Array(20).fill(0xaa);
    writeVxlanHeader(buf, 6, 0x0a0b0c);
    expect(Array.from(buf)).toEqual([
      ...new Array(6).fill(0xaa),
      0x08, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0,
      ...new Array(6).fill(0xaa),
    ]);
  });

  it('overwrites stale reserved bits left in the buffer', () => {
    const buf = new Uint8Array(8).fill(0xff);
    writeVxlanHeader(buf, 0, 7);
    expect(hasReservedBits(buf, 0)).toBe(false);
    expect(hasIFlag(buf, 0)).toBe(true);
    expect(readVni(buf, 0)).toBe(7);
  });

  it('has the constants of RFC 7348', () => {
    expect(VXLAN_HEADER_LEN).toBe(8);
    expect(MAX_VNI).toBe(16_777_215);
  });
});

describe('readVni', () => {
  it.each([0, 1, 42, 100, 0x800000, MAX_VNI])('reads back vni %i written at an offset', (vni) => {
    const buf = new Uint8Array(16);
    writeVxlanHeader(buf, 5, vni);
    expect(readVni(buf, 5)).toBe(vni);
  });

  it('reads bytes 4-6 only, ignoring flags, reserved bytes and byte 7', () => {
    expect(readVni(header([0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0xff]), 0)).toBe(0x010203);
  });

  it('is never negative for the top VNI bit', () => {
    expect(readVni(header([0x08, 0, 0, 0, 0x80, 0, 0, 0]), 0)).toBe(0x800000);
  });
});

describe('hasIFlag', () => {
  it('is true for 0x08', () => {
    expect(hasIFlag(header([0x08, 0, 0, 0, 0, 0, 0, 0]), 0)).toBe(true);
  });

  it('is false for a zero flag byte and for every other flag bit set', () => {
    expect(hasIFlag(header([0x00, 0, 0, 0, 0, 0, 0, 0]), 0)).toBe(false);
    expect(hasIFlag(header([0xf7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 0)).toBe(false);
  });

  it('reads the flag byte at the given offset', () => {
    const buf = header([0x00, 0x08, 0, 0, 0, 0, 0, 0, 0]);
    expect(hasIFlag(buf, 0)).toBe(false);
    expect(hasIFlag(buf, 1)).toBe(true);
  });
});

describe('hasReservedBits', () => {
  const clean = (): Uint8Array => header([0x08, 0, 0, 0, 0xff, 0xff, 0xff, 0]);

  it('is false for a correct header, whatever the VNI', () => {
    expect(hasReservedBits(clean(), 0)).toBe(false);
    expect(hasReservedBits(header([0x08, 0, 0, 0, 0, 0, 0, 0]), 0)).toBe(false);
  });

  it('is false for a header with the I flag clear and nothing else (that is a different fault)', () => {
    expect(hasReservedBits(header([0x00, 0, 0, 0, 0x12, 0x34, 0x56, 0]), 0)).toBe(false);
  });

  const flagBits = [0x01, 0x02, 0x04, 0x10, 0x20, 0x40, 0x80];
  it.each(flagBits.map((bit) => [bit.toString(16).padStart(2, '0'), bit] as const))('is true for flag bit 0x%s besides the I flag', (_, bit) => {
    const buf = clean();
    buf[0] = 0x08 | bit;
    expect(hasReservedBits(buf, 0)).toBe(true);
  });

  const reservedPositions = [1, 2, 3, 7].flatMap((byte) =>
    [0, 1, 2, 3, 4, 5, 6, 7].map((bit) => [byte, bit, 1 << bit] as const),
  );
  it.each(reservedPositions)('is true for byte %i bit %i set', (byte, _, value) => {
    const buf = clean();
    buf[byte] = value;
    expect(hasReservedBits(buf, 0)).toBe(true);
  });

  it("is true for scapy's default VXLAN() header (flags 0x0c)", () => {
    expect(hasReservedBits(header([0x0c, 0, 0, 0, 0, 0, 0x2a, 0]), 0)).toBe(true);
  });

  it('checks the header at the given offset', () => {
    const buf = new Uint8Array(12);
    buf[3] = 0xff; // before the header
    writeVxlanHeader(buf, 4, 1);
    expect(hasReservedBits(buf, 4)).toBe(false);
    buf[11] = 1; // byte 7 of the header
    expect(hasReservedBits(buf, 4)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// The reference captures (tcpdump's test suite): real kernel VTEPs 192.168.203.1 and
// 192.168.202.1, VNI 100, hosts 192.168.203.3 and 192.168.203.5 behind them.

const VTEP_A = '192.168.203.1';
const VTEP_B = '192.168.202.1';
const HOST_3_MAC = '00:16:3e:37:f6:04'; // 192.168.203.3, behind VTEP_A
const HOST_5_MAC = '00:30:88:01:00:02'; // 192.168.203.5, behind VTEP_B

interface ExpectedPacket {
  outerSrc: string;
  outerSrcPort: number;
  innerDst: string;
  innerSrc: string;
  inner: string;
}

const request = (seq: number): ExpectedPacket => ({
  outerSrc: VTEP_A,
  outerSrcPort: 45149,
  innerDst: HOST_5_MAC,
  innerSrc: HOST_3_MAC,
  inner: `icmp echo-request 192.168.203.3 > 192.168.203.5 id 0x050c seq ${seq}`,
});
const reply = (seq: number): ExpectedPacket => ({
  outerSrc: VTEP_B,
  outerSrcPort: 32894,
  innerDst: HOST_3_MAC,
  innerSrc: HOST_5_MAC,
  inner: `icmp echo-reply 192.168.203.5 > 192.168.203.3 id 0x050c seq ${seq}`,
});

// As `tshark -r FILE` decodes them.
const EXPECTED: ExpectedPacket[] = [
  request(1),
  {
    outerSrc: VTEP_B,
    outerSrcPort: 42710,
    innerDst: 'ff:ff:ff:ff:ff:ff',
    innerSrc: HOST_5_MAC,
    inner: `arp request sender ${HOST_5_MAC} 192.168.203.5 target 192.168.203.3`,
  },
  {
    outerSrc: VTEP_A,
    outerSrcPort: 52102,
    innerDst: HOST_5_MAC,
    innerSrc: HOST_3_MAC,
    inner: `arp reply sender ${HOST_3_MAC} 192.168.203.3 target 192.168.203.5`,
  },
  reply(1),
  request(2),
  reply(2),
  request(3),
  reply(3),
  request(4),
  reply(4),
];

/** A one-line description of an inner ARP or ICMP echo frame, to compare against. */
function describeInner(frame: Uint8Array): string {
  const type = u16(frame, 12);
  if (type === 0x0806) {
    const op = u16(frame, 14 + 6);
    const kind = op === 1 ? 'request' : op === 2 ? 'reply' : `op ${op}`;
    return `arp ${kind} sender ${formatMac(frame, 14 + 8)} ${ipv4At(frame, 14 + 14)} target ${ipv4At(frame, 14 + 24)}`;
  }
  if (type === 0x0800 && frame[14 + 9] === 1) {
    const icmp = 14 + (frame[14]! & 0x0f) * 4;
    const kind = frame[icmp] === 8 ? 'echo-request' : frame[icmp] === 0 ? 'echo-reply' : `type ${frame[icmp]}`;
    const id = u16(frame, icmp + 4).toString(16).padStart(4, '0');
    return `icmp ${kind} ${ipv4At(frame, 14 + 12)} > ${ipv4At(frame, 14 + 16)} id 0x${id} seq ${u16(frame, icmp + 6)}`;
  }
  return `ethertype 0x${type.toString(16)}`;
}

/** The same capture with every header field in the other byte order. */
function swapByteOrder(bytes: Uint8Array, pcap: Pcap): Uint8Array {
  const out = Uint8Array.from(bytes);
  const reverse = (at: number, size: number): void => {
    out.set(bytes.subarray(at, at + size).reverse(), at);
  };
  for (const [at, size] of [[0, 4], [4, 2], [6, 2], [8, 4], [12, 4], [16, 4], [20, 4]] as const) reverse(at, size);
  for (const record of pcap.records) {
    const recordHeader = record.data.byteOffset - bytes.byteOffset - 16;
    for (let field = 0; field < 4; field++) reverse(recordHeader + field * 4, 4);
  }
  return out;
}

describe('the pcap reader', () => {
  const bytes = fixture('tcpdump-vxlan-4789.pcap');

  it('reads the little-endian reference capture', () => {
    const pcap = readPcap(bytes);
    expect(pcap.littleEndian).toBe(true);
    expect([pcap.versionMajor, pcap.versionMinor]).toEqual([2, 4]);
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    expect(pcap.records.map((r) => r.data.length)).toEqual([148, 92, 92, 148, 148, 148, 148, 148, 148, 148]);
    expect(pcap.records.every((r) => r.originalLength === r.data.length)).toBe(true);
  });

  it('reads the same capture written big-endian to the same records', () => {
    const little = readPcap(bytes);
    const big = readPcap(swapByteOrder(bytes, little));
    expect(big.littleEndian).toBe(false);
    expect(big.linkType).toBe(little.linkType);
    expect(big.snapLength).toBe(little.snapLength);
    expect(big.records.map((r) => [r.seconds, r.fraction, r.originalLength, Array.from(r.data)])).toEqual(
      little.records.map((r) => [r.seconds, r.fraction, r.originalLength, Array.from(r.data)]),
    );
  });

  it('rejects a file that is not classic pcap', () => {
    const pcapng = new Uint8Array(32);
    pcapng.set([0x0a, 0x0d, 0x0d, 0x0a]);
    expect(() => readPcap(pcapng)).toThrow(/bad magic/);
    expect(() => readPcap(bytes.subarray(0, bytes.length - 1))).toThrow(/cut short/);
  });
});

describe.each([
  { file: 'tcpdump-vxlan-4789.pcap', port: 4789 },
  { file: 'tcpdump-vxlan-8472.pcap', port: 8472 },
])('capture $file', ({ file, port }) => {
  const pcap = readPcap(fixture(file));
  const packets = pcap.records.map((record) => ({ data: record.data, udp: udpInIpv4(record.data) }));

  it('holds 10 Ethernet packets', () => {
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    expect(packets).toHaveLength(10);
  });

  it.each(EXPECTED.map((expected, i) => [i + 1, expected] as const))('packet %i: outer header and VXLAN header', (n, expected) => {
    const { data, udp } = packets[n - 1]!;
    expect(udp.srcIp).toBe(expected.outerSrc);
    expect(udp.dstIp).toBe(expected.outerSrc === VTEP_A ? VTEP_B : VTEP_A);
    expect(udp.srcPort).toBe(expected.outerSrcPort);
    expect(udp.dstPort).toBe(port);
    expect(hasIFlag(data, udp.payloadOffset)).toBe(true);
    expect(hasReservedBits(data, udp.payloadOffset)).toBe(false);
    expect(readVni(data, udp.payloadOffset)).toBe(100);
    expect(Array.from(data.subarray(udp.payloadOffset, udp.payloadOffset + 8))).toEqual([8, 0, 0, 0, 0, 0, 100, 0]);
  });

  it.each(EXPECTED.map((expected, i) => [i + 1, expected] as const))('packet %i: inner frame', (n, expected) => {
    const { data, udp } = packets[n - 1]!;
    const inner = data.subarray(udp.payloadOffset + 8, udp.payloadOffset + udp.payloadLength);
    expect(formatMac(inner, 0)).toBe(expected.innerDst);
    expect(formatMac(inner, 6)).toBe(expected.innerSrc);
    expect(describeInner(inner)).toBe(expected.inner);
  });

  it('decapsulates all 10 packets through the engine, byte for byte, and learns both hosts', () => {
    const { engine, fdb, events } = makeEngine({ vni: 100, learning: true, learnedPort: port });
    const delivered = frameBatch(packets.length);
    packets.forEach(({ data, udp }, i) => {
      const before = delivered.count;
      engine.decap(data, udp.payloadOffset, udp.payloadLength, ip(udp.srcIp), 0, 0, 1000 + i, delivered);
      expect(delivered.count).toBe(before + 1);
      expect(delivered.offset(before)).toBe(udp.payloadOffset + 8);
      expect(delivered.length(before)).toBe(udp.payloadLength - 8);
      const frame = data.subarray(delivered.offset(before), delivered.offset(before) + delivered.length(before));
      expect(Array.from(frame)).toEqual(Array.from(data.subarray(udp.payloadOffset + 8, udp.payloadOffset + udp.payloadLength)));
    });

    const innerBytes = packets.reduce((sum, p) => sum + p.udp.payloadLength - 8, 0);
    expect(engine.counters.rxPackets).toBe(10);
    expect(engine.counters.rxBytes).toBe(innerBytes);
    expect(engine.counters.rxDropsTotal()).toBe(0);

    expect(fdb.size).toBe(2);
    const where = (text: string): unknown => {
      const entry = fdb.entries().find((e) => formatMac(e.mac) === text);
      return entry && { state: entry.state, remotes: entry.remotes.map((r) => `${r.address}:${r.port}`) };
    };
    expect(where(HOST_3_MAC)).toEqual({ state: 'dynamic', remotes: [`${VTEP_A}:${port}`] });
    expect(where(HOST_5_MAC)).toEqual({ state: 'dynamic', remotes: [`${VTEP_B}:${port}`] });
    // Learned once each (packets 1 and 2), refreshed afterwards, never moved.
    expect(events.map(eventText)).toEqual([`learned ${HOST_3_MAC} ${VTEP_A}`, `learned ${HOST_5_MAC} ${VTEP_B}`]);
    // Packet 9 is the last from HOST_3, packet 10 the last from HOST_5.
    expect(fdb.entries().map((e) => [formatMac(e.mac), e.updated]).sort()).toEqual(
      [[HOST_3_MAC, 1008], [HOST_5_MAC, 1009]].sort(),
    );
  });

  it('encapsulates each captured inner frame to the same VXLAN bytes the kernel sent', () => {
    const { engine, fdb } = makeEngine({ vni: 100, learning: false });
    fdb.append(ZERO_MAC, makeRemote('192.0.2.1', port), 'permanent', 0);
    for (const { data, udp } of packets) {
      const captured = data.subarray(udp.payloadOffset, udp.payloadOffset + udp.payloadLength);
      const { buf, sent } = encapOne(engine, captured.subarray(8));
      expect(sent.count).toBe(1);
      expect(sent.offset(0)).toBe(FRAME_OFFSET - 8);
      expect(Array.from(buf.subarray(sent.offset(0), sent.offset(0) + sent.length(0)))).toEqual(Array.from(captured));
    }
  });

  it('gives the packets the kernel sent from one source port one source port, and the others others', () => {
    // The kernel's hash is not ours, so the ports differ; which packets share one must not.
    const { engine, fdb } = makeEngine({ vni: 100, learning: false });
    fdb.append(ZERO_MAC, makeRemote('192.0.2.1', port), 'permanent', 0);
    const ours = packets.map(({ data, udp }) => {
      const { sent } = encapOne(engine, data.subarray(udp.payloadOffset + 8, udp.payloadOffset + udp.payloadLength));
      const fields = outerFields(sent, 0);
      expect(fields.srcPort).toBeGreaterThanOrEqual(32768);
      expect(fields.srcPort).toBeLessThanOrEqual(60999);
      expect(fields.dstPort).toBe(port);
      return fields.srcPort;
    });
    const groups = (ports: number[]): number[][] => {
      const byPort = new Map<number, number[]>();
      ports.forEach((p, i) => byPort.set(p, [...(byPort.get(p) ?? []), i + 1]));
      return [...byPort.values()];
    };
    const kernel = packets.map((p) => p.udp.srcPort);
    expect(groups(kernel)).toEqual([[1, 5, 7, 9], [2], [3], [4, 6, 8, 10]]);
    expect(groups(ours)).toEqual(groups(kernel));
  });
});
