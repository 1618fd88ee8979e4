// The zero-copy pool: one region allocated once and shared with the addon, cut into
// fixed slots. Each slot starts with 8 bytes of headroom so that a frame read at
// slot+8 leaves for UDP from slot+0 with its VXLAN header written in place.
import { VXLAN_HEADER_LEN } from '../vxlan/header.js';

export class Pool {
  readonly region: ArrayBuffer;
  readonly bytes: Uint8Array;

  constructor(
    readonly slotSize: number,
    readonly slotCount: number,
  ) {
    this.region = new ArrayBuffer(slotSize * slotCount);
    this.bytes = new Uint8Array(this.region);
  }

  slotOffset(slot: number): number {
    return slot * this.slotSize;
  }

  /** Where a frame goes in a slot: after the headroom. */
  frameOffset(slot: number): number {
    return slot * this.slotSize + VXLAN_HEADER_LEN;
  }

  /** The largest frame a slot holds. */
  get frameCapacity(): number {
    return this.slotSize - VXLAN_HEADER_LEN;
  }
}
