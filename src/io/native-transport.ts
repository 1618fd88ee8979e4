// The underlay through the addon: datagrams are received with recvmmsg straight into a
// pool of slots and sent with sendmmsg from wherever the engine left them, one native
// call per batch each way. Raw send sockets let every datagram carry its own UDP source
// port (the flow hash), TTL, TOS and DF, as the kernel's vxlan does.
import { RuntimeError } from '../config/errors.js';
import type { SendList } from '../engine/batch.js';
import { loadNative, type NativeError, type UdpReceiver, type UdpSender } from './native.js';
import { Pool } from './pool.js';
import { explainBindError, type ReceiveHandler, type TransportOptions, type UnderlayTransport } from './transport.js';

export class NativeTransport implements UnderlayTransport {
  private receiver: UdpReceiver | undefined;
  private sender: UdpSender | undefined;
  sendErrors = 0;

  constructor(
    private readonly options: TransportOptions,
    private readonly batch: number,
  ) {}

  async open(onReceive: ReceiveHandler): Promise<void> {
    const native = loadNative();
    const { family, port, local, device, groups, datagramCapacity } = this.options;
    const underlay = { family, port, local: local ?? '', device: device ?? '', groups };
    // Datagrams land at slot+0: their VXLAN header then sits in the slot's headroom.
    const pool = new Pool(datagramCapacity, this.batch);
    const offsets = Int32Array.from({ length: this.batch }, (_, i) => pool.slotOffset(i));
    const lengths = new Int32Array(this.batch);
    const sources = new Uint8Array(16 * this.batch);
    const tos = new Uint8Array(this.batch);
    try {
      this.receiver = new native.UdpReceiver(underlay, pool.region, offsets, lengths, sources, tos, datagramCapacity, (count) =>
        onReceive(pool.bytes, offsets, lengths, sources, tos, count),
      );
    } catch (err) {
      const e = err as NativeError;
      throw new RuntimeError(explainBindError(e.code, e.message, this.options));
    }
    try {
      this.sender = new native.UdpSender(underlay);
    } catch (err) {
      this.receiver.close();
      const e = err as NativeError;
      const why = e.code === 'EPERM' ? 'CAP_NET_RAW is needed (run as root), or use --io dgram' : e.message;
      throw new RuntimeError(`cannot open the raw send socket: ${why}`);
    }
    this.receiver.start();
  }

  send(buf: Uint8Array, list: SendList): void {
    if (list.count === 0) return;
    const sent = this.sender!.send(buf, list.offsets, list.lengths, list.dsts, list.ports, list.vnis, list.outer, list.count);
    this.sendErrors += list.count - sent;
  }

  close(): void {
    this.receiver?.close();
    this.sender?.close();
    this.receiver = undefined;
    this.sender = undefined;
  }
}
