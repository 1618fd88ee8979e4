// Before the first real packet: run the data path's own code (transmit, encap, the
// underlay hand-off, receive, decap, the TAP hand-off) over synthetic frames in memory,
// so that V8 has optimised it when the TAP comes up, and then collect the start-up
// garbage at once. Without this the first hundred or so packets run in V8's baseline
// tier (pings of 1-4 ms), and a full collection of what start-up left behind lands
// later in the middle of traffic. Nothing here touches a device or a socket, and
// nothing of it stays in the running VTEP's tables or counters.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SegmentConfig, UnderlayConfig } from '../config/vtep-config.js';
import { DatagramBatch, type FrameBatch } from '../engine/batch.js';
import type { PacketLayout, ReceiveHandler, TapOffloadStats, TapPort, UnderlayTransport } from '../datapath/ports.js';
import { Receive } from '../datapath/receive.js';
import { Segment } from '../datapath/segment.js';
import { ZERO_MAC } from '../engine/fdb.js';
import { makeRemote } from '../engine/remote.js';
import { BATCH, startTransmit } from '../datapath/transmit.js';
import type { Logger } from '../ops/log.js';
import { addressBytes } from '../wire/address.js';
import { ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../wire/ethernet.js';

/** Batches of synthetic frames run through both directions: enough for V8 to optimise every step. */
const ROUNDS = 400;
/** Never sent anywhere: the warm-up's underlay is a loop in memory. */
const WARM_PEER = '203.0.113.1';
const WARM_VNI = 1;
const HOST_MAC = [0x02, 0x77, 0, 0, 0, 1];
const PEER_HOST_MAC = [0x02, 0x77, 0, 0, 0, 2];

/** The TAP side of the loop: frames handed in by `read`, frames written thrown away. */
class LoopTap implements TapPort {
  readonly name = 'warm-up';
  readonly mac = Uint8Array.of(0x02, 0x77, 0, 0, 0, 0xff);
  onBatch: (count: number) => void = () => {};
  region = new Uint8Array(0);
  batch: DatagramBatch | undefined;
  /** Frames that went all the way round: read, encapsulated, received, decapsulated, written. */
  written = 0;

  constructor(readonly offload: boolean) {}

  startReading(region: ArrayBuffer, batch: DatagramBatch, _frameCapacity: number, onBatch: (count: number) => void): void {
    this.region = new Uint8Array(region);
    this.batch = batch;
    this.onBatch = onBatch;
  }

  writeFrames(_buf: Uint8Array, frames: FrameBatch): number {
    this.written += frames.count;
    return frames.count;
  }

  offloadStats(): TapOffloadStats | undefined {
    return undefined;
  }

  handoverFd(): undefined {
    return undefined;
  }

  close(): void {}
}

/** The underlay side of the loop: every datagram sent comes back at once, from the peer. */
class LoopUnderlay implements UnderlayTransport {
  readonly sendErrors = 0;
  readonly receiveErrors = 0;
  private readonly region = new Uint8Array(1 << 17);
  private readonly received: DatagramBatch;
  private onReceive: ReceiveHandler = () => {};

  constructor(
    readonly sourcePorts: readonly number[],
    layout: PacketLayout,
  ) {
    this.received = new DatagramBatch(BATCH, layout.batches.datagram);
  }

  open(onReceive: ReceiveHandler): Promise<void> {
    this.onReceive = onReceive;
    return Promise.resolve();
  }

  startReceiving(): void {}

  send(buf: Uint8Array, batch: DatagramBatch): number {
    const received = this.received;
    received.reset();
    let at = 0;
    for (let i = 0; i < batch.count && received.count < received.capacity; i++) {
      const length = batch.length(i);
      this.region.set(buf.subarray(batch.offset(i), batch.offset(i) + length), at);
      received.pushReceived(at, length, batch.segment(i), batch.field(i, 'port'), batch.tos(i));
      received.bytes.set(batch.bytes.subarray(batch.addressOffset(i), batch.addressOffset(i) + 16), received.addressOffset(received.count - 1));
      at += (length + 7) & ~7;
    }
    this.onReceive(this.region, received, received.count);
    return 0;
  }

  offloadStats(): undefined {
    return undefined;
  }

  receiveFd(): undefined {
    return undefined;
  }

  close(): void {}
}

/**
 * Writes a frame between the two hosts (or a broadcast ARP) at buf[at]; returns its
 * length. Both hosts' MACs are learned behind the loop's peer after the first round, so
 * later rounds take the known-destination path as well as the flood path.
 */
function writeFrame(buf: Uint8Array, at: number, kind: number, payload: number, swap: boolean): number {
  const arp = kind === 0;
  const [src, dst] = swap ? [HOST_MAC, PEER_HOST_MAC] : [PEER_HOST_MAC, HOST_MAC];
  buf.set(arp ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : dst, at);
  buf.set(src, at + 6);
  const type = arp ? ETHERTYPE_ARP : kind === 3 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
  buf[at + 12] = type >> 8;
  buf[at + 13] = type & 0xff;
  const ip = at + ETH_HEADER_LEN;
  if (arp) {
    buf.set([0, 1, 8, 0, 6, 4, 0, 1, ...src, 192, 0, 2, 2, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1], ip);
    return ETH_HEADER_LEN + 28;
  }
  if (type === ETHERTYPE_IPV6) {
    buf.set([0x60, 0, 0, 0, payload >> 8, payload & 0xff, 17, 64], ip);
    buf.set(addressBytes('2001:db8::2'), ip + 8);
    buf.set(addressBytes('2001:db8::1'), ip + 24);
    buf.set([0x9c, 0x40, 0x14, 0x51], ip + 40); // UDP ports
    return ETH_HEADER_LEN + 40 + payload;
  }
  const total = 20 + payload;
  const protocol = kind === 1 ? 1 : 6; // ICMP echo or TCP
  buf.set([0x45, 0, total >> 8, total & 0xff, 0, 1, 0x40, 0, 64, protocol, 0, 0, 192, 0, 2, 2, 192, 0, 2, 1], ip);
  buf.set([0x9c, 0x40, 0x14, 0x51], ip + 20); // TCP ports, or ICMP type/code/checksum
  return ETH_HEADER_LEN + total;
}

/** Lists one batch of synthetic reads in the loop TAP's region, as the addon's readers lay them out. */
function readBatch(tap: LoopTap, headroom: number, round: number): number {
  const batch = tap.batch!;
  batch.reset();
  let cursor = 0;
  for (let i = 0; i < 16; i++) {
    const kind = (round + i) % 4;
    const length = headroom + writeFrame(tap.region, cursor + headroom, kind, kind === 2 ? 1200 : 64, i % 2 === 1);
    // With offloads, a TCP frame stands for a train of three segments, as the reader cuts a super-frame.
    const train = tap.offload && kind === 2;
    if (train) {
      for (let s = 1; s < 3; s++) tap.region.copyWithin(cursor + s * length, cursor, cursor + length);
    }
    batch.pushReceived(cursor, train ? 3 * length : length, length, 0, 0);
    cursor += ((train ? 3 * length : length) + 7) & ~7;
  }
  const count = batch.count;
  batch.reset();
  return count;
}

/** What the warm-up did: frames that went all the way round, and the time it took. */
export interface WarmUpReport {
  frames: number;
  ms: number;
}

/**
 * Runs both directions over synthetic frames in memory, with the settings of `settings`
 * (learning, proxy, offloads) so that the same branches are taken.
 */
export function warmUp(settings: SegmentConfig, underlay: UnderlayConfig, layout: PacketLayout, log: Logger): WarmUpReport {
  const started = performance.now();
  const quiet = log.child({}, { level: 'silent' });
  const config: SegmentConfig = { ...settings, vni: WARM_VNI, peers: [WARM_PEER], group: undefined, fdb: [], neigh: [], control: undefined, l2miss: false, l3miss: false };
  const tap = new LoopTap(underlay.offload !== 'off');
  const loop = new LoopUnderlay([underlay.outer.srcPortMin], layout);
  const segment = new Segment(config, tap, underlay, loop.sourcePorts, () => {}, quiet);
  segment.fdb.assign(ZERO_MAC, 'permanent', [makeRemote(WARM_PEER, underlay.port)], 0);
  const receive = new Receive(layout.batches.frame);
  receive.add(segment);
  void loop.open(receive.onBatch);
  startTransmit(segment, loop, layout, () => {});
  for (let round = 0; round < ROUNDS; round++) tap.onBatch(readBatch(tap, layout.headroom, round));
  return { frames: tap.written, ms: performance.now() - started };
}

/**
 * V8 grows its young generation (8 MB here, up to 32 MB) whenever enough has survived its
 * scavenges, and never gives it back. Bursts of control clients, whose sockets live
 * through scavenges, did that; the RSS then crept up as the allocator walked into the new
 * pages (about 1 MB per burst of 200 clients). The data path allocates next to nothing,
 * so it gains nothing from a larger one: it stays at its start size.
 */
export function holdYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * V8's memory reducer: some seconds after a full collection, on an isolate that allocates
 * little, it runs up to three more ("Mark-Compact (reduce)") to hand memory back. In a
 * data-path worker that was one 23 ms and one 7 ms pause 15 s after ready, each a ping's
 * slowest round trip (--trace-gc). The data path's heap is small and steady: nothing to
 * give back. Process-wide, so the main thread keeps what bursts of control clients grew
 * until its next full collection too (settled after each burst anyway).
 */
export function withoutMemoryReducer(): void {
  v8.setFlagsFromString('--no-memory-reducer');
}

/**
 * One full collection now, of everything start-up left, so that the data path starts
 * with nothing for the next one to do.
 */
export function settleHeap(): number {
  const started = performance.now();
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return performance.now() - started;
}
