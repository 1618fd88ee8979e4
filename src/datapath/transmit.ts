// The transmit direction of one VNI, in the order a frame goes:
//   TAP read (a batch of frames, or trains cut from TCP super-frames, into the region)
//   -> engine.encap (one decision per frame or train; VXLAN headers written in place)
//   -> underlay send (one call per batch; what it refused is said, rate-limited, and a
//      path MTU it refused a datagram for goes to the engine)
//   and the proxy's answers, and the "too big" answers, back to the TAP.
// Nothing is copied: the region the TAP reader fills is the one the underlay sends from.
import { DatagramBatch, FrameBatch } from '../engine/batch.js';
import type { DatagramSink } from '../engine/engine.js';
import type { Segment } from './segment.js';
import type { PacketLayout, UnderlayTransport } from './ports.js';

/** Frames (or trains) per TAP read batch, and datagrams per underlay receive batch. */
export const BATCH = 64;
// Room for an inner Ethernet header with two VLAN tags beyond the MTU.
const FRAME_OVERHEAD = 14 + 8;
// What the offloading TAP reader packs a batch into: about sixteen 64 KB super-frames cut
// into trains (a train that does not fit continues in the next batch).
const OFFLOAD_REGION_BYTES = 1 << 20;

/** What encap lists, sent through the underlay when the engine asks and at the end of a batch. */
class UnderlaySends implements DatagramSink {
  constructor(
    readonly listed: DatagramBatch,
    private readonly buf: Uint8Array,
    private readonly underlay: UnderlayTransport,
    private readonly segment: Segment,
  ) {}

  send(): void {
    if (this.listed.count === 0) return;
    const listed = this.listed;
    const refused = this.underlay.send(this.buf, listed);
    if (refused > 0) {
      let tooBig = 0;
      for (let i = 0; i < listed.count; i++) {
        const mtu = listed.field(i, 'pathMtu');
        if (mtu === 0) continue;
        this.segment.engine.learnPathMtu(listed.remotes[i]!.address, mtu);
        tooBig++;
      }
      if (tooBig === 0) this.segment.limited.write('warn', 'send', { refused }, 'the underlay refused datagrams');
      else this.segment.limited.write('info', 'path-mtu', { refused }, 'datagrams too big for the path MTU: their senders are told from now on');
    }
    listed.reset();
  }
}

/**
 * Starts moving the segment's TAP frames to the underlay. `onFailure` hears once that
 * the TAP failed (deleted from outside, EIO): reading has stopped. `afterBatch` runs
 * after each batch (the counters are published then).
 */
export function startTransmit(segment: Segment, underlay: UnderlayTransport, layout: PacketLayout, onFailure: (code: string) => void, afterBatch: () => void = () => {}): void {
  const { tap, engine, config } = segment;
  const frameCapacity = config.mtu + FRAME_OVERHEAD;
  const { batches, headroom, alignment } = layout;
  const slot = Math.ceil((headroom + frameCapacity) / alignment) * alignment;
  const bytes = new Uint8Array(tap.offload ? OFFLOAD_REGION_BYTES : BATCH * slot);
  const reads = new DatagramBatch(BATCH, batches.datagram);
  const sends = new UnderlaySends(new DatagramBatch(BATCH * Math.max(1, config.peers.length), batches.datagram), bytes, underlay, segment);
  const proxyReplies = new FrameBatch(BATCH, batches.frame);

  const onBatch = (count: number): void => {
    for (let i = 0; i < count; i++) engine.encap(bytes, reads.offset(i), reads.length(i), reads.segment(i), sends, proxyReplies);
    sends.send();
    if (proxyReplies.count > 0) {
      tap.writeFrames(bytes, proxyReplies);
      proxyReplies.reset();
    }
    afterBatch();
  };
  tap.startReading(bytes.buffer, reads, frameCapacity, onBatch, onFailure);
}
