// The data path as the main thread runs it: `threads` workers (datapath/forwarder.ts),
// each with its own TAP queues and sockets, started, fed the tables (table-mirror.ts),
// heard (learning, misses, failures) and stopped from here. The main thread itself never
// touches a packet, so nothing it does (a reload, control clients, membership, metrics)
// stops forwarding.
import type { VtepConfig } from './config/vtep-config.js';
import { RuntimeError } from './config/errors.js';
import type { EventHub } from './control/events.js';
import { Counters } from './engine/counters.js';
import type { FromForwarder, ToForwarder } from './datapath/messages.js';
import type { ForwarderLink, ForwarderPorts } from './datapath/ports.js';
import { StatsBoard, type GcSums, type UnderlaySums } from './datapath/stats-board.js';
import type { Logger } from './ops/log.js';
import type { SegmentState } from './segment-state.js';
import { TableMirror } from './table-mirror.js';

/** One worker as the main thread knows it. */
interface Worker {
  link: ForwarderLink;
  board: StatsBoard;
  opened: Promise<{ receiveFd: number | undefined; warmUpFrames: number; warmUpMs: number }>;
  /** Resolves what the worker said next that a caller waits for ('published'). */
  waiting: Map<string, () => void>;
}

export class DataPath {
  private readonly workers: Worker[] = [];
  private segments: readonly SegmentState[] = [];
  private mirror: TableMirror | undefined;
  private nextPublish = 0;
  private publishing: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  /**
   * `boards`: where each worker's counts are read, filled here as they start (the
   * segments read their counters from it). `onFailure` hears once that a worker cannot
   * go on: its TAP failed, or it crashed.
   */
  private constructor(
    private readonly boards: StatsBoard[],
    private readonly events: EventHub,
    private readonly onFailure: (reason: string) => void,
  ) {}

  /**
   * Starts the workers; each warms up and binds its sockets (or takes a predecessor's
   * over: `inheritedUdpFds`, one per worker). Rejects with the first worker's reason when
   * one cannot bind; none is left running then.
   */
  static async start(
    config: VtepConfig,
    forwarders: ForwarderPorts,
    boards: StatsBoard[],
    events: EventHub,
    log: Logger,
    onFailure: (reason: string) => void,
    inheritedUdpFds?: readonly number[],
  ): Promise<DataPath> {
    const count = config.underlay.threads;
    if (inheritedUdpFds !== undefined && inheritedUdpFds.length !== count) {
      throw new RuntimeError(`the predecessor ran ${inheritedUdpFds.length} data-path threads, not ${count}: changing --threads needs a restart`);
    }
    const dataPath = new DataPath(boards, events, onFailure);
    try {
      // The first claims the port: the others bind only once it has.
      for (let index = 0; index < count; index++) {
        const worker = dataPath.startWorker(config, forwarders, index, count, inheritedUdpFds?.[index]);
        const opened = await worker.opened;
        log.debug({ thread: index, warmUpFrames: opened.warmUpFrames, warmUpMs: Math.round(opened.warmUpMs) }, 'data path warmed up');
      }
    } catch (err) {
      // No worker outlives a failed start: the process may exit right after.
      await dataPath.stop();
      throw err;
    }
    return dataPath;
  }

  private startWorker(config: VtepConfig, forwarders: ForwarderPorts, index: number, count: number, inheritedUdpFd: number | undefined): Worker {
    const board = new StatsBoard(config.segments.length + 1);
    this.boards.push(board);
    let opened!: (value: { receiveFd: number | undefined; warmUpFrames: number; warmUpMs: number }) => void;
    let failedToOpen!: (err: Error) => void;
    const waiting = new Map<string, () => void>();
    const worker: Worker = {
      board,
      waiting,
      opened: new Promise((resolve, reject) => {
        opened = resolve;
        failedToOpen = reject;
      }),
      link: forwarders.start(
        { index, count, config, inheritedUdpFd, board: board.buffer },
        (message) => this.hear(message, { opened, failedToOpen, waiting }),
        (reason) => {
          failedToOpen(new RuntimeError(reason));
          this.onFailure(reason);
        },
      ),
    };
    this.workers.push(worker);
    return worker;
  }

