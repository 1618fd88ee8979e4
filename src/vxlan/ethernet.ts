// Offsets and types of the inner Ethernet frame.

export const ETH_HEADER_LEN = 14;
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;

export const IPV4_MIN_HEADER_LEN = 20;
export const IPV6_HEADER_LEN = 40;

export function etherType(buf: Uint8Array, frameOffset: number): number {
  return (buf[frameOffset + ETH_TYPE]! << 8) | buf[frameOffset + ETH_TYPE + 1]!;
}

/**
 * The frame says it carries IPv4 or IPv6 but is too short to hold that IP header:
 * the kernel counts these as rx_length_errors and drops them.
 */
export function hasTruncatedIpHeader(buf: Uint8Array, frameOffset: number, frameLen: number): boolean {
  const payload = frameLen - ETH_HEADER_LEN;
  switch (etherType(buf, frameOffset)) {
    case ETHERTYPE_IPV4:
      return payload < IPV4_MIN_HEADER_LEN;
    case ETHERTYPE_IPV6:
      return payload < IPV6_HEADER_LEN;
    default:
      return false;
  }
}
