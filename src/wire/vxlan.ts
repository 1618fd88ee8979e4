// The 8-byte VXLAN header (RFC 7348): word 0 = flags (only the I bit, 0x08, in the top
// byte), word 1 = VNI << 8. Reserved bits are zero on send; on receive the Linux kernel
// drops packets with any reserved bit set, and so do we.
import { ETH_HEADER_LEN } from './ethernet.js';
import { IPV4_MIN_HEADER_LEN } from './ipv4.js';
import { IPV6_HEADER_LEN } from './ipv6.js';
import { WireView } from './view.js';

export const VXLAN_HEADER_LEN = 8;
export const VXLAN_FLAG_I = 0x08;
export const MAX_VNI = 0xffffff;

const UDP_HEADER_LEN = 8;
/**
 * What encapsulation adds to the inner IP packet, per outer IP version: the outer IP and
 * UDP headers, the VXLAN header and the inner Ethernet header. An overlay MTU is the
 * underlay's less this.
 */
export const ENCAP_OVERHEAD = {
  4: IPV4_MIN_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN + ETH_HEADER_LEN,
  6: IPV6_HEADER_LEN + UDP_HEADER_LEN + VXLAN_HEADER_LEN + ETH_HEADER_LEN,
} as const;
/** The smallest MTU of an IP link (IPv4's 68), which the kernel's vxlan also keeps. */
export const MIN_MTU = 68;

export function writeVxlanHeader(buf: Uint8Array, offset: number, vni: number): void {
  buf[offset] = VXLAN_FLAG_I;
  buf[offset + 1] = 0;
  buf[offset + 2] = 0;
  buf[offset + 3] = 0;
  buf[offset + 4] = (vni >>> 16) & 0xff;
  buf[offset + 5] = (vni >>> 8) & 0xff;
  buf[offset + 6] = vni & 0xff;
  buf[offset + 7] = 0;
}

export function readVni(buf: Uint8Array, offset: number): number {
  return (buf[offset + 4]! << 16) | (buf[offset + 5]! << 8) | buf[offset + 6]!;
}

export function hasIFlag(buf: Uint8Array, offset: number): boolean {
  return (buf[offset]! & VXLAN_FLAG_I) !== 0;
}

/** Any bit other than the I flag and the VNI is set. */
export function hasReservedBits(buf: Uint8Array, offset: number): boolean {
  return ((buf[offset]! & ~VXLAN_FLAG_I) | buf[offset + 1]! | buf[offset + 2]! | buf[offset + 3]! | buf[offset + 7]!) !== 0;
}

/** The VXLAN header as a view, over the functions above. */
export class VxlanHeader extends WireView {
  protected checkLength(): boolean {
    return this.length >= VXLAN_HEADER_LEN;
  }

  get flags(): number {
    return this.u8(0);
  }

  get hasIFlag(): boolean {
    return hasIFlag(this.buf, this.start);
  }

  get vni(): number {
    return readVni(this.buf, this.start);
  }

  get hasReservedBits(): boolean {
    return hasReservedBits(this.buf, this.start);
  }

  /** Writes the whole header: the I flag, `vni`, every reserved bit zero. */
  emit(vni: number): void {
    writeVxlanHeader(this.buf, this.start, vni);
  }

  get payloadOffset(): number {
    return this.start + VXLAN_HEADER_LEN;
  }

  get payloadLength(): number {
    return this.length - VXLAN_HEADER_LEN;
  }
}
