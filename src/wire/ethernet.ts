// The Ethernet header: its offsets and types, and a view of it.
import { WireView } from './view.js';

export const ETH_HEADER_LEN = 14;
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

export function etherType(buf: Uint8Array, frameOffset: number): number {
  return (buf[frameOffset + ETH_TYPE]! << 8) | buf[frameOffset + ETH_TYPE + 1]!;
}

/** An Ethernet II header (no tag) and what follows it. */
export class EthernetFrame extends WireView {
  protected checkLength(): boolean {
    return this.length >= ETH_HEADER_LEN;
  }

  /** Offset of the destination MAC in buf. */
  get destinationOffset(): number {
    return this.start + ETH_DST;
  }

  /** Writes a 6-byte MAC. */
  setDestination(mac: Uint8Array): void {
    this.put(ETH_DST, mac);
  }

  /** Offset of the source MAC in buf. */
  get sourceOffset(): number {
    return this.start + ETH_SRC;
  }

  /** Writes a 6-byte MAC. */
  setSource(mac: Uint8Array): void {
    this.put(ETH_SRC, mac);
  }

  get etherType(): number {
    return this.u16(ETH_TYPE);
  }

  set etherType(value: number) {
    this.setU16(ETH_TYPE, value);
  }

  get payloadOffset(): number {
    return this.start + ETH_HEADER_LEN;
  }

  get payloadLength(): number {
    return this.length - ETH_HEADER_LEN;
  }
}
