// One running VTEP: one underlay (one UDP port) shared by one segment per VNI, and
// everything around them. Packets move in the data-path workers (data-path.ts; in each,
// datapath/transmit.ts and datapath/receive.ts); this thread keeps the tables, the
// control surface and the lifetime, and hands the process over. Each concern lives in
// its own module:
//   control/servers.ts  control sockets and metrics   ops/ageing.ts  the FDB ageing sweep
//   ops/stats.ts        what stats shows               config/reload.ts  what a reload changes
//   lifecycle/persist.ts  --persist across a restart   lifecycle/handover.ts  the successor's side
//   membership/vtep-member.ts  this VTEP in the etcd store
import type { Logger } from './ops/log.js';
import type { VtepConfig } from './config/vtep-config.js';
import { planReload } from './config/reload.js';
import { RuntimeError } from './config/errors.js';
import { openTapQueues, SegmentState } from './segment-state.js';
import { DataPath } from './data-path.js';
import type { StatsBoard } from './datapath/stats-board.js';
import type { VtepPorts } from './datapath/ports.js';
import { formatMac } from './wire/mac.js';
import { startStatsLog } from './control/stats-log.js';
import { EventHub } from './control/events.js';
import { RequestError, type ControlRequest } from './control/commands.js';
import { ControlServers, controlPath } from './control/servers.js';
import { ControlClientCounts } from './control/server.js';
import { RateLimitedLog } from './ops/log-rate-limit.js';
import { startAgeing } from './ops/ageing.js';
import { VtepStats } from './ops/stats.js';
import { discardSavedState, restoreSavedState, saveState } from './lifecycle/persist.js';
import { predecessorGone, spawnSuccessor, successorReady, takeReadingOver, takeStateOver, tellServiceManager, type Inheritance } from './lifecycle/handover.js';
import type { Membership, MembersReport } from './membership/membership.js';
import { joinAsMember } from './membership/vtep-member.js';
import { holdYoungGeneration, settleHeap, withoutMemoryReducer } from './lifecycle/warm-up.js';

/** Control requests any of the process's sockets answers for the whole process. */
const PROCESS_COMMANDS: ReadonlySet<string> = new Set(['members', 'handover', 'handover.ready']);

export class Vtep {
  /** In the order of the configuration. */
  private readonly segmentList: SegmentState[] = [];
  /** Where each data-path worker counts. */
  private readonly boards: StatsBoard[] = [];
  private dataPath: DataPath | undefined;
  /** Whether the workers own the TAP queues (they close them); until then this thread does. */
  private queuesAttached = false;
  readonly events = new EventHub();
  private readonly controlClients = new ControlClientCounts();
  private statsView: VtepStats | undefined;
  /** What start() started beside the data path, stopped in reverse by stop(). */
  private readonly stops: (() => void)[] = [];
  private membership: Membership | undefined;
  private readonly limited: RateLimitedLog;
  private fail: (reason: string) => void = () => {};
  /** Resolves with the reason once a TAP fails (deleted from outside, EIO): the VTEP cannot go on. */
  readonly failed = new Promise<string>((resolve) => (this.fail = resolve));
  /** Started fully (and not stopped yet): only then is there state worth saving. */
  private running = false;
  private handingOver: Promise<number> | undefined;
  private successorIsReady: (() => void) | undefined;
  private handOver: (pid: number) => void = () => {};
  /** Resolves with the successor's pid once it is ready: this process should stop then. */
  readonly handedOver = new Promise<number>((resolve) => (this.handOver = resolve));

  private constructor(
    private readonly config: VtepConfig,
    private readonly ports: VtepPorts,
    private readonly log: Logger,
  ) {
    this.limited = new RateLimitedLog(log);
  }

  get segments(): readonly SegmentState[] {
    return this.segmentList;
  }

  get stats(): VtepStats {
    return this.statsView!;
  }

