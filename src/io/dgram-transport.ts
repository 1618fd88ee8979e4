// The underlay over node:dgram: one socket bound to the VXLAN port, one sendmsg and one
// callback per datagram. Portable and simple; the slow path. It cannot set per-datagram
// outer fields: the source port is the bound port, TTL and TOS are the socket's.
import dgram from 'node:dgram';
import { RuntimeError } from '../config/errors.js';
import type { SendList } from '../engine/batch.js';
import { addressBytes } from '../vxlan/address.js';
import { writeVxlanHeader } from '../vxlan/header.js';
import { explainBindError, type ReceiveHandler, type TransportOptions, type UnderlayTransport } from './transport.js';

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class DgramTransport implements UnderlayTransport {
  private socket: dgram.Socket | undefined;
  sendErrors = 0;
  // One-entry batch descriptors, reused for every datagram.
  private readonly offsets = new Int32Array(1);
  private readonly lengths = new Int32Array(1);
  private readonly sources = new Uint8Array(16);
  private readonly tos = new Uint8Array(1);

  constructor(private readonly options: TransportOptions) {}

  open(onReceive: ReceiveHandler): Promise<void> {
    const { family, port, local } = this.options;
    const socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      ipv6Only: family === 6,
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.lengths[0] = msg.length;
      addressBytes(rinfo.address, this.sources);
      onReceive(msg, this.offsets, this.lengths, this.sources, this.tos, 1);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(new RuntimeError(explainBindError(err.code, err.message, this.options)));
      });
      socket.bind({ port, address: local, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => this.sendErrors++);
        resolve();
      });
    });
  }

  send(buf: Uint8Array, list: SendList): void {
    const socket = this.socket!;
    for (let i = 0; i < list.count; i++) {
      // dgram may queue the bytes and send them later, after the slot is reused: copy.
      const start = list.offsets[i]!;
      const datagram = Buffer.from(buf.subarray(start, start + list.lengths[i]!));
      // This copy's VNI (a remote may have its own).
      writeVxlanHeader(datagram, 0, list.vnis[i]!);
      const remote = list.remotes[i]!;
      socket.send(datagram, remote.port, remote.address, (err) => {
        if (err) this.sendErrors++;
      });
    }
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
