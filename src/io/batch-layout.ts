// The batch layout shared with the addon. It is defined once, in
// native/src/batch_layout.h; the addon exports the word index of every field and this
// module reads them, so the two sides cannot drift. A batch is an Int32Array with
// `stride` words per entry.
import { loadNative } from './native.js';

/** VXLAN datagrams (header onward) in a packet region; an entry may be a train of equal-sized ones. */
export interface DatagramLayout {
  readonly stride: number;
  /** The first datagram's first byte in the region. */
  readonly offset: number;
  /** Bytes of the whole train. */
  readonly length: number;
  /** Bytes per datagram (the last may be shorter); equals length for a single datagram. */
  readonly segment: number;
  /** The remote's UDP port: destination on send, source on receive. */
  readonly port: number;
  /** Send: our UDP source port, one of the underlay's bound ports. */
  readonly srcPort: number;
  readonly ttl: number;
  /** Outer TOS / traffic class, ECN bits included. */
  readonly tos: number;
  /** Send: 1 sets DF (IPv4 underlay). */
  readonly df: number;
  /** Receive: 1 when the datagram was sent to a multicast group. */
  readonly toGroup: number;
  /** Send: the outer IPv6 flow label (20 bits). */
  readonly flowLabel: number;
  /** Four words: the remote's 16-byte address (IPv4 mapped). */
  readonly address: number;
}

/** Ethernet frames to write to the TAP; the writer negates the length of a refused one. */
export interface FrameLayout {
  readonly stride: number;
  readonly offset: number;
  readonly length: number;
}

function checked<T extends object>(name: string, fields: Record<string, unknown>, keys: readonly (keyof T & string)[]): T {
  for (const key of keys) {
    if (typeof fields[key] !== 'number') throw new Error(`the addon's ${name} layout has no ${key}: rebuild it (npm run build)`);
  }
  return Object.freeze({ ...fields }) as T;
}

const exported = loadNative().layout;

export const DATAGRAM = checked<DatagramLayout>('datagram', exported.datagram, [
  'stride', 'offset', 'length', 'segment', 'port', 'srcPort', 'ttl', 'tos', 'df', 'toGroup', 'flowLabel', 'address',
]);

export const FRAME = checked<FrameLayout>('frame', exported.frame, ['stride', 'offset', 'length']);
