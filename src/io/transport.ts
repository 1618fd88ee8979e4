// The underlay bind: how VXLAN datagrams leave and arrive. It moves bytes as they are;
// the engine never sees a socket and a transport never decides where a frame goes.
import type { DatagramBatch } from '../engine/batch.js';

/**
 * Received datagrams: `count` entries of `batch` (datagram layout) in `buf`, each a
 * datagram or a train GRO coalesced, with its source address, port and outer TOS.
 * Valid only during the call.
 */
export type ReceiveHandler = (buf: Uint8Array, batch: DatagramBatch, count: number) => void;

export interface UnderlayTransport {
  /**
   * Binds the sockets; rejects with a RuntimeError saying why it could not. A receive
   * error is counted and told to onError (by errno name); receiving resumes shortly after.
   */
  open(onReceive: ReceiveHandler, onError?: (code: string) => void): Promise<void>;
  /** Sends every datagram listed (bytes in `buf`); they may be reused once this returns. */
  send(buf: Uint8Array, batch: DatagramBatch): void;
  /** The UDP source ports datagrams can leave from; known once open. */
  readonly sourcePorts: readonly number[];
  /** Datagrams the kernel refused to send. */
  readonly sendErrors: number;
  /** Receive calls that failed (the socket reported an error). */
  readonly receiveErrors: number;
  /** What UDP GSO and GRO did, where the transport has them. */
  offloadStats(): UnderlayOffloadStats | undefined;
  /** The receiving socket's fd, for a successor to inherit; undefined when it cannot be handed over. */
  receiveFd(): number | undefined;
  close(): void;
}

export interface UnderlayOffloadStats {
  /** Trains still leave as one sendmsg each (false once the kernel refused GSO). */
  gso: boolean;
  /** Sends that carried a train of datagrams (UDP_SEGMENT). */
  gsoSends: number;
  /** Receives that returned a train of several datagrams (UDP GRO). */
  groTrains: number;
}

export interface TransportOptions {
  family: 4 | 6;
  port: number;
  local?: string;
  /** Underlay device: sockets are bound to it, the group is joined on it. */
  device?: string;
  /** Multicast groups to join for flooded traffic (one per VNI that uses one). */
  groups: string[];
  /** The largest datagram to expect (VXLAN header and inner frame). */
  datagramCapacity: number;
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
