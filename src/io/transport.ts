// The underlay: how VXLAN datagrams leave and arrive. The engine never sees a socket;
// a transport never decides where a frame goes.
import type { SendList } from '../engine/batch.js';

/**
 * Received datagrams: entry i is buf[offsets[i], offsets[i]+lengths[i]) from sources[i].
 * The bytes are only valid during the call.
 */
export type ReceiveHandler = (
  buf: Uint8Array,
  offsets: Int32Array,
  lengths: Int32Array,
  sources: readonly string[],
  count: number,
) => void;

export interface UnderlayTransport {
  /** Binds the socket; rejects with a RuntimeError saying why it could not. */
  open(onReceive: ReceiveHandler): Promise<void>;
  /** Sends every datagram listed; the bytes may be reused as soon as this returns. */
  send(buf: Uint8Array, list: SendList): void;
  /** Datagrams the kernel refused to send. */
  readonly sendErrors: number;
  close(): void;
}

export interface TransportOptions {
  family: 4 | 6;
  port: number;
  local?: string;
}
