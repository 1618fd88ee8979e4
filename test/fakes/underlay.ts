// An in-memory underlay: every FakeUnderlay on one FakeWire has an address, and what one
// sends to another's address and port arrives there at once, one datagram per receive
// batch, as a kernel socket would hand it over. Every datagram sent is also kept in
// `sent` with its outer fields. No root, no socket.
import { DatagramBatch } from '../../src/engine/batch.js';
import type { PacketLayout, ReceiveHandler, UnderlayTransport } from '../../src/datapath/ports.js';
import { addressBytes } from '../../src/wire/address.js';

export interface SentDatagram {
  to: string;
  port: number;
  srcPort: number;
  ttl: number;
  tos: number;
  /** The VXLAN header onward. */
  datagram: Uint8Array;
}

export class FakeWire {
  readonly endpoints = new Map<string, FakeUnderlay>();

  /** Delivers a datagram to whoever listens at `to`; false if nobody does (it is lost, as on a wire). */
  carry(from: FakeUnderlay, d: SentDatagram): boolean {
    const target = this.endpoints.get(d.to);
    if (target === undefined || target.port !== d.port) return false;
    target.receive(d.datagram, from.address, d.srcPort, d.tos);
    return true;
  }
}

export class FakeUnderlay implements UnderlayTransport {
  readonly sent: SentDatagram[] = [];
  sendErrors = 0;
  receiveErrors = 0;
  readonly sourcePorts: readonly number[] = [40000, 40001, 40002, 40003];
  /** Sends to these addresses are refused, as EHOSTUNREACH would be. */
  readonly unreachable = new Set<string>();
  private handler: ReceiveHandler | undefined;
  /** Set by startReceiving: before it, datagrams are dropped (a socket would queue them). */
  private onReceive: ReceiveHandler | undefined;
  private readonly region = new Uint8Array(65536);
  private readonly received: DatagramBatch;

  constructor(
    private readonly wire: FakeWire,
    readonly address: string,
    layout: PacketLayout,
    readonly port = 4789,
  ) {
    this.received = new DatagramBatch(1, layout.batches.datagram);
  }

  open(onReceive: ReceiveHandler): Promise<void> {
    this.handler = onReceive;
    this.wire.endpoints.set(this.address, this);
    return Promise.resolve();
  }

  startReceiving(): void {
    this.onReceive = this.handler;
  }

  send(buf: Uint8Array, batch: DatagramBatch): number {
    let refused = 0;
    for (let i = 0; i < batch.count; i++) {
      const remote = batch.remotes[i]!;
      const end = batch.offset(i) + batch.length(i);
      const segment = batch.segment(i);
      for (let at = batch.offset(i); at < end; at += segment) {
        if (this.unreachable.has(remote.address)) {
          refused++;
          continue;
        }
        const d = {
          to: remote.address,
          port: batch.field(i, 'port'),
          srcPort: batch.field(i, 'srcPort'),
          ttl: batch.field(i, 'ttl'),
          tos: batch.tos(i),
          datagram: buf.slice(at, Math.min(at + segment, end)),
        };
        this.sent.push(d);
        this.wire.carry(this, d);
      }
    }
    this.sendErrors += refused;
    return refused;
  }

  /** A datagram arrives from `source`: handed to the data path as a batch of one. */
  receive(datagram: Uint8Array, source: string, sourcePort = 40000, tos = 0): void {
    if (this.onReceive === undefined) return;
    this.region.set(datagram, 0);
    this.received.reset();
    this.received.pushReceived(0, datagram.length, datagram.length, sourcePort, tos);
    addressBytes(source, this.received.bytes, this.received.addressOffset(0));
    this.onReceive(this.region, this.received, 1);
  }

  offloadStats(): undefined {
    return undefined;
  }

  socketOverflows(): number {
    return 0;
  }

  receiveFd(): undefined {
    return undefined;
  }

  close(): void {
    this.onReceive = undefined;
    if (this.wire.endpoints.get(this.address) === this) this.wire.endpoints.delete(this.address);
  }
}
