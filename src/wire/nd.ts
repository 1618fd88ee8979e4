// ICMPv6 Neighbour Solicitation and Advertisement (RFC 4861 4.3, 4.4) and their link-layer
// address options.
import type { Ipv6Packet } from './ipv6.js';
import { IcmpHeader } from './icmp.js';

export { PROTO_ICMPV6 } from './icmp.js';
export const ND_SOLICIT = 135;
export const ND_ADVERT = 136;
/** Type, code, checksum, flags and the target address. */
export const ND_MESSAGE_LEN = 24;
export const ND_OPT_SOURCE_LLADDR = 1;
export const ND_OPT_TARGET_LLADDR = 2;
/** A link-layer address option for Ethernet: type, length (in 8-byte units), the MAC. */
export const ND_LLADDR_OPTION_LEN = 8;

const FLAGS = 4;
const TARGET = 8;

const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

export class NeighbourMessage extends IcmpHeader {
  protected checkLength(): boolean {
    return this.length >= ND_MESSAGE_LEN;
  }

  get router(): boolean {
    return (this.u8(FLAGS) & FLAG_ROUTER) !== 0;
  }

  get solicited(): boolean {
    return (this.u8(FLAGS) & FLAG_SOLICITED) !== 0;
  }

  get override(): boolean {
    return (this.u8(FLAGS) & FLAG_OVERRIDE) !== 0;
  }

  /** Writes the flags word (the reserved bits zero). */
  setFlags(router: boolean, solicited: boolean, override: boolean): void {
    this.setU16(FLAGS, 0);
    this.setU16(FLAGS + 2, 0);
    this.setU8(FLAGS, (router ? FLAG_ROUTER : 0) | (solicited ? FLAG_SOLICITED : 0) | (override ? FLAG_OVERRIDE : 0));
  }

  /** Offset in buf of the 16-byte target address. */
  get targetOffset(): number {
    return this.start + TARGET;
  }

  setTarget(address: Uint8Array): void {
    this.put(TARGET, address);
  }

  /** The target is an IPv4-mapped address (::ffff:a.b.c.d). */
  get targetIsMapped(): boolean {
    return this.zero(TARGET, 10) && this.u8(TARGET + 10) === 0xff && this.u8(TARGET + 11) === 0xff;
  }

  get targetIsMulticast(): boolean {
    return this.u8(TARGET) === 0xff;
  }

  /**
   * Offset in buf of the MAC in the first Ethernet link-layer address option of `kind`,
   * or -1: none, or the options run past the message or hold a zero length.
   */
  linkAddressOffset(kind: number): number {
    const end = this.start + this.length;
    for (let opt = this.start + ND_MESSAGE_LEN; opt + ND_LLADDR_OPTION_LEN <= end; ) {
      const size = this.buf[opt + 1]! * 8;
      if (size === 0) return -1;
      if (this.buf[opt] === kind && size === ND_LLADDR_OPTION_LEN) return opt + 2;
      opt += size;
    }
    return -1;
  }

  /** Writes an Ethernet link-layer address option of `kind` right after the target. */
  setLinkAddressOption(kind: number, mac: Uint8Array): void {
    this.setU8(ND_MESSAGE_LEN, kind);
    this.setU8(ND_MESSAGE_LEN + 1, ND_LLADDR_OPTION_LEN / 8);
    this.put(ND_MESSAGE_LEN + 2, mac);
  }

  /** The ICMPv6 checksum of the `length` wrapped bytes under the header `ip`. */
  computeChecksum(ip: Ipv6Packet): number {
    return this.computeChecksumV6(ip);
  }

  fillChecksum(ip: Ipv6Packet): void {
    this.checksum = this.computeChecksum(ip);
  }
}