  /**
   * Starts the data-path workers (each binds its sockets, or takes a predecessor's
   * over: `inheritance`), opens the TAPs (one queue per worker), fills the tables and
   * starts forwarding, then the control sockets and metrics.
   */
  static async start(config: VtepConfig, ports: VtepPorts, log: Logger, inheritance?: Inheritance): Promise<Vtep> {
    const vtep = new Vtep(config, ports, log);
    // Before the workers start: V8's flags are the process's.
    holdYoungGeneration();
    withoutMemoryReducer();
    // Bind first: a port in use fails before any device exists.
    const dataPath = await DataPath.start(config, ports.forwarders, vtep.boards, vtep.events, log, (reason) => vtep.fail(reason), inheritance?.udpFds);
    vtep.dataPath = dataPath;
    vtep.statsView = new VtepStats(dataPath, vtep.events, config.underlay.offload !== 'off', vtep.controlClients);
    try {
      config.segments.forEach((settings, index) => {
        const inherited = inheritance?.taps.find((t) => t.vni === settings.vni);
        if (inheritance !== undefined && inherited === undefined) throw new RuntimeError(`the predecessor has no VNI ${settings.vni}: a new VNI needs a restart`);
        const queues = openTapQueues(ports.taps, settings, config.underlay, log.child({ vni: settings.vni }), inherited);
        vtep.segmentList.push(new SegmentState(settings, queues, index, vtep.boards, config.underlay, vtep.events, log));
      });
      if (inheritance === undefined) {
        if (config.underlay.persist) restoreSavedState(vtep.segmentList, log);
        else discardSavedState(vtep.segmentList, log);
      } else {
        for (const t of inheritance.taps) await takeStateOver(vtep.segment(t.vni)!, t.control);
      }
      dataPath.attach(vtep.segmentList);
      vtep.queuesAttached = true;
      const asked = performance.now();
      if (inheritance !== undefined) {
        await tellServiceManager(process.pid);
        // The predecessor stops reading, having written all it read, and tells us what it
        // counted: reading starts only then, so no flow is reordered between the two.
        await takeReadingOver(inheritance, (vni) => vtep.segment(vni));
      }
      dataPath.startForwarding();
      ports.forwarders.forwarding();
      // What arrived meanwhile waited in the kernel's queues (and what did not fit was lost).
      if (inheritance !== undefined) log.info({ pausedMs: Math.round((performance.now() - asked) * 10) / 10 }, 'handover: reading');
      // The predecessor removes its control sockets as it exits: ours come next.
      if (inheritance !== undefined) await predecessorGone(inheritance);
      const servers = await ControlServers.start(config, vtep.segmentList, vtep.events, {
        stats: (segment) => vtep.stats.segment(segment),
        processCommands: PROCESS_COMMANDS,
        runProcessCommand: (request) => vtep.runProcessCommand(request),
        underlay: { socketOverflows: () => vtep.stats.socketOverflows() },
        clients: vtep.controlClients,
      }, log);
      vtep.stops.push(() => servers.stop());
      if (config.membership !== undefined) vtep.membership = await joinAsMember(config.membership, config.underlay, vtep.segmentList, log);
    } catch (err) {
      await vtep.stop();
      throw err;
    }
    vtep.stops.push(startAgeing(vtep.segmentList, vtep.events, log));
    if (config.statsIntervalSeconds > 0) {
      vtep.stops.push(startStatsLog(() => vtep.stats.all(vtep.segmentList), log, config.statsIntervalSeconds * 1000));
    }
    vtep.running = true;
    log.debug({ settleMs: Math.round(settleHeap()) }, 'heap settled');
    return vtep;
  }

  private segment(vni: number): SegmentState | undefined {
    return this.segmentList.find((s) => s.vni === vni);
  }

  /**
   * Logs `ready` per VNI (what supervisors and tests wait for): called once the caller
   * handles SIGTERM, so that a stop asked for right after it is a clean one.
   */
  reportReady(): void {
    const { port, io } = this.config.underlay;
    for (const segment of this.segments) {
      const { config: c, tap } = segment;
      // With membership the store fills the flood list.
      if (c.peers.length === 0 && c.group === undefined && this.config.membership === undefined) {
        this.log.warn({ vni: c.vni }, 'no peer and no group: broadcast, multicast and unknown unicast frames have nowhere to go');
      }
      this.log.info({ tap: tap.name, vni: c.vni, peers: c.peers, group: c.group, port, mtu: c.mtu, mac: formatMac(tap.mac), io, control: controlPath(segment) }, 'ready');
    }
  }

