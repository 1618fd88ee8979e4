// What the underlay transports (native, dgram) are opened with, and the one-line
// explanation of a bind that failed. The port they implement is in src/datapath/ports.ts.

export interface TransportOptions {
  family: 4 | 6;
  port: number;
  local?: string;
  /** Underlay device: sockets are bound to it, the group is joined on it. */
  device?: string;
  /** Multicast groups to join for flooded traffic (one per VNI that uses one). */
  groups: string[];
  /**
   * The source port range: the native underlay binds sockets on ports spread over it. As
   * the kernel's srcport, the max is exclusive (unless it equals the min: that one port).
   */
  srcPortMin: number;
  srcPortMax: number;
  /** UDP GSO on send and GRO on receive (--offload on or no-coalesce). */
  offload: boolean;
  /**
   * Outer IPv4 IDs with DF clear: 'unique' (as the kernel's vxlan: such trains leave
   * datagram by datagram) or 'overlap' (one GSO send per train, whose IDs the kernel
   * numbers from one base, so consecutive trains' IDs overlap). Default overlap.
   */
  outerIds?: 'unique' | 'overlap';
  /** IPv4: send outer UDP checksums (default true, as the kernel's udpcsum). */
  udpChecksum?: boolean;
  /** IPv6: send without outer UDP checksum (udp6zerocsumtx). */
  udp6ZeroChecksumTx?: boolean;
  /** IPv6: accept datagrams without UDP checksum (udp6zerocsumrx). */
  udp6ZeroChecksumRx?: boolean;
  /** Busy polling after each batch, in µs (0: sleep at once). */
  busyPollUs: number;
  /**
   * One of several data-path workers' sockets on the port (SO_REUSEPORT): `claim` for the
   * first (the port must be free), `groups` for the one that takes the groups' datagrams.
   */
  shared?: { claim: boolean; groups: boolean };
  /** The bound receiving socket a predecessor handed over, used instead of binding a new one. */
  inheritedFd?: number;
}

/**
 * The largest UDP payload (65535 less the UDP header). The kernel's vxlan delivers inner
 * frames larger than the device MTU (a peer left at MTU 1500 talking to our 1450), so
 * every datagram is read whole, whatever the MTU.
 */
export const MAX_UDP_PAYLOAD = 65535 - 8;

/** One line saying why the VXLAN port could not be bound. */
export function explainBindError(code: string | undefined, message: string, options: TransportOptions): string {
  const where = `${options.local ?? (options.family === 6 ? '::' : '0.0.0.0')} port ${options.port}`;
  if (code === 'EADDRINUSE') return `UDP ${where} is in use (another VTEP, or a kernel vxlan device on this port?)`;
  if (code === 'EADDRNOTAVAIL') return `cannot bind UDP ${where}: --local is not an address of this host`;
  if (code === 'ENODEV') return `underlay device ${options.device} does not exist`;
  return `cannot bind UDP ${where}: ${message}`;
}
