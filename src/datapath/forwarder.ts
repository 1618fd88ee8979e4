// One data-path worker's work: its queue of every TAP and its own underlay sockets, one
// Segment per VNI over copies of the main thread's tables, and the two directions
// (transmit.ts, receive.ts) between them. It runs in a worker thread (io/forwarder-thread.ts)
// or, in the tests, beside them; either way it talks to the main thread only through
// messages (messages.ts) and the stats board, so control work on the main thread (a
// reload, control clients, membership) never stops its packets.
import type { VtepConfig } from '../config/vtep-config.js';
import type { EngineEvent } from '../engine/engine.js';
import { makeRemote } from '../engine/remote.js';
import { FDB_STATES } from '../engine/fdb.js';
import { settleHeap, warmUp } from '../lifecycle/warm-up.js';
import type { Logger } from '../ops/log.js';
import { RateLimitedLog } from '../ops/log-rate-limit.js';
import type { FdbSlice, FromForwarder, NeighImage, ToForwarder } from './messages.js';
import type { PacketLayout, TapPort, UnderlayTransport } from './ports.js';
import { Receive } from './receive.js';
import { Segment } from './segment.js';
import { StatsBoard } from './stats-board.js';
import { startTransmit } from './transmit.js';

/** How often learned entries this worker's frames refreshed are reported, and the TAP and underlay counters written. */
const REPORT_MS = 1000;
/**
 * Table entries applied per turn of the event loop, a turn a millisecond: the TAP and
 * socket are read between two turns, and the copy's heap grows slowly enough for the
 * garbage collector to keep up in small steps. A reload of 100,000 entries reaches a
 * worker in about half a second without holding a packet back for long.
 */
const ENTRIES_PER_TURN = 200;
const TURN_MS = 1;

/** New and moved MACs of one VNI, told to the main thread once per batch. */
class LearnedMacs {
  private macs = new Uint8Array(6 * 64);
  private sources = new Uint8Array(16 * 64);
  private count = 0;

  add(mac: Uint8Array, source: Uint8Array): void {
    if (this.count * 6 === this.macs.length) {
      // More than a batch's worth (a move flood): room grows, kept for the next batches.
      this.macs = grown(this.macs);
      this.sources = grown(this.sources);
    }
    this.macs.set(mac, 6 * this.count);
    this.sources.set(source, 16 * this.count);
    this.count++;
  }

  /** What was added since the last take, as copies, or undefined when nothing was. */
  take(): { macs: Uint8Array; sources: Uint8Array } | undefined {
    if (this.count === 0) return undefined;
    const taken = { macs: this.macs.slice(0, 6 * this.count), sources: this.sources.slice(0, 16 * this.count) };
    this.count = 0;
    return taken;
  }
}

