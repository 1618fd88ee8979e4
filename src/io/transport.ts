// The underlay: how VXLAN datagrams leave and arrive. The engine never sees a socket;
// a transport never decides where a frame goes.
import type { SendList } from '../engine/batch.js';

/**
 * Received datagrams: entry i is buf[offsets[i], offsets[i]+lengths[i]), sent from the
 * 16-byte address at sources[16*i] with outer TOS tos[i]. Valid only during the call.
 */
export type ReceiveHandler = (
  buf: Uint8Array,
  offsets: Int32Array,
  lengths: Int32Array,
  sources: Uint8Array,
  tos: Uint8Array,
  count: number,
) => void;

export interface UnderlayTransport {
  /** Binds the socket; rejects with a RuntimeError saying why it could not. */
  open(onReceive: ReceiveHandler): Promise<void>;
  /** Sends every datagram listed (bytes in `buf`); they may be reused once this returns. */
  send(buf: Uint8Array, list: SendList): void;
  /** Datagrams the kernel refused to send. */
  readonly sendErrors: number;
  close(): void;
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
}

/** One line saying why the VXLAN port could not be bound. */
export function explainBindError(code: string | undefined, message: string, options: TransportOptions): string {
  const where = `${options.local ?? (options.family === 6 ? '::' : '0.0.0.0')} port ${options.port}`;
  if (code === 'EADDRINUSE') return `UDP ${where} is in use (another VTEP, or a kernel vxlan device on this port?)`;
  if (code === 'EADDRNOTAVAIL') return `cannot bind UDP ${where}: --local is not an address of this host`;
  if (code === 'ENODEV') return `underlay device ${options.device} does not exist`;
  return `cannot bind UDP ${where}: ${message}`;
}
