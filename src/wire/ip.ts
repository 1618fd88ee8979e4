// What IPv4 and IPv6 headers share: a source address followed by the destination.
import { WireView } from './view.js';

export abstract class IpHeaderView extends WireView {
  /** `sourceAt`: the source address's offset in the header; `addressLen`: 4 or 16. */
  constructor(
    private readonly sourceAt: number,
    private readonly addressLen: number,
  ) {
    super();
  }

  /** Offset in buf of the source address. */
  get sourceOffset(): number {
    return this.start + this.sourceAt;
  }

  /** Offset in buf of the destination address, right after the source. */
  get destinationOffset(): number {
    return this.start + this.sourceAt + this.addressLen;
  }

  setSource(address: Uint8Array): void {
    this.put(this.sourceAt, address);
  }

  setDestination(address: Uint8Array): void {
    this.put(this.sourceAt + this.addressLen, address);
  }
}
