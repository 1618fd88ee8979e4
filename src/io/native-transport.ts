// The underlay through the addon. Receiving: one socket on the VXLAN port, recvmmsg
// straight into a packet region. Sending: kernel UDP sockets on ports spread over the
// source port range (the engine picks one per inner flow), TTL and TOS per send, DF per
// socket, and with offloads a train of segments in one sendmsg with UDP_SEGMENT (GSO):
// the kernel cuts it and fills every outer header and checksum (an IPv4 train with DF
// clear goes datagram by datagram with --outer-ids unique: see TransportOptions.outerIds). With offloads the
// receiving socket also takes UDP GRO trains: what the kernel coalesced arrives in one
// recvmsg with its segment size. One native call per batch each way.
import { RuntimeError } from '../config/errors.js';
import { DatagramBatch } from '../engine/batch.js';
import type { Logger } from '../ops/log.js';
import { errnoName, loadNative, type NativeError, type UdpReceiver, type UdpSender } from './native.js';
import { explainBindError, MAX_UDP_PAYLOAD, type TransportOptions } from './transport.js';
import type { ReceiveHandler, UnderlayOffloadStats, UnderlayTransport } from '../datapath/ports.js';
import { PACKET_LAYOUT } from './batch-layout.js';

/** Pause after a receive error before reading again: a persistent error never spins. */
const RESUME_AFTER_ERROR_MS = 100;

export class NativeTransport implements UnderlayTransport {
  private resumeTimer: NodeJS.Timeout | undefined;
  receiveErrors = 0;
  private receiver: UdpReceiver | undefined;
  private sender: UdpSender | undefined;
  sendErrors = 0;
  sourcePorts: readonly number[] = [];

  constructor(
    private readonly options: TransportOptions,
    private readonly batch: number,
    private readonly log: Logger,
  ) {}

  async open(onReceive: ReceiveHandler, onError: (code: string) => void = () => {}): Promise<void> {
    const native = loadNative();
    const { family, port, local, device, groups, offload, srcPortMin, srcPortMax, busyPollUs, inheritedFd } = this.options;
    const { udpChecksum = true, udp6ZeroChecksumTx = false, udp6ZeroChecksumRx = false, shared } = this.options;
    const sharing = { reusePort: shared !== undefined, claimPort: shared?.claim ?? false, multicastAll: shared?.groups ?? true };
    const underlay = { family, port, local: local ?? '', device: device ?? '', groups, busyPollUs, udpChecksum, udp6ZeroChecksumTx, udp6ZeroChecksumRx, ...sharing, fd: inheritedFd };
    const { alignment } = PACKET_LAYOUT;
    // A GRO train is at most 64 KB: every receive slot must hold one, or the rest is lost.
    const slotSize = offload ? native.layout.region.groSlotBytes : Math.ceil(MAX_UDP_PAYLOAD / alignment) * alignment;
    const region = new ArrayBuffer(slotSize * this.batch);
    const bytes = new Uint8Array(region);
    const received = new DatagramBatch(this.batch, PACKET_LAYOUT.batches.datagram);
    try {
      this.receiver = new native.UdpReceiver(underlay, region, received.words, slotSize, offload, (count) => {
        if (count >= 0) return onReceive(bytes, received, count);
        // The receiver stopped on the error: count it, say it, read again shortly.
        this.receiveErrors++;
        onError(errnoName(-count));
        this.resumeTimer = setTimeout(() => this.receiver?.start(), RESUME_AFTER_ERROR_MS);
      });
    } catch (err) {
      const e = err as NativeError;
      throw new RuntimeError(explainBindError(e.code, e.message, this.options));
    }
    try {
      const onGsoOff = (reason: string): void => this.log.warn({ reason }, 'UDP GSO refused: sending one datagram per message from now on');
      // The kernel's srcport MIN MAX: flows spread over [MIN, MAX).
      const lastPort = srcPortMax > srcPortMin ? srcPortMax - 1 : srcPortMax;
      this.sender = new native.UdpSender(this.receiver, srcPortMin, lastPort, offload, onGsoOff, this.options.outerIds === 'unique');
    } catch (err) {
      this.receiver.close();
      const e = err as NativeError;
      const why = e.code === 'EADDRINUSE' ? `no free port in --srcport ${srcPortMin}-${srcPortMax}` : e.message;
      throw new RuntimeError(`cannot open the UDP send sockets: ${why}`);
    }
    this.sourcePorts = this.sender.ports();
    native.setBusyPoll(busyPollUs);
  }

  startReceiving(): void {
    this.receiver?.start();
  }

  send(buf: Uint8Array, batch: DatagramBatch): number {
    if (batch.count === 0) return 0;
    const refused = this.sender!.send(buf, batch.words, batch.count);
    this.sendErrors += refused;
    return refused;
  }

  offloadStats(): UnderlayOffloadStats | undefined {
    if (this.sender === undefined || this.receiver === undefined) return undefined;
    return { ...this.sender.stats(), groTrains: this.receiver.stats().groTrains };
  }

  socketOverflows(): number | undefined {
    return this.receiver?.stats().overflows;
  }

  receiveFd(): number | undefined {
    return this.receiver?.fd();
  }

  close(): void {
    clearTimeout(this.resumeTimer);
    this.receiver?.close();
    this.sender?.close();
    this.receiver = undefined;
    this.sender = undefined;
  }
}
