// Where a data-path worker leaves its counters for the main thread to read: a
// SharedArrayBuffer of numbers, one block per VNI and one for the underlay. The worker
// writes a VNI's counters after every batch (a few dozen stores, no allocation), so that
// `stats`, the metrics and the stats log read them exactly, without asking; the TAP's and
// the underlay's own counters (read through the addon) are written when asked for and
// once a second.
import { Counters, RX_DROP_REASONS, TX_DROP_REASONS } from '../engine/counters.js';
import type { TapOffloadStats, UnderlayOffloadStats, UnderlayTransport } from './ports.js';

type Scalar = Exclude<keyof Counters, 'drops' | 'rxDropsTotal' | 'snapshot'>;
const SCALARS = Object.keys(new Counters()).filter((key) => key !== 'drops') as Scalar[];
const REASONS = [...RX_DROP_REASONS, ...TX_DROP_REASONS];
const TAP_FIELDS = ['superFrames', 'segments', 'dropped'] as const;
const SEGMENT_SLOTS = SCALARS.length + REASONS.length + TAP_FIELDS.length;
// sendErrors, receiveErrors, gso (1/0), gsoSends, groTrains, socketOverflows (NaN: unknown), offload known (1/0)
const UNDERLAY_SLOTS = 7;
// The worker's own garbage collections: count, total pause (ms)
const GC_SLOTS = 2;

/** Garbage collections of the workers' heaps (each worker is an isolate of its own). */
export interface GcSums {
  count: number;
  ms: number;
}

/** The underlay's counters summed over every worker. */
export interface UnderlaySums {
  sendErrors: number;
  receiveErrors: number;
  offload: UnderlayOffloadStats | undefined;
  socketOverflows: number | undefined;
}

export class StatsBoard {
  private readonly slots: Float64Array;

  /** A board for `segments` VNIs: over a new SharedArrayBuffer, or a worker's view of the main thread's. */
  constructor(
    private readonly segments: number,
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8 * (segments * SEGMENT_SLOTS + UNDERLAY_SLOTS + GC_SLOTS)),
  ) {
    this.slots = new Float64Array(buffer);
  }

  /** After a batch: the VNI's counters as they are now. */
  writeCounters(segment: number, counters: Counters): void {
    const slots = this.slots;
    let at = segment * SEGMENT_SLOTS;
    for (let i = 0; i < SCALARS.length; i++) slots[at++] = counters[SCALARS[i]!];
    const drops = counters.drops;
    for (let i = 0; i < REASONS.length; i++) slots[at++] = drops[REASONS[i]!];
  }

  writeTap(segment: number, stats: TapOffloadStats | undefined): void {
    const at = segment * SEGMENT_SLOTS + SCALARS.length + REASONS.length;
    for (let i = 0; i < TAP_FIELDS.length; i++) this.slots[at + i] = stats?.[TAP_FIELDS[i]!] ?? 0;
  }

  writeUnderlay(transport: UnderlayTransport): void {
    const at = this.segments * SEGMENT_SLOTS;
    const offload = transport.offloadStats();
    const overflows = transport.socketOverflows?.();
    this.slots.set([transport.sendErrors, transport.receiveErrors, offload?.gso === false ? 0 : 1, offload?.gsoSends ?? 0, offload?.groTrains ?? 0, overflows ?? NaN, offload === undefined ? 0 : 1], at);
  }

  /** After a collection of the worker's heap: how many so far, and their pauses in all. */
  writeGc(count: number, ms: number): void {
    const at = this.segments * SEGMENT_SLOTS + UNDERLAY_SLOTS;
    this.slots[at] = count;
    this.slots[at + 1] = ms;
  }

  addGc(into: GcSums): void {
    const at = this.segments * SEGMENT_SLOTS + UNDERLAY_SLOTS;
    into.count += this.slots[at]!;
    into.ms += this.slots[at + 1]!;
  }

  /** Adds what the worker counted for the VNI to `into`. */
  addCounters(segment: number, into: Counters): void {
    const slots = this.slots;
    let at = segment * SEGMENT_SLOTS;
    for (let i = 0; i < SCALARS.length; i++) into[SCALARS[i]!] += slots[at++]!;
    for (let i = 0; i < REASONS.length; i++) into.drops[REASONS[i]!] += slots[at++]!;
  }

  addTap(segment: number, into: TapOffloadStats): void {
    const at = segment * SEGMENT_SLOTS + SCALARS.length + REASONS.length;
    for (let i = 0; i < TAP_FIELDS.length; i++) into[TAP_FIELDS[i]!] += this.slots[at + i]!;
  }

  addUnderlay(into: UnderlaySums): void {
    const [sendErrors, receiveErrors, gso, gsoSends, groTrains, overflows, offloadKnown] = this.slots.subarray(this.segments * SEGMENT_SLOTS, this.segments * SEGMENT_SLOTS + UNDERLAY_SLOTS);
    into.sendErrors += sendErrors!;
    into.receiveErrors += receiveErrors!;
    if (offloadKnown === 1) {
      const sum = (into.offload ??= { gso: true, gsoSends: 0, groTrains: 0 });
      sum.gso &&= gso === 1;
      sum.gsoSends += gsoSends!;
      sum.groTrains += groTrains!;
    }
    if (!Number.isNaN(overflows)) into.socketOverflows = (into.socketOverflows ?? 0) + overflows!;
  }
}
