// An IPv6 header (RFC 8200) and its fields.
import { IpHeaderView } from './ip.js';
import { onesSum } from './view.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_ADDRESS_LEN = 16;

const VERSION_CLASS_FLOW = 0;
const PAYLOAD_LENGTH = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
const SOURCE = 8;
const DESTINATION = SOURCE + IPV6_ADDRESS_LEN;

export class Ipv6Packet extends IpHeaderView {
  constructor() {
    super(SOURCE, IPV6_ADDRESS_LEN);
  }

  /** The fixed 40 bytes; the version is the reader's to check. */
  protected checkLength(): boolean {
    return this.length >= IPV6_HEADER_LEN;
  }

  get version(): number {
    return this.u8(VERSION_CLASS_FLOW) >> 4;
  }

  /** The traffic class: DSCP and ECN. */
  get trafficClass(): number {
    return ((this.u8(0) & 0x0f) << 4) | (this.u8(1) >> 4);
  }

  set trafficClass(value: number) {
    this.setU8(0, (this.u8(0) & 0xf0) | (value >> 4));
    this.setU8(1, ((value & 0x0f) << 4) | (this.u8(1) & 0x0f));
  }

  get flowLabel(): number {
    return ((this.u8(1) & 0x0f) << 16) | this.u16(2);
  }

  /** Writes version 6, the traffic class and the flow label: the first word. */
  setFirstWord(trafficClass: number, flowLabel: number): void {
    this.setU8(0, 0x60 | (trafficClass >> 4));
    this.setU8(1, ((trafficClass & 0x0f) << 4) | ((flowLabel >> 16) & 0x0f));
    this.setU16(2, flowLabel & 0xffff);
  }

  get payloadLength(): number {
    return this.u16(PAYLOAD_LENGTH);
  }

  set payloadLength(value: number) {
    this.setU16(PAYLOAD_LENGTH, value);
  }

  get nextHeader(): number {
    return this.u8(NEXT_HEADER);
  }

  set nextHeader(value: number) {
    this.setU8(NEXT_HEADER, value);
  }

  get hopLimit(): number {
    return this.u8(HOP_LIMIT);
  }

  set hopLimit(value: number) {
    this.setU8(HOP_LIMIT, value);
  }

  /** The source is :: (duplicate address detection). */
  get sourceIsUnspecified(): boolean {
    return this.zero(SOURCE, IPV6_ADDRESS_LEN);
  }

  /** The destination is ::1. */
  get destinationIsLoopback(): boolean {
    return this.zero(DESTINATION, 15) && this.u8(DESTINATION + 15) === 1;
  }

  get payloadOffset(): number {
    return this.start + IPV6_HEADER_LEN;
  }

  /** The unfolded sum of the pseudo-header (RFC 8200 8.1) for an upper-layer message. */
  pseudoHeaderSum(upperLength: number, nextHeader: number): number {
    return onesSum(this.buf, this.start + SOURCE, this.start + IPV6_HEADER_LEN) + upperLength + nextHeader;
  }
}