const grown = (bytes: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => {
  const bigger = new Uint8Array(bytes.length * 2);
  bigger.set(bytes);
  return bigger;
};

export class Forwarder {
  private readonly segments: Segment[] = [];
  /** Per VNI, in the segments' order. */
  private readonly learned: LearnedMacs[] = [];
  private readonly receive: Receive;
  private readonly board: StatsBoard;
  private readonly limited: RateLimitedLog;
  private reportTimer: NodeJS.Timeout | undefined;
  /** Table changes not applied yet, oldest first; applied ENTRIES_PER_TURN at a time. */
  private readonly tableChanges: { count: number; done: number; apply: (from: number, to: number) => void }[] = [];
  private applying = false;
  private lastReport = 0;
  private stopped = false;

  constructor(
    private readonly config: VtepConfig,
    private readonly underlay: UnderlayTransport,
    private readonly layout: PacketLayout,
    board: SharedArrayBuffer,
    private readonly log: Logger,
    private readonly toMain: (message: FromForwarder) => void,
  ) {
    // One block per VNI, and one for the datagrams no VNI claims.
    this.board = new StatsBoard(config.segments.length + 1, board);
    this.limited = new RateLimitedLog(log);
    this.receive = new Receive(layout.batches.frame, () => this.publishAll());
  }

  /**
   * Warms the data path up and binds the sockets, then says 'opened'; or says
   * 'openFailed' with the reason (a RuntimeError's line).
   */
  async open(): Promise<void> {
    // Before any socket: the first packets then run optimised code.
    const warmed = warmUp(this.config.segments[0]!, this.config.underlay, this.layout, this.log);
    try {
      await this.underlay.open(this.receive.onBatch, (code) => this.limited.write('warn', 'receive', { code }, 'receiving from the underlay failed'));
    } catch (err) {
      return this.toMain({ kind: 'openFailed', reason: (err as Error).message });
    }
    this.toMain({ kind: 'opened', receiveFd: this.underlay.receiveFd(), sourcePorts: this.underlay.sourcePorts, warmUpFrames: warmed.frames, warmUpMs: warmed.ms });
  }

  /** This worker's queue of each VNI's TAP, in the configuration's order: one Segment each. */
  attach(taps: readonly TapPort[]): void {
    this.config.segments.forEach((settings, i) => {
      const learned = new LearnedMacs();
      const segment = new Segment(settings, taps[i]!, this.config.underlay, this.underlay.sourcePorts, (event) => this.report(settings.vni, learned, event), this.log);
      this.segments.push(segment);
      this.learned.push(learned);
      this.receive.add(segment);
    });
    settleHeap();
  }

  handle(message: ToForwarder): void {
    switch (message.kind) {
      case 'fdb':
        return this.queueFdbSlice(message.vni, message.slice);
      case 'neigh':
        return this.queueTableChange(message.entries.length, (from, to) => this.applyNeigh(message.vni, message.entries, from, to));
      case 'start':
        // The tables a worker starts from are in place before its first packet.
        this.applyTableChanges(Infinity);
        return this.start();
      case 'publish':
        this.publishDevices();
        return this.toMain({ kind: 'published', id: message.id });
      case 'stop':
        this.stop();
        return this.toMain({ kind: 'stopped' });
    }
  }

  /** Stops reading and closes this worker's TAP queues and sockets; the counters are on the board. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.reportTimer);
    this.publishDevices();
    this.limited.flush();
    for (const segment of this.segments) segment.close();
    this.underlay.close();
  }

  private start(): void {
    this.underlay.startReceiving();
    this.segments.forEach((segment, i) => {
      const failed = (code: string): void => this.toMain({ kind: 'failed', reason: `TAP device ${segment.tapName} failed (${code})` });
      startTransmit(segment, this.underlay, this.layout, failed, () => this.board.writeCounters(i, segment.counters));
    });
    this.lastReport = Date.now();
    this.reportTimer = setInterval(() => {
      this.publishDevices();
      this.reportRefreshed();
    }, REPORT_MS);
    this.reportTimer.unref();
  }

  private segment(vni: number): Segment | undefined {
    return this.receive.segment(vni);
  }

  /** Queues `count` entries, applied by `apply(from, to)` in order, a slice per turn. */
  private queueTableChange(count: number, apply: (from: number, to: number) => void): void {
    this.tableChanges.push({ count, done: 0, apply });
    if (this.applying) return;
    this.applying = true;
    setTimeout(() => this.applyTableChanges(ENTRIES_PER_TURN), TURN_MS);
  }

  /** Applies up to `limit` queued entries; what is left waits for the next turn. */
  private applyTableChanges(limit: number): void {
    let left = limit;
    while (left > 0 && this.tableChanges.length > 0) {
      const change = this.tableChanges[0]!;
      const to = Math.min(change.count, change.done + left);
      change.apply(change.done, to);
      left -= to - change.done;
      change.done = to;
      if (change.done === change.count) this.tableChanges.shift();
    }
    this.applying = this.tableChanges.length > 0;
    if (this.applying) setTimeout(() => this.applyTableChanges(ENTRIES_PER_TURN), TURN_MS);
  }

  /** Queues a slice of the main table's entries (see FdbSlice), applied in order. */
  private queueFdbSlice(vni: number, slice: FdbSlice): void {
    const fdb = this.segment(vni)?.fdb;
    if (fdb === undefined) return;
    const remotes = slice.remotes.map((r) => makeRemote(r.address, r.port, r.vni, r.owner));
    // Entries with one remote (nearly all) share one list per remote: a reload of 100,000
    // entries then allocates little, and the worker's heap has little to collect.
    const single = remotes.map((r) => [r]);
    let at = 0;
    this.queueTableChange(slice.states.length, (from, to) => {
      for (let i = from; i < to; i++) {
        const count = slice.remoteCounts[i]!;
        const own = count === 1 ? single[slice.remoteIndexes[at]!]! : Array.from(slice.remoteIndexes.subarray(at, at + count), (r) => remotes[r]!);
        at += count;
        // A view of the slice: no buffer of its own per MAC.
        fdb.assign(slice.macs.subarray(6 * i, 6 * i + 6), FDB_STATES[slice.states[i]!]!, own, slice.updated[i]!);
      }
    });
  }

  private applyNeigh(vni: number, entries: NeighImage[], from: number, to: number): void {
    const neighbours = this.segment(vni)?.engine.neighbours;
    if (neighbours === undefined) return;
    for (let i = from; i < to; i++) {
      const n = entries[i]!;
      if (n.mac === undefined) neighbours.delete(n.ip);
      else neighbours.replace(n.ip, n.mac, n.router, n.owner);
    }
  }

  /**
   * Learning and misses go to the main thread, whose table and monitor clients they are
   * for: misses at once, learning once per batch (publishAll).
   */
  private report(vni: number, learned: LearnedMacs, event: EngineEvent): void {
    if (event.kind === 'l2miss') return this.toMain({ kind: 'l2miss', vni, mac: event.mac });
    if (event.kind === 'l3miss') return this.toMain({ kind: 'l3miss', vni, ip: event.ip });
    learned.add(event.entry.mac, event.entry.remotes[0]!.bytes);
  }

  /** The learned entries this worker's frames refreshed since the last report: the main table ages by them. */
  private reportRefreshed(): void {
    const since = this.lastReport;
    this.lastReport = Date.now();
    for (const segment of this.segments) {
      const fresh = segment.fdb.refreshedSince(since);
      if (fresh.length === 0) continue;
      const macs = new Uint8Array(fresh.length * 6);
      const times = new Float64Array(fresh.length);
      fresh.forEach((e, i) => {
        macs.set(e.mac, i * 6);
        times[i] = e.updated;
      });
      this.toMain({ kind: 'refreshed', vni: segment.vni, macs, times });
    }
  }

  /** After a receive batch, which may have touched every VNI: its counters, and what it learned. */
  private publishAll(): void {
    const segments = this.segments;
    for (let i = 0; i < segments.length; i++) {
      this.board.writeCounters(i, segments[i]!.counters);
      const learned = this.learned[i]!.take();
      if (learned !== undefined) this.toMain({ kind: 'learned', vni: segments[i]!.vni, ...learned });
    }
    this.board.writeCounters(segments.length, this.receive.unclaimed);
  }

  private publishDevices(): void {
    this.publishAll();
    this.segments.forEach((segment, i) => this.board.writeTap(i, segment.tap.offloadStats()));
    this.board.writeUnderlay(this.underlay);
  }
}
