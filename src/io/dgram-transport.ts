// The underlay over node:dgram: one socket bound to the VXLAN port, one sendmsg and one
// callback per datagram. Simple and portable; the slow path.
import dgram from 'node:dgram';
import { RuntimeError } from '../config/errors.js';
import type { SendList } from '../engine/batch.js';
import type { ReceiveHandler, TransportOptions, UnderlayTransport } from './transport.js';

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export class DgramTransport implements UnderlayTransport {
  private socket: dgram.Socket | undefined;
  sendErrors = 0;
  // One-entry batch descriptors, reused for every datagram.
  private readonly offsets = new Int32Array(1);
  private readonly lengths = new Int32Array(1);
  private readonly sources: string[] = [''];

  constructor(private readonly options: TransportOptions) {}

  open(onReceive: ReceiveHandler): Promise<void> {
    const { family, port, local } = this.options;
    const socket = dgram.createSocket({
      type: family === 6 ? 'udp6' : 'udp4',
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      this.lengths[0] = msg.length;
      this.sources[0] = rinfo.address;
      onReceive(msg, this.offsets, this.lengths, this.sources, 1);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const where = `${local ?? (family === 6 ? '::' : '0.0.0.0')} port ${port}`;
        const why =
          err.code === 'EADDRINUSE'
            ? `UDP ${where} is in use (another VTEP, or a kernel vxlan device on this port?)`
            : err.code === 'EADDRNOTAVAIL'
              ? `cannot bind UDP ${where}: --local is not an address of this host`
              : `cannot bind UDP ${where}: ${err.message}`;
        reject(new RuntimeError(why));
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
