// Reusable descriptor lists that carry a batch between the engine and the I/O layer.
// They are allocated once and reset per batch; entries point into shared buffers.
import type { Remote } from './remote.js';
import { ADDRESS_LEN } from '../vxlan/address.js';

/**
 * Datagrams to send: bytes [offset, offset+length) of the region, each to one remote,
 * with the outer header fields the engine chose for it. The typed arrays are what the
 * native sender reads; `remotes` serves transports that want the address as text.
 */
export class SendList {
  offsets!: Int32Array;
  lengths!: Int32Array;
  /** Destination addresses, 16 bytes each (IPv4 mapped). */
  dsts!: Uint8Array;
  /** UDP source port << 16 | destination port. */
  ports!: Int32Array;
  /** The VNI each copy carries (a remote may have its own). */
  vnis!: Int32Array;
  /** Outer TTL | TOS << 8 | DF << 16. */
  outer!: Int32Array;
  remotes: Remote[] = [];
  count = 0;

  constructor(capacity: number) {
    this.allocate(capacity);
  }

  push(offset: number, length: number, remote: Remote, vni: number, srcPort: number, ttl: number, tos: number, df: number): void {
    if (this.count === this.offsets.length) this.allocate(Math.max(8, this.count * 2));
    const i = this.count++;
    this.offsets[i] = offset;
    this.lengths[i] = length;
    this.dsts.set(remote.bytes, i * ADDRESS_LEN);
    this.ports[i] = (srcPort << 16) | remote.port;
    this.vnis[i] = vni;
    this.outer[i] = ttl | (tos << 8) | (df << 16);
    this.remotes[i] = remote;
  }

  reset(): void {
    this.count = 0;
  }

  // Grows (keeping what is listed) only when a batch floods to more peers than planned.
  private allocate(capacity: number): void {
    const grow = <T extends Int32Array | Uint8Array>(old: T | undefined, fresh: T): T => {
      if (old !== undefined) fresh.set(old);
      return fresh;
    };
    this.offsets = grow(this.offsets, new Int32Array(capacity));
    this.lengths = grow(this.lengths, new Int32Array(capacity));
    this.dsts = grow(this.dsts, new Uint8Array(capacity * ADDRESS_LEN));
    this.ports = grow(this.ports, new Int32Array(capacity));
    this.vnis = grow(this.vnis, new Int32Array(capacity));
    this.outer = grow(this.outer, new Int32Array(capacity));
    this.remotes.length = capacity;
  }
}

/** Frames to hand to the TAP: bytes [offset, offset+length) of the region. */
export class DeliverList {
  readonly offsets: Int32Array;
  readonly lengths: Int32Array;
  count = 0;

  constructor(capacity: number) {
    this.offsets = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
  }

  push(offset: number, length: number): void {
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.count++;
  }

  reset(): void {
    this.count = 0;
  }
}
