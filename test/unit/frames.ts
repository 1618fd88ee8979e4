// Shared builders for the unit tests: MACs, inner Ethernet frames (with IPv4/IPv6 packets
// when a test needs the inner header), VXLAN datagrams, and an engine wired to a fresh
// FDB and neighbour table, plus one-call wrappers around encap and decap and a reader
// for a send batch's outer header fields.
import { DatagramBatch, FrameBatch } from '../../src/engine/batch.js';
import { DEFAULT_OUTER_HEADER, Engine, type DatagramSink, type EngineEvent, type OuterHeaderConfig } from '../../src/engine/engine.js';
import { PACKET_LAYOUT } from '../../src/io/batch-layout.js';
import { Fdb } from '../../src/engine/fdb.js';
import { NeighTable } from '../../src/engine/neigh.js';
import { ADDRESS_LEN, addressBytes, formatAddress } from '../../src/wire/address.js';
import { VXLAN_HEADER_LEN, readVni, writeVxlanHeader } from '../../src/wire/vxlan.js';
import { formatMac, parseMac } from '../../src/wire/mac.js';

/** A datagram batch in the addon's layout. */
export const datagramBatch = (capacity: number): DatagramBatch => new DatagramBatch(capacity, PACKET_LAYOUT.batches.datagram);
/** A frame batch in the addon's layout. */
export const frameBatch = (capacity: number): FrameBatch => new FrameBatch(capacity, PACKET_LAYOUT.batches.frame);
/** Where encap lists into `listed`; what it asks to send stays listed, for the test to read. */
export const keepAll = (listed: DatagramBatch): DatagramSink => ({ listed, send: () => {} });

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const BROADCAST = 'ff:ff:ff:ff:ff:ff';
export const OWN_MAC = '02:00:00:00:00:01';
/** Hosts behind remote VTEPs, and the remote VTEPs (one per test range). */
export const HOST = '02:00:00:00:00:0a';
export const HOST_B = '02:00:00:00:00:0b';
export const PEER_1 = '192.0.2.1';
export const PEER_2 = '198.51.100.2';
export const PEER_3 = '203.0.113.3';

export function mac(text: string): Uint8Array {
  const bytes = parseMac(text);
  if (bytes === undefined) throw new Error(`test bug: bad MAC ${text}`);
  return bytes;
}

/** The 16-byte (IPv4-mapped) form of an address: what decap and Fdb.learn take as the source. */
export const ip = (text: string): Uint8Array => addressBytes(text);

export interface FrameSpec {
  dst: string;
  src: string;
  etherType?: number;
  /** Bytes after the Ethernet header (and tag); filled with 0, 1, 2, ... */
  payloadLength?: number;
  /** The bytes after the Ethernet header (and tag), instead of the counting payload. */
  payload?: Uint8Array;
  /** An 802.1Q tag with this VLAN id between the source MAC and `etherType`. */
  vlan?: number;
}

/** An Ethernet frame: dst, src, [802.1Q tag,] ethertype (ARP unless told), then the payload. */
export function ethernetFrame({ dst, src, etherType = ETHERTYPE_ARP, payloadLength = 28, payload, vlan }: FrameSpec): Uint8Array {
  const body = payload ?? Uint8Array.from({ length: payloadLength }, (_, i) => i & 0xff);
  const header = vlan === undefined ? 14 : 18;
  const frame = new Uint8Array(header + body.length);
  frame.set(mac(dst), 0);
  frame.set(mac(src), 6);
  let at = 12;
  if (vlan !== undefined) {
    frame.set([ETHERTYPE_VLAN >> 8, ETHERTYPE_VLAN & 0xff, vlan >> 8, vlan & 0xff], at);
    at += 4;
  }
  frame[at] = etherType >> 8;
  frame[at + 1] = etherType & 0xff;
  frame.set(body, header);
  return frame;
}