  /** What `vxlan-tap members` shows. */
  members(): Promise<MembersReport> {
    if (this.membership === undefined) throw new RequestError('this VTEP runs without --etcd: it has no members');
    return this.membership.report();
  }

  /** Leaves the store (the record goes at once); the data plane keeps running until stop(). */
  async leave(): Promise<void> {
    await this.membership?.stop();
    this.membership = undefined;
  }

  /** Requests about the whole process rather than one VNI (see PROCESS_COMMANDS). */
  private runProcessCommand(request: ControlRequest): unknown {
    switch (request.cmd) {
      case 'members':
        return this.members();
      case 'handover': // answered once the successor is ready
        return this.handover().then((pid) => ({ pid }));
      default: // 'handover.ready': the successor reads now; we stop and tell it what we counted
        if (this.successorIsReady === undefined) throw new RequestError('no handover is under way');
        return this.dataPath!.stop().then(() => {
          this.successorIsReady!();
          return Object.fromEntries(this.segmentList.map((s) => [s.vni, s.counters.snapshot()]));
        });
    }
  }

  /**
   * Starts the successor (same command line, the installed version), hands it the TAPs
   * and the receiving socket and waits until it has taken the state over and is
   * reading. Resolves with its pid; `handedOver` then tells the caller to stop this
   * process. (The successor binds send sockets of its own, on free source ports.)
   */
  handover(): Promise<number> {
    this.handingOver ??= this.startSuccessor().then(
      (pid) => {
        // After the handover request's answer is written: stopping hangs up on clients.
        setImmediate(() => this.handOver(pid));
        return pid;
      },
      (err: Error) => {
        this.handingOver = undefined;
        this.successorIsReady = undefined;
        this.log.error({ reason: err.message }, 'handover failed; running on');
        // What the asker is told: the reason, not an internal error.
        throw new RequestError(`handover failed: ${err.message}`);
      },
    );
    return this.handingOver;
  }

  /** Spawns the successor with our sockets and resolves with its pid once it is ready. */
  private async startSuccessor(): Promise<number> {
    const udpFds = await this.dataPath!.receiveFds();
    if (udpFds.some((fd) => fd === undefined)) throw new RuntimeError('a handover needs --io native');
    const taps = [];
    for (const s of this.segmentList) {
      const fds = s.queues.map((q) => q.handoverFd());
      if (fds.some((fd) => fd === undefined)) throw new RuntimeError(`TAP device ${s.tapName} cannot be handed over`);
      taps.push({ vni: s.vni, fds: fds as number[], name: s.tapName, control: controlPath(s) });
    }
    const ready = new Promise<void>((resolve) => (this.successorIsReady = resolve));
    this.ports.forwarders.handingOver();
    const child = spawnSuccessor(udpFds as number[], taps, this.ports.forwarders.startedNice());
    this.log.info({ successor: child.pid }, 'handover: successor started');
    return successorReady(child, ready);
  }

  /**
   * Applies a re-read configuration: each VNI's flood list (peers or group) and its
   * configured FDB and neighbour entries change in place, keeping learned entries and
   * runtime changes. Returns what could not be applied: changes that need a restart, and
   * entries that did not fit.
   */
  reload(next: VtepConfig): { needRestart: string[]; problems: string[] } {
    const { needRestart, apply } = planReload(this.config, this.segmentList.map((s) => s.config), next);
    const problems: string[] = [];
    for (const wanted of apply) {
      const segment = this.segment(wanted.vni)!;
      problems.push(...segment.applyConfigured(wanted).map((p) => `VNI ${wanted.vni}: ${p}`));
      Object.assign(segment.config, { peers: wanted.peers, group: wanted.group, fdb: wanted.fdb, neigh: wanted.neigh });
    }
    return { needRestart, problems };
  }

  /** Stops everything; resolves once the data-path workers have ended. */
  stop(): Promise<void> {
    this.limited.flush();
    // Not after a handover: the successor has the state.
    if (this.config.underlay.persist && this.running && this.handingOver === undefined) saveState(this.segmentList, this.log);
    this.running = false;
    for (const stop of this.stops.splice(0).reverse()) stop();
    // Once handed to the workers, the TAP queues close with them.
    if (!this.queuesAttached) for (const segment of this.segmentList) segment.close();
    return this.dataPath?.stop() ?? Promise.resolve();
  }
}
