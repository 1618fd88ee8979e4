// The owner of the receive direction: every datagram the underlay delivered goes to the
// engine of its VNI, looked up once per datagram. A train that UDP GRO coalesced is cut
// at its segment size first; each datagram carries its own VXLAN header, and GRO does
// not look at them, so one train may hold several VNIs. Once the batch is through, each
// VNI writes what it decapsulated to its TAP in one call. Pure: the writing is the
// target's.
import { Counters, type RxDropReason } from './counters.js';
import type { DatagramBatch, FrameBatch } from './batch.js';
import type { Engine } from './engine.js';
import { VXLAN_HEADER_LEN, hasIFlag, readVni } from '../wire/vxlan.js';

/** One VNI as the receive side sees it. */
export interface RxTarget {
  readonly engine: Engine;
  /** Frames decapsulated for the TAP during the current batch. */
  readonly deliveries: FrameBatch;
  /** Writes `deliveries` (bytes in `buf`) to the TAP and empties it. */
  flush(buf: Uint8Array): void;
}

export class Demux {
  /** Datagrams no VNI claims: too short, I flag clear, or a VNI not served here. */
  readonly unclaimed = new Counters();
  private readonly byVni = new Map<number, RxTarget>();
  /** The same targets as a plain array: iterating it per batch allocates nothing. */
  private readonly targets: RxTarget[] = [];

  add(vni: number, target: RxTarget): void {
    this.byVni.set(vni, target);
    this.targets.push(target);
  }

  /** Routes, decapsulates and delivers one batch from the underlay (bytes in `buf`). */
  rx(buf: Uint8Array, batch: DatagramBatch, count: number, now: number): void {
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
            const target = this.byVni.get(readVni(buf, at));
            if (target !== undefined) {
              if (target.deliveries.count === target.deliveries.capacity) target.flush(buf);
              target.engine.decap(buf, at, length, sources, source, tos, now, target.deliveries, batch.toGroup(i));
              continue;
            }
            reason = 'unknownVni';
          }
        }
        this.unclaimed.drops[reason]++;
      }
    }
    const targets = this.targets;
    for (let i = 0; i < targets.length; i++) targets[i]!.flush(buf);
  }

  private dropTruncated(buf: Uint8Array, offset: number, available: number): void {
    const target = available >= VXLAN_HEADER_LEN && hasIFlag(buf, offset) ? this.byVni.get(readVni(buf, offset)) : undefined;
    if (target !== undefined) target.engine.dropTruncated();
    else this.unclaimed.drops.truncated++;
  }
}