  private hear(message: FromForwarder, worker: { opened: (v: { receiveFd: number | undefined; warmUpFrames: number; warmUpMs: number }) => void; failedToOpen: (err: Error) => void; waiting: Map<string, () => void> }): void {
    switch (message.kind) {
      case 'opened':
        return worker.opened(message);
      case 'openFailed':
        return worker.failedToOpen(new RuntimeError(message.reason));
      case 'learned':
        return this.segment(message.vni)?.learn(message.macs, message.sources, Date.now());
      case 'refreshed':
        return this.segment(message.vni)?.refresh(message.macs, message.times);
      case 'l2miss':
      case 'l3miss': {
        const segment = this.segment(message.vni);
        if (segment === undefined) return;
        const { kind: event, vni, ...fields } = message;
        segment.limited.write('debug', event, fields, event);
        return this.events.publish(message.kind === 'l2miss' ? { event: 'l2miss', vni, mac: message.mac } : { event: 'l3miss', vni, ip: message.ip });
      }
      case 'failed':
        return this.onFailure(message.reason);
      case 'published':
        worker.waiting.get(`published ${message.id}`)?.();
        return;
      case 'stopped': // the link's stop() resolves with it
        return;
    }
  }

  private segment(vni: number): SegmentState | undefined {
    return this.segments.find((s) => s.vni === vni);
  }

  /** The receiving socket of each worker, for a successor. */
  async receiveFds(): Promise<(number | undefined)[]> {
    return Promise.all(this.workers.map(async (w) => (await w.opened).receiveFd));
  }

  /**
   * Hands worker i the i-th queue of every segment's TAP (the worker owns it from now
   * on), and keeps every worker's copy of the segments' tables in step from now on,
   * starting with all they hold.
   */
  attach(segments: readonly SegmentState[]): void {
    this.segments = segments;
    this.workers.forEach((w, i) => w.link.attach(segments.map((s) => s.queues[i]!)));
    this.mirror = new TableMirror(segments, (message) => this.post(message));
    this.mirror.sendAll();
  }

  /** Every worker starts reading. */
  startForwarding(): void {
    this.post({ kind: 'start' });
  }

  /**
   * Every worker's TAP and underlay counters written to its board, fresh. Requests that
   * come while one is under way share it: a burst of `stats` clients costs the workers
   * one round each.
   */
  publish(): Promise<void> {
    if (this.stopping !== undefined) return Promise.resolve();
    this.publishing ??= (async () => {
      const id = this.nextPublish++;
      await Promise.all(this.workers.map((w) => this.ask(w, `published ${id}`, () => w.link.post({ kind: 'publish', id }))));
    })().finally(() => (this.publishing = undefined));
    return this.publishing;
  }

  /** The underlay's counters summed over the workers (as of their last report). */
  underlay(): UnderlaySums {
    const sums: UnderlaySums = { sendErrors: 0, receiveErrors: 0, offload: undefined, socketOverflows: undefined };
    for (const board of this.boards) board.addUnderlay(sums);
    return sums;
  }

  /** The workers' garbage collections, summed: the data path should have none in steady state. */
  gc(): GcSums {
    const sums: GcSums = { count: 0, ms: 0 };
    for (const board of this.boards) board.addGc(sums);
    return sums;
  }

  /** What each worker moved for the segment at `index`: how the flows spread. */
  perThread(index: number): { rxDatagrams: number; rxPackets: number; txFrames: number; txPackets: number }[] {
    return this.boards.map((board) => {
      const c = new Counters();
      board.addCounters(index, c);
      return { rxDatagrams: c.rxDatagrams, rxPackets: c.rxPackets, txFrames: c.txFrames, txPackets: c.txPackets };
    });
  }

  get threads(): number {
    return this.workers.length;
  }

  /** The datagrams no VNI claimed, summed. */
  addUnclaimed(into: Counters): void {
    for (const board of this.boards) board.addCounters(this.segments.length, into);
  }

  /**
   * Every worker stops reading, with all it read written, closes its queues and sockets
   * and ends; resolves once all have ended (their counters stay on the boards).
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.mirror?.stop();
      await Promise.all(this.workers.map((w) => w.link.stop()));
    })();
    return this.stopping;
  }

  private ask(worker: Worker, answer: string, send: () => void): Promise<void> {
    return new Promise((resolve) => {
      worker.waiting.set(answer, () => {
        worker.waiting.delete(answer);
        resolve();
      });
      send();
    });
  }

  private post(message: ToForwarder): void {
    for (const w of this.workers) w.link.post(message);
  }
}
