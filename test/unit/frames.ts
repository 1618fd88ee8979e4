// Shared builders for the unit tests: MACs, inner Ethernet frames, VXLAN datagrams, and an
// engine wired to a fresh FDB, plus one-call wrappers around encap and decap.
import { DeliverList, SendList } from '../../src/engine/batch.js';
import { Engine, type FdbEvent } from '../../src/engine/engine.js';
import { Fdb } from '../../src/engine/fdb.js';
import { VXLAN_HEADER_LEN, writeVxlanHeader } from '../../src/vxlan/header.js';
import { parseMac } from '../../src/vxlan/mac.js';

export const ETHERTYPE_ARP = 0x0806;
export const BROADCAST = 'ff:ff:ff:ff:ff:ff';
export const OWN_MAC = '02:00:00:00:00:01';

export function mac(text: string): Uint8Array {
  const bytes = parseMac(text);
  if (bytes === undefined) throw new Error(`test bug: bad MAC ${text}`);
  return bytes;
}

export interface FrameSpec {
  dst: string;
  src: string;
  etherType?: number;
  /** Bytes after the 14-byte Ethernet header; filled with 0, 1, 2, ... */
  payloadLength?: number;
}

/** An Ethernet frame: dst, src, ethertype (ARP unless told), then a counting payload. */
export function ethernetFrame({ dst, src, etherType = ETHERTYPE_ARP, payloadLength = 28 }: FrameSpec): Uint8Array {
  const frame = new Uint8Array(14 + payloadLength);
  frame.set(mac(dst), 0);
  frame.set(mac(src), 6);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
  for (let i = 0; i < payloadLength; i++) frame[14 + i] = i & 0xff;
  return frame;
}

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
}

export function makeEngine(setup: EngineSetup = {}): { engine: Engine; fdb: Fdb; events: FdbEvent[] } {
  const fdb = new Fdb({ learnedPort: setup.learnedPort ?? 4789, ageingMs: setup.ageingMs ?? 300_000 });
  const events: FdbEvent[] = [];
  const engine = new Engine(
    { vni: setup.vni ?? 42, ownMac: mac(setup.ownMac ?? OWN_MAC), learning: setup.learning ?? true },
    fdb,
    (event) => events.push(event),
  );
  return { engine, fdb, events };
}

/** Where decapOne puts the datagram inside its buffer: a non-zero offset on purpose. */
export const DATAGRAM_OFFSET = 32;

/** Decapsulates one datagram placed at DATAGRAM_OFFSET of a larger buffer. */
export function decapOne(
  engine: Engine,
  datagram: Uint8Array,
  source: string,
  now = 0,
): { buf: Uint8Array; delivered: DeliverList } {
  const buf = new Uint8Array(DATAGRAM_OFFSET + datagram.length + 16).fill(0xee);
  buf.set(datagram, DATAGRAM_OFFSET);
  const delivered = new DeliverList(4);
  engine.decap(buf, DATAGRAM_OFFSET, datagram.length, source, now, delivered);
  return { buf, delivered };
}

/** Where encapOne puts the frame: more than the 8 bytes of headroom encap needs. */
export const FRAME_OFFSET = 24;

/** Encapsulates one frame placed at FRAME_OFFSET; bytes around it are filled with 0xaa. */
export function encapOne(engine: Engine, frame: Uint8Array, capacity = 4): { buf: Uint8Array; sent: SendList } {
  const buf = new Uint8Array(FRAME_OFFSET + frame.length + 16).fill(0xaa);
  buf.set(frame, FRAME_OFFSET);
  const sent = new SendList(capacity);
  engine.encap(buf, FRAME_OFFSET, frame.length, sent);
  return { buf, sent };
}

/** The addresses of the first `sent.count` entries of a SendList, in order. */
export function sentTo(sent: SendList): string[] {
  return sent.remotes.slice(0, sent.count).map((r) => r.address);
}
