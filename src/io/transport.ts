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
  /** The source port range: the native underlay binds sockets on ports spread over it. */
  srcPortMin: number;
  srcPortMax: number;
  /** UDP GSO on send and GRO on receive (--offload on or no-coalesce). */
  offload: boolean;
  /** Busy polling after each batch, in µs (0: sleep at once). */
  busyPollUs: number;
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
