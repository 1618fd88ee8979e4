// An ARP packet (RFC 826) and its fields; the addresses' offsets follow the hardware and
// protocol lengths it carries, 6 and 4 for Ethernet and IPv4.
import { WireView } from './view.js';

export const ARP_HEADER_LEN = 8;
/** An ARP packet for Ethernet and IPv4 addresses. */
export const ARP_ETHERNET_IPV4_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_HARDWARE_ETHERNET = 1;
/** IEEE 802 networks, which Linux answers as Ethernet. */
export const ARP_HARDWARE_IEEE802 = 6;

const HTYPE = 0;
const PTYPE = 2;
const HLEN = 4;
const PLEN = 5;
const OPER = 6;
const SHA = 8;

export class ArpPacket extends WireView {
  /** The fixed part and both address pairs, as long as the packet says they are. */
  protected checkLength(): boolean {
    return this.length >= ARP_HEADER_LEN && this.length >= ARP_HEADER_LEN + 2 * (this.hardwareLength + this.protocolLength);
  }

  get hardwareType(): number {
    return this.u16(HTYPE);
  }

  set hardwareType(value: number) {
    this.setU16(HTYPE, value);
  }

  get protocolType(): number {
    return this.u16(PTYPE);
  }

  set protocolType(value: number) {
    this.setU16(PTYPE, value);
  }

  get hardwareLength(): number {
    return this.u8(HLEN);
  }

  set hardwareLength(value: number) {
    this.setU8(HLEN, value);
  }

  get protocolLength(): number {
    return this.u8(PLEN);
  }

  set protocolLength(value: number) {
    this.setU8(PLEN, value);
  }

  get operation(): number {
    return this.u16(OPER);
  }

  set operation(value: number) {
    this.setU16(OPER, value);
  }

  /** Offsets in buf of the four addresses. */
  get senderHardwareOffset(): number {
    return this.start + SHA;
  }

  get senderProtocolOffset(): number {
    return this.senderHardwareOffset + this.hardwareLength;
  }

  get targetHardwareOffset(): number {
    return this.senderProtocolOffset + this.protocolLength;
  }

  get targetProtocolOffset(): number {
    return this.targetHardwareOffset + this.hardwareLength;
  }

  setSenderHardware(address: Uint8Array): void {
    this.buf.set(address, this.senderHardwareOffset);
  }

  setSenderProtocol(address: Uint8Array): void {
    this.buf.set(address, this.senderProtocolOffset);
  }

  setTargetHardware(address: Uint8Array): void {
    this.buf.set(address, this.targetHardwareOffset);
  }

  setTargetProtocol(address: Uint8Array): void {
    this.buf.set(address, this.targetProtocolOffset);
  }

  /** The header length this packet occupies. */
  get packetLength(): number {
    return ARP_HEADER_LEN + 2 * (this.hardwareLength + this.protocolLength);
  }
}
