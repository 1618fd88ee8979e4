// The underlay over node:dgram: one socket bound to the VXLAN port, one sendmsg and one
// callback per datagram. Portable and simple; the slow path. It cannot set per-datagram
// outer fields: the source port is the bound port, TTL and TOS are the socket's.
import dgram from 'node:dgram';
import { RuntimeError } from '../config/errors.js';
import { DatagramBatch } from '../engine/batch.js';
import { addressBytes } from '../wire/address.js';
import { explainBindError, type TransportOptions } from './transport.js';
import type { ReceiveHandler, UnderlayTransport } from '../datapath/ports.js';
import { PACKET_LAYOUT } from './batch-layout.js';

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class DgramTransport implements UnderlayTransport {
  private socket: dgram.Socket | undefined;
  sendErrors = 0;
  receiveErrors = 0;
  private onReceive: ReceiveHandler = () => {};
  // One-entry batch, reused for every datagram.
  private readonly received = new DatagramBatch(1, PACKET_LAYOUT.batches.datagram);

  constructor(private readonly options: TransportOptions) {}

  /** Every datagram leaves from the bound port. */
  get sourcePorts(): readonly number[] {
    return [this.options.port];
  }

  open(onReceive: ReceiveHandler, onError: (code: string) => void = () => {}): Promise<void> {
    const { family, port, local } = this.options;
    const socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    this.socket = socket;
    this.onReceive = onReceive;
    return new Promise((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(new RuntimeError(explainBindError(err.code, err.message, this.options)));
      });
      socket.bind({ port, address: local, exclusive: true }, () => {
        socket.removeAllListeners('error');
        // After binding, errors are the socket's (a send's come to its callback).
        socket.on('error', (err: NodeJS.ErrnoException) => {
          this.receiveErrors++;
          onError(err.code ?? err.message);
        });
        resolve();
      });
    });
  }

  startReceiving(): void {
    const received = this.received;
    this.socket?.on('message', (msg, rinfo) => {
      received.reset();
      received.pushReceived(0, msg.length, msg.length, rinfo.port, 0);
      addressBytes(rinfo.address, received.bytes, received.addressOffset(0));
      this.onReceive(msg, received, 1);
    });
  }

  /** Errors come to the send callbacks later: none is known at once. */
  send(buf: Uint8Array, batch: DatagramBatch): number {
    const socket = this.socket!;
    for (let i = 0; i < batch.count; i++) {
      const remote = batch.remotes[i]!;
      const end = batch.offset(i) + batch.length(i);
      const segment = batch.segment(i);
      for (let at = batch.offset(i); at < end; at += segment) {
        // dgram may queue the bytes and send them later, after the region is reused: copy.
        const datagram = Buffer.from(buf.subarray(at, Math.min(at + segment, end)));
        socket.send(datagram, remote.port, remote.address, (err) => {
          if (err) this.sendErrors++;
        });
      }
    }
    return 0;
  }

  offloadStats(): undefined {
    return undefined;
  }

  /** node:dgram does not ask for SO_RXQ_OVFL. */
  socketOverflows(): undefined {
    return undefined;
  }

  /** node:dgram keeps its fd to itself: no handover with --io dgram. */
  receiveFd(): undefined {
    return undefined;
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
