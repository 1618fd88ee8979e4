// The batches that carry packets between the edges (TAP, underlay) and the engine. Each
// is an Int32Array of `stride` words per entry, in a layout the addon defines
// (native/src/batch_layout.h) and src/io/batch-layout.ts hands in, so this module and the
// engine load without the addon. Allocated once and reset per batch; entries point into
// the packet region, never copy it.
import type { Remote } from './remote.js';

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
  /** Send: 1 sets DF (IPv4 underlay); over IPv6, the datagram is refused rather than fragmented. */
  readonly df: number;
  /** Receive: 1 when the datagram was sent to a multicast group. */
  readonly toGroup: number;
  /** Send: the outer IPv6 flow label (20 bits). */
  readonly flowLabel: number;
  /** Send, written by the underlay: the path MTU to the remote when the entry was refused as too big for it (else 0). */
  readonly pathMtu: number;
  /** Four words: the remote's 16-byte address (IPv4 mapped). */
  readonly address: number;
}

/** Ethernet frames to write to the TAP; the writer negates the length of a refused one. */
export interface FrameLayout {
  readonly stride: number;
  readonly offset: number;
  readonly length: number;
  /** Written by the writer: what it found of the frame's inner TCP/UDP checksum (INNER_CHECKSUM). */
  readonly checksum: number;
}

/**
 * What a TAP writer found of a frame's inner TCP/UDP checksum, as the addon defines it
 * (native/src/tap/inner_checksum.h; src/io/batch-layout.ts checks the two agree):
 * verified; unfinished and completed (a same-host kernel VTEP leaves it for the
 * "hardware"); bad (delivered as it is, for the receiving stack to drop); none (not
 * TCP/UDP, a fragment, no checksum: not checked).
 */
export const INNER_CHECKSUM = Object.freeze({ none: 0, verified: 1, completed: 2, bad: 3 });
export type InnerChecksumVerdicts = typeof INNER_CHECKSUM;

export interface BatchLayout {
  readonly datagram: DatagramLayout;
  readonly frame: FrameLayout;
}

/**
 * VXLAN datagrams: an entry is bytes [offset, offset+length) of the region, one datagram
 * or a train of `segment`-sized ones (the last may be shorter). What the TAP reader lists
 * (header room still blank), what the engine lists to send, what the underlay received.
 */
export class DatagramBatch {
  words!: Int32Array<ArrayBuffer>;
  /** The same memory as bytes: addresses are 16 bytes at word `address`. */
  bytes!: Uint8Array<ArrayBuffer>;
  /** Send: the remote of each entry, for transports that want the address as text. */
  remotes: Remote[] = [];
  count = 0;

  constructor(
    capacity: number,
    private readonly d: DatagramLayout,
  ) {
    this.allocate(capacity);
  }

  get capacity(): number {
    return this.words.length / this.d.stride;
  }

  offset(i: number): number {
    return this.words[i * this.d.stride + this.d.offset]!;
  }

  length(i: number): number {
    return this.words[i * this.d.stride + this.d.length]!;
  }

  segment(i: number): number {
    return this.words[i * this.d.stride + this.d.segment]!;
  }

  tos(i: number): number {
    return this.words[i * this.d.stride + this.d.tos]!;
  }

  /** Receive: whether entry i was sent to a multicast group. */
  toGroup(i: number): boolean {
    return this.words[i * this.d.stride + this.d.toGroup] === 1;
  }

  /** Any other word of entry i (the outer fields the engine chose: port, srcPort, ttl, df; the pathMtu the underlay wrote). */
  field(i: number, name: Exclude<keyof DatagramLayout, 'stride' | 'address'>): number {
    return this.words[i * this.d.stride + this.d[name]]!;
  }

  /** Where entry i's 16-byte address starts in `bytes`. */
  addressOffset(i: number): number {
    return (i * this.d.stride + this.d.address) * 4;
  }

  /** Lists a train to send to `remote` with the outer header fields chosen for it. */
  push(offset: number, length: number, segment: number, remote: Remote, srcPort: number, ttl: number, tos: number, df: number, flowLabel = 0): void {
    if (this.count === this.capacity) this.allocate(Math.max(8, this.count * 2));
    const i = this.count++;
    const d = this.d;
    const w = this.words;
    const at = i * d.stride;
    w[at + d.offset] = offset;
    w[at + d.length] = length;
    w[at + d.segment] = segment;
    w[at + d.port] = remote.port;
    w[at + d.srcPort] = srcPort;
    w[at + d.ttl] = ttl;
    w[at + d.tos] = tos;
    w[at + d.df] = df;
    w[at + d.flowLabel] = flowLabel;
    w[at + d.pathMtu] = 0;
    this.bytes.set(remote.bytes, (at + d.address) * 4);
    this.remotes[i] = remote;
  }

  /** Lists a received train (its source address is written at addressOffset). */
  pushReceived(offset: number, length: number, segment: number, port: number, tos: number): void {
    const d = this.d;
    const at = this.count++ * d.stride;
    const w = this.words;
    w[at + d.offset] = offset;
    w[at + d.length] = length;
    w[at + d.segment] = segment;
    w[at + d.port] = port;
    w[at + d.tos] = tos;
    w[at + d.toGroup] = 0;
  }

  reset(): void {
    this.count = 0;
  }

  // Grows (keeping what is listed) only when a batch floods to more peers than planned.
  private allocate(capacity: number): void {
    const words = new Int32Array(capacity * this.d.stride);
    if (this.words !== undefined) words.set(this.words);
    this.words = words;
    this.bytes = new Uint8Array(words.buffer);
    this.remotes.length = capacity;
  }
}

/** Frames to hand to the TAP: bytes [offset, offset+length) of the region. */
export class FrameBatch {
  readonly words: Int32Array;
  count = 0;

  constructor(
    readonly capacity: number,
    private readonly f: FrameLayout,
  ) {
    this.words = new Int32Array(capacity * f.stride);
  }

  offset(i: number): number {
    return this.words[i * this.f.stride + this.f.offset]!;
  }

  /** Negative once the TAP refused the frame. */
  length(i: number): number {
    return this.words[i * this.f.stride + this.f.length]!;
  }

  /** Once written: what the writer found of the frame's inner checksum (INNER_CHECKSUM). */
  checksum(i: number): number {
    return this.words[i * this.f.stride + this.f.checksum]!;
  }

  /** Lists a frame; false when the batch is full. */
  push(offset: number, length: number): boolean {
    if (this.count === this.capacity) return false;
    const at = this.count++ * this.f.stride;
    this.words[at + this.f.offset] = offset;
    this.words[at + this.f.length] = length;
    this.words[at + this.f.checksum] = INNER_CHECKSUM.none;
    return true;
  }

  reset(): void {
    this.count = 0;
  }
}