/** The IPv4 header checksum of the header at buf[offset], computed from scratch. */
export function ipv4HeaderChecksum(buf: Uint8Array, offset: number): number {
  const length = (buf[offset]! & 0x0f) * 4;
  let sum = 0;
  for (let i = 0; i < length; i += 2) {
    if (i === 10) continue; // the checksum field itself
    sum += (buf[offset + i]! << 8) | buf[offset + i + 1]!;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The checksum stored in the IPv4 header at buf[offset]. */
export const storedChecksum = (buf: Uint8Array, offset: number): number => (buf[offset + 10]! << 8) | buf[offset + 11]!;

export interface Ipv4Spec {
  src?: string;
  dst?: string;
  /** The whole TOS byte: DSCP << 2 | ECN. */
  tos?: number;
  ttl?: number;
  df?: boolean;
  mf?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
  id?: number;
  protocol?: number;
  /** Words of IP options (IHL = 5 + optionWords). */
  optionWords?: number;
  srcPort?: number;
  dstPort?: number;
  /** Bytes after the IP header, ports included; filled with 0x5a beyond the ports. */
  l4Length?: number;
}

/** An IPv4 packet with a correct header checksum; for TCP/UDP the ports open the payload. */
export function ipv4Packet(spec: Ipv4Spec = {}): Uint8Array {
  const {
    src = '192.0.2.10',
    dst = '198.51.100.20',
    tos = 0,
    ttl = 64,
    df = false,
    mf = false,
    fragmentOffset = 0,
    id = 0x1234,
    protocol = PROTO_UDP,
    optionWords = 0,
    srcPort = 40000,
    dstPort = 5201,
    l4Length = 16,
  } = spec;
  const headerLength = 20 + optionWords * 4;
  const packet = new Uint8Array(headerLength + l4Length).fill(0x5a);
  const total = packet.length;
  const flags = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | fragmentOffset;
  packet.set([0x40 | (headerLength / 4), tos, total >> 8, total & 0xff, id >> 8, id & 0xff, flags >> 8, flags & 0xff, ttl, protocol, 0, 0]);
  packet.set(src.split('.').map(Number), 12);
  packet.set(dst.split('.').map(Number), 16);
  packet.fill(0x01, 20, headerLength); // NOP options
  if (l4Length >= 4) packet.set([srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff], headerLength);
  const check = ipv4HeaderChecksum(packet, 0);
  packet[10] = check >> 8;
  packet[11] = check & 0xff;
  return packet;
}

export interface Ipv6Spec {
  src?: string;
  dst?: string;
  trafficClass?: number;
  flowLabel?: number;
  hopLimit?: number;
  nextHeader?: number;
  srcPort?: number;
  dstPort?: number;
  l4Length?: number;
}

/** An IPv6 packet; for TCP/UDP the ports open the payload. */
export function ipv6Packet(spec: Ipv6Spec = {}): Uint8Array {
  const {
    src = '2001:db8::10',
    dst = '2001:db8::20',
    trafficClass = 0,
    flowLabel = 0,
    hopLimit = 64,
    nextHeader = PROTO_UDP,
    srcPort = 40000,
    dstPort = 5201,
    l4Length = 16,
  } = spec;
  const packet = new Uint8Array(40 + l4Length).fill(0x5a);
  packet.set([
    0x60 | (trafficClass >> 4),
    ((trafficClass & 0x0f) << 4) | ((flowLabel >> 16) & 0x0f),
    (flowLabel >> 8) & 0xff,
    flowLabel & 0xff,
    l4Length >> 8,
    l4Length & 0xff,
    nextHeader,
    hopLimit,
  ]);
  packet.set(addressBytes(src), 8);
  packet.set(addressBytes(dst), 24);
  if (l4Length >= 4) packet.set([srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff], 40);
  return packet;
}

/** Inner MACs of the frames below, for tests that do not care. */
export const INNER_DST = '02:00:00:00:00:0a';

export const ipv4Frame = (spec: Ipv4Spec = {}, frame: Partial<FrameSpec> = {}): Uint8Array =>
  ethernetFrame({ dst: INNER_DST, src: OWN_MAC, etherType: ETHERTYPE_IPV4, payload: ipv4Packet(spec), ...frame });

export const ipv6Frame = (spec: Ipv6Spec = {}, frame: Partial<FrameSpec> = {}): Uint8Array =>
  ethernetFrame({ dst: INNER_DST, src: OWN_MAC, etherType: ETHERTYPE_IPV6, payload: ipv6Packet(spec), ...frame });

/**
 * A VXLAN datagram (header onward) carrying `frame`. `headerPatch` overwrites header bytes
 * after the correct header is written, e.g. { 0: 0x00 } clears the I flag.
 */
export function vxlanDatagram(frame: Uint8Array, vni: number, headerPatch: Record<number, number> = {}): Uint8Array {
  const datagram = new Uint8Array(VXLAN_HEADER_LEN + frame.length);
  writeVxlanHeader(datagram, 0, vni);
  for (const [index, value] of Object.entries(headerPatch)) datagram[Number(index)] = value;
  datagram.set(frame, VXLAN_HEADER_LEN);
  return datagram;
}

export interface EngineSetup {
  vni?: number;
  learning?: boolean;
  ownMac?: string;
  ageingMs?: number;
  learnedPort?: number;
  /** Overrides of DEFAULT_OUTER_HEADER. */
  outer?: Partial<OuterHeaderConfig>;
  /** The FDB's max-address (0 or absent: no limit). */
  maxAddress?: number;
  proxy?: boolean;
  l2miss?: boolean;
  l3miss?: boolean;
  acceptFrom?: 'any' | 'peers';
}

export interface EngineUnderTest {
  engine: Engine;
  fdb: Fdb;
  neighbours: NeighTable;
  /** Every event the engine reported, in order. */
  events: EngineEvent[];
}

export function makeEngine(setup: EngineSetup = {}): EngineUnderTest {
  const fdb = new Fdb({ learnedPort: setup.learnedPort ?? 4789, ageingMs: setup.ageingMs ?? 300_000, maxAddress: setup.maxAddress });
  const neighbours = new NeighTable();
  const events: EngineEvent[] = [];
  const engine = new Engine(
    {
      vni: setup.vni ?? 42,
      ownMac: mac(setup.ownMac ?? OWN_MAC),
      learning: setup.learning ?? true,
      outer: { ...DEFAULT_OUTER_HEADER, ...setup.outer },
      proxy: setup.proxy,
      l2miss: setup.l2miss,
      l3miss: setup.l3miss,
      acceptFrom: setup.acceptFrom,
    },
    fdb,
    neighbours,
    (event) => events.push(event),
  );
  return { engine, fdb, neighbours, events };
}

/** An event as one line: "learned <mac> <first remote>", "l2miss <mac>", "l3miss <ip>". */
export function eventText(event: EngineEvent): string {
  switch (event.kind) {
    case 'learned':
    case 'moved':
      return `${event.kind} ${formatMac(event.entry.mac)} ${event.entry.remotes[0]?.address}`;
    case 'l2miss':
      return `l2miss ${event.mac}`;
    case 'l3miss':
      return `l3miss ${event.ip}`;
  }
}

/** Where decapOne puts the datagram inside its buffer: a non-zero offset on purpose. */
export const DATAGRAM_OFFSET = 32;
/** Where decapOne puts the source address inside its address array: non-zero on purpose. */
export const SOURCE_OFFSET = 2 * ADDRESS_LEN;

/**
 * Decapsulates one datagram placed at DATAGRAM_OFFSET of a larger buffer, sent from
 * `source` (placed at SOURCE_OFFSET of an address array) with outer TOS `tos`.
 */
export function decapOne(
  engine: Engine,
  datagram: Uint8Array,
  source: string,
  now = 0,
  tos = 0,
): { buf: Uint8Array; delivered: FrameBatch } {
  const buf = new Uint8Array(DATAGRAM_OFFSET + datagram.length + 16).fill(0xee);
  buf.set(datagram, DATAGRAM_OFFSET);
  const sources = new Uint8Array(SOURCE_OFFSET + 2 * ADDRESS_LEN).fill(0xee);
  addressBytes(source, sources, SOURCE_OFFSET);
  const delivered = frameBatch(4);
  engine.decap(buf, DATAGRAM_OFFSET, datagram.length, sources, SOURCE_OFFSET, tos, now, delivered);
  return { buf, delivered };
}

/** Where encapOne puts the frame: more than the 8 bytes of headroom encap needs. */
export const FRAME_OFFSET = 24;

/**
 * Encapsulates one frame placed at FRAME_OFFSET; bytes around it are filled with 0xaa.
 * `toTap` lists what the proxy answered instead of sending.
 */
export function encapOne(engine: Engine, frame: Uint8Array, capacity = 4): { buf: Uint8Array; sent: DatagramBatch; toTap: FrameBatch } {
  const buf = new Uint8Array(FRAME_OFFSET + frame.length + 16).fill(0xaa);
  buf.set(frame, FRAME_OFFSET);
  const sent = datagramBatch(capacity);
  const toTap = frameBatch(4);
  const datagram = frame.length + 8;
  engine.encap(buf, FRAME_OFFSET - 8, datagram, datagram, keepAll(sent), toTap);
  return { buf, sent, toTap };
}

/**
 * The VNI each copy of one frame carries on the wire: read from its header when it is
 * sent, at a flush the engine asks for or at the end, as the transmit side does.
 */
export function sentVnis(engine: Engine, frame: Uint8Array, capacity = 4): number[] {
  const buf = new Uint8Array(FRAME_OFFSET + frame.length).fill(0xaa);
  buf.set(frame, FRAME_OFFSET);
  const sent = datagramBatch(capacity);
  const vnis: number[] = [];
  const sink: DatagramSink = {
    listed: sent,
    send: () => {
      for (let i = 0; i < sent.count; i++) vnis.push(readVni(buf, sent.offset(i)));
      sent.reset();
    },
  };
  const datagram = frame.length + 8;
  engine.encap(buf, FRAME_OFFSET - 8, datagram, datagram, sink, frameBatch(1));
  sink.send();
  return vnis;
}

/** The offsets of the listed entries of a batch, in order. */
export function offsets(batch: DatagramBatch | FrameBatch): number[] {
  return Array.from({ length: batch.count }, (_, i) => batch.offset(i));
}

/** The lengths of the listed entries of a batch, in order. */
export function lengths(batch: DatagramBatch | FrameBatch): number[] {
  return Array.from({ length: batch.count }, (_, i) => batch.length(i));
}

/** The 16 address bytes of entry i. */
export function addressOf(batch: DatagramBatch, i: number): number[] {
  return Array.from(batch.bytes.subarray(batch.addressOffset(i), batch.addressOffset(i) + ADDRESS_LEN));
}

/** The addresses of the listed entries of a batch, in order. */
export function sentTo(sent: DatagramBatch): string[] {
  return sent.remotes.slice(0, sent.count).map((r) => r.address);
}

export interface OuterFields {
  /** From `dsts`, as text. */
  dst: string;
  srcPort: number;
  dstPort: number;
  ttl: number;
  tos: number;
  df: number;
}

/** The outer header fields of entry i, as the native sender reads them. */
export function outerFields(sent: DatagramBatch, i: number): OuterFields {
  return {
    dst: formatAddress(sent.bytes, sent.addressOffset(i)),
    srcPort: sent.field(i, 'srcPort'),
    dstPort: sent.field(i, 'port'),
    ttl: sent.field(i, 'ttl'),
    tos: sent.tos(i),
    df: sent.field(i, 'df'),
  };
}

/** outerFields for every listed entry. */
export function allOuterFields(sent: DatagramBatch): OuterFields[] {
  return Array.from({ length: sent.count }, (_, i) => outerFields(sent, i));
}

/** A Remote as an FDB entry should hold it, every field spelled out. */
export function expectedRemote(address: string, family: 4 | 6, port: number, multicast = false): object {
  return { address, bytes: addressBytes(address), family, port, multicast };
}

/** A byte in hex for test names: 0xb8. */
export const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`;

/** Table rows of byte values, each led by the values in hex ("0xb8 -> 0xba") for the test name. */
export const hexRows = (rows: number[][]): [string, ...number[]][] => rows.map((r) => [r.map(hex).join(' -> '), ...r]);
