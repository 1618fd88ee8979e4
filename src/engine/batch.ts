// Reusable descriptor lists that carry a batch between the engine and the I/O layer.
// They are allocated once and reset per batch; entries point into shared buffers.
import type { Remote } from './remote.js';

/** Datagrams to send: bytes [offset, offset+length) of the region, to one remote each. */
export class SendList {
  offsets: Int32Array;
  lengths: Int32Array;
  remotes: Remote[];
  count = 0;

  constructor(capacity: number) {
    this.offsets = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.remotes = new Array<Remote>(capacity);
  }

  push(offset: number, length: number, remote: Remote): void {
    if (this.count === this.offsets.length) this.grow();
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.remotes[this.count] = remote;
    this.count++;
  }

  reset(): void {
    this.count = 0;
  }

  // Only when a batch floods to more peers than planned for; rare and amortised.
  private grow(): void {
    const capacity = this.offsets.length * 2;
    const offsets = new Int32Array(capacity);
    offsets.set(this.offsets);
    const lengths = new Int32Array(capacity);
    lengths.set(this.lengths);
    this.offsets = offsets;
    this.lengths = lengths;
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
