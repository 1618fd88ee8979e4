// The batches that carry packets between the edges (TAP, underlay) and the engine, in
// the layout of src/io/batch-layout.ts. Allocated once and reset per batch; entries point
// into the packet region, never copy it.
import type { Remote } from './remote.js';
import { DATAGRAM as D, FRAME as F, type DatagramLayout } from '../io/batch-layout.js';

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
  /**
   * Send: the owner of the batch sends what is listed and empties it. The engine calls
   * it before rewriting VXLAN headers that listed entries still point at (a copy for a
   * remote with a VNI of its own).
   */
  flush: () => void = () => {};

  constructor(capacity: number) {
    this.allocate(capacity);
  }

  get capacity(): number {
    return this.words.length / D.stride;
  }

  offset(i: number): number {
    return this.words[i * D.stride + D.offset]!;
  }

  length(i: number): number {
    return this.words[i * D.stride + D.length]!;
  }

  segment(i: number): number {
    return this.words[i * D.stride + D.segment]!;
  }

  tos(i: number): number {
    return this.words[i * D.stride + D.tos]!;
  }

  /** Receive: whether entry i was sent to a multicast group. */
  toGroup(i: number): boolean {
    return this.words[i * D.stride + D.toGroup] === 1;
  }

  /** Any other word of entry i (the outer fields the engine chose: port, srcPort, ttl, df). */
  field(i: number, name: Exclude<keyof DatagramLayout, 'stride' | 'address'>): number {
    return this.words[i * D.stride + D[name]]!;
  }

  /** Where entry i's 16-byte address starts in `bytes`. */
  addressOffset(i: number): number {
    return (i * D.stride + D.address) * 4;
  }

  /** Lists a train to send to `remote` with the outer header fields chosen for it. */
  push(offset: number, length: number, segment: number, remote: Remote, srcPort: number, ttl: number, tos: number, df: number, flowLabel = 0): void {
    if (this.count === this.capacity) this.allocate(Math.max(8, this.count * 2));
    const i = this.count++;
    const w = this.words;
    const at = i * D.stride;
    w[at + D.offset] = offset;
    w[at + D.length] = length;
    w[at + D.segment] = segment;
    w[at + D.port] = remote.port;
    w[at + D.srcPort] = srcPort;
    w[at + D.ttl] = ttl;
    w[at + D.tos] = tos;
    w[at + D.df] = df;
    w[at + D.flowLabel] = flowLabel;
    this.bytes.set(remote.bytes, (at + D.address) * 4);
    this.remotes[i] = remote;
  }

  /** Lists a received train (its source address is written at addressOffset). */
  pushReceived(offset: number, length: number, segment: number, port: number, tos: number): void {
    const at = this.count++ * D.stride;
    const w = this.words;
    w[at + D.offset] = offset;
    w[at + D.length] = length;
    w[at + D.segment] = segment;
    w[at + D.port] = port;
    w[at + D.tos] = tos;
    w[at + D.toGroup] = 0;
  }

  reset(): void {
    this.count = 0;
  }

  // Grows (keeping what is listed) only when a batch floods to more peers than planned.
  private allocate(capacity: number): void {
    const words = new Int32Array(capacity * D.stride);
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

  constructor(readonly capacity: number) {
    this.words = new Int32Array(capacity * F.stride);
  }

  offset(i: number): number {
    return this.words[i * F.stride + F.offset]!;
  }

  /** Negative once the TAP refused the frame. */
  length(i: number): number {
    return this.words[i * F.stride + F.length]!;
  }

  /** Lists a frame; false when the batch is full. */
  push(offset: number, length: number): boolean {
    if (this.count === this.capacity) return false;
    const at = this.count++ * F.stride;
    this.words[at + F.offset] = offset;
    this.words[at + F.length] = length;
    return true;
  }

  reset(): void {
    this.count = 0;
  }
}
