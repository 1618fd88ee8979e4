// One running VTEP: one underlay (one UDP port) shared by one segment per VNI, and
// everything around them. Packets move through datapath/transmit.ts (TAP -> underlay, per
// segment) and datapath/receive.ts (underlay -> TAPs); this file wires the parts, owns
// their lifetime and hands the process over. Each concern lives in its own module:
//   control/servers.ts  control sockets and metrics   ops/ageing.ts  the FDB ageing sweep
//   ops/stats.ts        what stats shows               config/reload.ts  what a reload changes
//   lifecycle/persist.ts  --persist across a restart   lifecycle/handover.ts  the successor's side
//   membership/vtep-member.ts  this VTEP in the etcd store
import type { Logger } from './ops/log.js';
import type { VtepConfig } from './config/vtep-config.js';
import { planReload } from './config/reload.js';
import { RuntimeError } from './config/errors.js';
import { openTap, Segment } from './datapath/segment.js';
import { Receive } from './datapath/receive.js';
import { startTransmit } from './datapath/transmit.js';
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
import { holdYoungGeneration, settleHeap, warmUp } from './lifecycle/warm-up.js';

/** Control requests any of the process's sockets answers for the whole process. */
const PROCESS_COMMANDS: ReadonlySet<string> = new Set(['members', 'handover', 'handover.ready']);

export class Vtep {
  /** In the order of the configuration; the receive direction finds them by VNI. */
  private readonly segmentList: Segment[] = [];
  private readonly receive: Receive;
  readonly events = new EventHub();
  private readonly controlClients = new ControlClientCounts();
  readonly stats: VtepStats;
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
    this.receive = new Receive(ports.layout.batches.frame);
    this.stats = new VtepStats(this.receive.unclaimed, ports.underlay, this.events, config.underlay.offload !== 'off', this.controlClients);
  }

  get segments(): readonly Segment[] {
    return this.segmentList;
  }

  /**
   * Opens the sockets and TAPs (or takes over a predecessor's: `inheritance`) and
   * starts forwarding, then the control sockets and metrics.
   */
  static async start(config: VtepConfig, ports: VtepPorts, log: Logger, inheritance?: Inheritance): Promise<Vtep> {
    const vtep = new Vtep(config, ports, log);
    const { underlay } = ports;
    holdYoungGeneration();
    // Before any device or socket: the first packets then run optimised code.
    const warmed = warmUp(config.segments[0]!, config.underlay, ports.layout, log);
    // Bind first: a port in use fails before any device exists.
    await underlay.open(vtep.receive.onBatch, (code) => vtep.limited.write('warn', 'receive', { code }, 'receiving from the underlay failed'));
    try {
      for (const settings of config.segments) {
        const inherited = inheritance?.taps.find((t) => t.vni === settings.vni);
        if (inheritance !== undefined && inherited === undefined) throw new RuntimeError(`the predecessor has no VNI ${settings.vni}: a new VNI needs a restart`);
        const tap = openTap(ports.taps, settings, config.underlay, log.child({ vni: settings.vni }), inherited);
        const segment = new Segment(settings, tap, config.underlay, underlay.sourcePorts, vtep.events, log);
        vtep.segmentList.push(segment);
        vtep.receive.add(segment);
      }
      if (inheritance === undefined) {
        if (config.underlay.persist) restoreSavedState(vtep.segmentList, log);
        else discardSavedState(vtep.segmentList, log);
      }
      if (inheritance !== undefined) {
        for (const t of inheritance.taps) await takeStateOver(vtep.receive.segment(t.vni)!, t.control);
        await tellServiceManager(process.pid);
        // The predecessor stops reading, having written all it read, and tells us what it
        // counted: reading starts only then, so no flow is reordered between the two.
        await takeReadingOver(inheritance, (vni) => vtep.receive.segment(vni));
      }
      vtep.startForwarding();
      // The predecessor removes its control sockets as it exits: ours come next.
      if (inheritance !== undefined) await predecessorGone(inheritance);
      const servers = await ControlServers.start(config, vtep.segmentList, vtep.events, {
        stats: (segment) => vtep.stats.segment(segment),
        processCommands: PROCESS_COMMANDS,
        runProcessCommand: (request) => vtep.runProcessCommand(request),
        underlay: ports.underlay,
        clients: vtep.controlClients,
      }, log);
      vtep.stops.push(() => servers.stop());
      if (config.membership !== undefined) vtep.membership = await joinAsMember(config.membership, config.underlay, vtep.segmentList, log);
    } catch (err) {
      vtep.stop();
      throw err;
    }
    vtep.stops.push(startAgeing(vtep.segmentList, vtep.events, log));
    if (config.statsIntervalSeconds > 0) {
      vtep.stops.push(startStatsLog(() => vtep.stats.all(vtep.segmentList), log, config.statsIntervalSeconds * 1000));
    }
    vtep.running = true;
    log.debug({ warmUpFrames: warmed.frames, warmUpMs: Math.round(warmed.ms), settleMs: Math.round(settleHeap()) }, 'data path warmed up, heap settled');
    return vtep;
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
        this.stopForwarding();
        this.successorIsReady();
        return Object.fromEntries(this.segmentList.map((s) => [s.vni, this.stats.segment(s)]));
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
    const udpFd = this.ports.underlay.receiveFd();
    if (udpFd === undefined) throw new RuntimeError('a handover needs --io native');
    const taps = [];
    for (const s of this.segmentList) {
      const fd = s.tap.handoverFd();
      if (fd === undefined) throw new RuntimeError(`TAP device ${s.tapName} cannot be handed over`);
      taps.push({ vni: s.vni, fd, name: s.tapName, control: controlPath(s) });
    }
    const ready = new Promise<void>((resolve) => (this.successorIsReady = resolve));
    const child = spawnSuccessor(udpFd, taps);
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
      const segment = this.receive.segment(wanted.vni)!;
      problems.push(...segment.applyConfigured(wanted).map((p) => `VNI ${wanted.vni}: ${p}`));
      Object.assign(segment.config, { peers: wanted.peers, group: wanted.group, fdb: wanted.fdb, neigh: wanted.neigh });
    }
    return { needRestart, problems };
  }

  /** Starts reading the underlay and every TAP. */
  private startForwarding(): void {
    const { underlay, layout } = this.ports;
    underlay.startReceiving();
    for (const segment of this.segmentList) startTransmit(segment, underlay, layout, (code) => this.fail(`TAP device ${segment.tapName} failed (${code})`));
  }

  /** Stops reading and closes the TAPs and sockets (a successor holds its own copies). */
  private stopForwarding(): void {
    for (const segment of this.segmentList) segment.close();
    this.ports.underlay.close();
  }

  stop(): void {
    this.limited.flush();
    // Not after a handover: the successor has the state.
    if (this.config.underlay.persist && this.running && this.handingOver === undefined) saveState(this.segmentList, this.log);
    this.running = false;
    for (const stop of this.stops.splice(0).reverse()) stop();
    this.stopForwarding();
  }
}
