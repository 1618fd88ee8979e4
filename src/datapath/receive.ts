// The receive direction of a VTEP, in the order a datagram goes:
//   underlay receive (a batch of datagrams, or trains UDP GRO coalesced)
//   -> demux: the segment of its VNI, looked up once per datagram (a train is cut at its
//      segment size first: GRO does not look at VXLAN headers, so one train may hold
//      several VNIs)
//   -> engine.decap (checked, source learned, frame listed)
//   -> TAP write: each VNI writes what it decapsulated once per batch, the writer checking
//      every inner TCP/UDP checksum on the way (completing the unfinished ones a kernel
//      VTEP on the same host sends); what its TAP refused (its queue full) is counted as
//      dropped, so the counters still add up.
// Datagrams no VNI claims are counted in `unclaimed`.
import { Counters, type RxDropReason } from '../engine/counters.js';
import { FrameBatch, INNER_CHECKSUM, type DatagramBatch, type FrameLayout } from '../engine/batch.js';
import { VXLAN_HEADER_LEN, hasIFlag, readVni } from '../wire/vxlan.js';
import type { Segment } from './segment.js';

// Frames decapsulated per TAP write call at most: a batch of GRO trains holds many.
const DELIVERIES = 1024;

/** One VNI as the receive direction sees it: its segment and the frames for its TAP. */
interface Lane {
  readonly segment: Segment;
  readonly deliveries: FrameBatch;
}

export class Receive {
  /** Datagrams no VNI claims: too short, I flag clear, or a VNI not served here. */
  readonly unclaimed = new Counters();
  /** The VTEP's one registry of its segments by VNI. */
  private readonly byVni = new Map<number, Lane>();
  /** The same lanes as a plain array: iterating it per batch allocates nothing. */
  private readonly lanes: Lane[] = [];

  constructor(
    private readonly frameLayout: FrameLayout,
    /** Runs after each batch (the counters are published then). */
    private readonly afterBatch: () => void = () => {},
    /** Frames listed per TAP write at most. */
    private readonly writeBatch = DELIVERIES,
  ) {}

  add(segment: Segment): void {
    const lane = { segment, deliveries: new FrameBatch(this.writeBatch, this.frameLayout) };
    this.byVni.set(segment.vni, lane);
    this.lanes.push(lane);
  }

  segment(vni: number): Segment | undefined {
    return this.byVni.get(vni)?.segment;
  }

  /** Routes, decapsulates and delivers one batch from the underlay (bytes in `buf`). */
  readonly onBatch = (buf: Uint8Array, batch: DatagramBatch, count: number): void => {
    const now = Date.now();
    const sources = batch.bytes;
    for (let i = 0; i < count; i++) {
      const offset = batch.offset(i);
      const end = offset + batch.length(i);
      const segment = batch.segment(i);
      const tos = batch.tos(i);
      const source = batch.addressOffset(i);
      // A datagram cut short by the receive buffer arrives with a negative length: what
      // fit is there, and its VNI, if readable, takes the drop.
      if (end < offset) {
        this.dropTruncated(buf, offset, offset - end);
        continue;
      }
      if (end === offset || segment <= 0) {
        this.unclaimed.drops.tooShort++;
        continue;
      }
      for (let at = offset; at < end; at += segment) {
        const length = Math.min(segment, end - at);
        let reason: RxDropReason = 'tooShort';
        if (length >= VXLAN_HEADER_LEN) {
          reason = 'invalidHeader';
          if (hasIFlag(buf, at)) {
            const lane = this.byVni.get(readVni(buf, at));
            if (lane !== undefined) {
              if (lane.deliveries.count === lane.deliveries.capacity) this.writeToTap(lane, buf);
              lane.segment.engine.decap(buf, at, length, sources, source, tos, now, lane.deliveries, batch.toGroup(i));
              continue;
            }
            reason = 'unknownVni';
          }
        }
        this.unclaimed.drops[reason]++;
      }
    }
    const lanes = this.lanes;
    for (let i = 0; i < lanes.length; i++) this.writeToTap(lanes[i]!, buf);
    this.afterBatch();
  };

  private dropTruncated(buf: Uint8Array, offset: number, available: number): void {
    const lane = available >= VXLAN_HEADER_LEN && hasIFlag(buf, offset) ? this.byVni.get(readVni(buf, offset)) : undefined;
    if (lane !== undefined) lane.segment.engine.dropTruncated();
    else this.unclaimed.drops.truncated++;
  }

  /** Writes the lane's decapsulated frames to its TAP and empties the list. */
  private writeToTap(lane: Lane, buf: Uint8Array): void {
    const { segment, deliveries: frames } = lane;
    if (frames.count === 0) return;
    const written = segment.tap.writeFrames(buf, frames);
    const counters = segment.counters;
    for (let i = 0; i < frames.count; i++) {
      if (frames.length(i) < 0) continue;
      const verdict = frames.checksum(i);
      if (verdict === INNER_CHECKSUM.completed) counters.innerChecksumCompleted++;
      else if (verdict === INNER_CHECKSUM.bad) counters.innerChecksumBad++;
    }
    if (written < frames.count) {
      // The engine counted them received; the TAP's refusal makes them drops after all.
      let refused = 0;
      for (let i = 0; i < frames.count; i++) {
        const length = frames.length(i);
        if (length >= 0) continue;
        refused++;
        counters.rxBytes += length;
      }
      counters.rxPackets -= refused;
      counters.drops.tapRefused += refused;
      segment.limited.write('warn', 'tapWrite', { tap: segment.tapName, refused }, 'the TAP refused frames');
    }
    frames.reset();
  }
}
