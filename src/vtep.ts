// One running VTEP: one underlay transport (one UDP port) shared by one segment per VNI.
// Received datagrams are routed to their segment by VNI (the demultiplexer owns that
// direction); each segment's TAP feeds the shared transport. Also runs the ageing sweep,
// the stats log and config reloads.
import type { Logger } from './log.js';
import type { VtepConfig } from './config/vtep-config.js';
import { planReload } from './config/reload.js';
import { Demux } from './engine/demux.js';
import { Segment } from './segment.js';
import type { UnderlayTransport } from './io/transport.js';
import { formatMac } from './vxlan/mac.js';
import { startStatsLog } from './control/stats-log.js';
import { EventHub } from './control/events.js';
import { ControlServer, defaultControlPath } from './control/server.js';
import { MetricsServer } from './control/metrics.js';
import { RateLimitedLog } from './log-rate-limit.js';
import { RuntimeError } from './config/errors.js';
import { applySnapshot, savedStatePath, saveSnapshot, snapshotOf, takeSavedSnapshot } from './state-snapshot.js';
import { relieve, spawnSuccessor, successorReady, takeStateOver, tellServiceManager, type Inheritance } from './handover.js';
import { RequestError, runCommand, type ControlRequest } from './control/commands.js';
import { Membership, type MembersReport } from './membership/membership.js';
import { SegmentSink } from './membership/segment-sink.js';
import { underlayAddress } from './membership/underlay-address.js';
import type { MemberRecord } from './membership/record.js';

const SWEEP_INTERVAL_MS = 10_000;
/** Control requests any of the process's sockets answers for the whole process. */
const PROCESS_COMMANDS = new Set(['members', 'handover', 'handover.ready']);

export class Vtep {
  private readonly byVni = new Map<number, Segment>();
  /** The same segments as a plain array: iterating it per batch allocates nothing. */
  private segmentList: Segment[] = [];
  private readonly demux = new Demux();
  readonly events = new EventHub();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopStatsLog: (() => void) | undefined;
  private readonly controls: ControlServer[] = [];
  private metrics: MetricsServer | undefined;
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
    private config: VtepConfig,
    private readonly transport: UnderlayTransport,
    private readonly log: Logger,
  ) {
    this.limited = new RateLimitedLog(log);
  }

  get segments(): readonly Segment[] {
    return this.segmentList;
  }

  /**
   * Opens the sockets and TAPs (or takes over a predecessor's: `inheritance`) and
   * starts forwarding, then the control sockets and metrics.
   */
  static async start(config: VtepConfig, transport: UnderlayTransport, log: Logger, inheritance?: Inheritance): Promise<Vtep> {
    const vtep = new Vtep(config, transport, log);
    // Bind first: a port in use fails before any device exists.
    await transport.open(
      (buf, batch, count) => vtep.demux.rx(buf, batch, count, Date.now()),
      (code) => vtep.limited.write('warn', 'receive', { code }, 'receiving from the underlay failed'),
    );
    try {
      for (const settings of config.segments) {
        const inherited = inheritance?.taps.find((t) => t.vni === settings.vni);
        if (inheritance !== undefined && inherited === undefined) throw new RuntimeError(`the predecessor has no VNI ${settings.vni}: a new VNI needs a restart`);
        const segment = Segment.open(settings, config.underlay, transport, vtep.events, log, (reason) => vtep.fail(reason), inherited);
        vtep.byVni.set(settings.vni, segment);
        vtep.demux.add(settings.vni, segment);
      }
      vtep.segmentList = [...vtep.byVni.values()];
      if (config.underlay.persist && inheritance === undefined) vtep.restoreSavedState();
      if (inheritance !== undefined) {
        for (const t of inheritance.taps) await takeStateOver(vtep.byVni.get(t.vni)!, t.control);
        await tellServiceManager(process.pid);
        // The predecessor stops reading and removes its control sockets: ours come next.
        await relieve(inheritance);
      }
      for (const segment of vtep.segmentList) {
        const socketPath = vtep.controlPath(segment);
        const ctx = { segment, port: config.underlay.port, family: config.underlay.family, stats: () => vtep.segmentStats(segment) };
        const vni = segment.config.vni;
        vtep.controls.push(
          await ControlServer.start(socketPath, {
            run: (request) => (PROCESS_COMMANDS.has(request.cmd) ? vtep.runProcessCommand(request) : runCommand(request, ctx)),
            subscribe: (send) => vtep.events.subscribe((event) => event.vni === vni && send(event)),
            cutOff: (lost) => {
              vtep.events.cutOff++;
              vtep.events.lost += lost;
            },
          }),
        );
      }
      if (config.metrics !== undefined) vtep.metrics = await MetricsServer.start(config.metrics, () => vtep.segmentList, log);
      if (config.membership !== undefined) await vtep.join();
    } catch (err) {
      vtep.stop();
      throw err;
    }
    vtep.startTimers();
    vtep.running = true;
    return vtep;
  }

  /** Registers in etcd and starts programming every segment from the other members. */
  private async join(): Promise<void> {
    const membership = this.config.membership!;
    const { local, family, port } = this.config.underlay;
    const underlay = await underlayAddress(local, membership.endpoints[0]!, family);
    this.log.info({ address: underlay.address, from: underlay.from }, 'membership underlay address');
    const self: MemberRecord = {
      address: underlay.address,
      port,
      kind: 'vxlan-tap',
      vnis: this.segmentList.map((s) => ({ vni: s.config.vni, mac: formatMac(s.tap.mac), addresses: s.config.addresses.map((a) => a.address) })),
    };
    const targets = this.segmentList.map((segment) => ({ vni: segment.config.vni, sink: new SegmentSink(segment.engine) }));
    this.membership = Membership.start(membership, self, targets, this.log);
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

  private startTimers(): void {
    const ageing = Math.min(...this.segments.map((s) => s.config.ageingSeconds).filter((a) => a > 0));
    if (Number.isFinite(ageing)) {
      const sweep = (): void => {
        for (const segment of this.byVni.values()) {
          for (const entry of segment.engine.fdb.sweep(Date.now())) {
            const event = { event: 'age' as const, vni: segment.config.vni, mac: formatMac(entry.mac), dst: entry.remotes[0]?.address };
            this.log.debug(event, 'fdb entry aged out');
            this.events.publish(event);
          }
        }
      };
      this.timers.push(setInterval(sweep, Math.min(SWEEP_INTERVAL_MS, ageing * 1000)));
    }
    if (this.config.statsIntervalSeconds > 0) {
      this.stopStatsLog = startStatsLog(() => this.statsSnapshot(), this.log, this.config.statsIntervalSeconds * 1000);
    }
  }

  /** --persist: the state the last stop saved, back in the tables. */
  private restoreSavedState(): void {
    for (const segment of this.segmentList) {
      const snapshot = takeSavedSnapshot(savedStatePath(this.controlPath(segment)));
      if (snapshot === undefined) continue;
      applySnapshot(segment, snapshot);
      this.log.info({ vni: segment.config.vni, fdb: snapshot.fdb.length, neigh: snapshot.neigh.length }, 'saved state restored');
    }
  }

  /** --persist: the state to restore at the next start (not after a handover: the successor has it). */
  private saveState(): void {
    for (const segment of this.segmentList) {
      try {
        saveSnapshot(savedStatePath(this.controlPath(segment)), snapshotOf(segment));
      } catch (err) {
        this.log.error({ vni: segment.config.vni, reason: (err as Error).message }, 'cannot save the state');
      }
    }
  }

  /**
   * Logs `ready` per VNI (what supervisors and tests wait for): called once the caller
   * handles SIGTERM, so that a stop asked for right after it is a clean one.
   */
  reportReady(): void {
    const { port, io } = this.config.underlay;
    for (const segment of this.segments) {
      const { config: c, tap } = segment;
      if (c.peers.length === 0 && c.group === undefined) {
        this.log.warn({ vni: c.vni }, 'no peer and no group: broadcast, multicast and unknown unicast frames have nowhere to go');
      }
      const control = this.controlPath(segment);
      this.log.info({ tap: tap.name, vni: c.vni, peers: c.peers, group: c.group, port, mtu: c.mtu, mac: formatMac(tap.mac), io, control }, 'ready');
    }
  }

  private controlPath(segment: Segment): string {
    return segment.config.control ?? defaultControlPath(segment.tap.name);
  }

  /** Requests about the whole process rather than one VNI (see PROCESS_COMMANDS). */
  private runProcessCommand(request: ControlRequest): unknown {
    switch (request.cmd) {
      case 'members':
        return this.members();
      case 'handover': // answered once the successor is ready
        return this.handover().then((pid) => ({ pid }));
      default: // 'handover.ready'
        this.successorIsReady?.();
        return null;
    }
  }

  /**
   * Starts the successor (same command line, the installed version), hands it the TAPs
   * and the receiving socket and waits until it has taken the state over and is
   * reading. Resolves with its pid; `handedOver` then tells the caller to stop this
   * process. (The successor binds send sockets of its own, on free source ports.)
   */
  handover(): Promise<number> {
    if (this.handingOver !== undefined) return this.handingOver;
    const udpFd = this.transport.receiveFd();
    if (udpFd === undefined) return Promise.reject(new RuntimeError('a handover needs --io native'));
    const taps = this.segmentList.map((s) => ({ vni: s.config.vni, fd: s.tap.fd, name: s.tap.name, control: this.controlPath(s) }));
    const ready = new Promise<void>((resolve) => (this.successorIsReady = resolve));
    const child = spawnSuccessor(udpFd, taps);
    this.log.info({ successor: child.pid }, 'handover: successor started');
    this.handingOver = successorReady(child, ready).then(
      (pid) => {
        // After the handover request's answer is written: stopping hangs up on clients.
        setImmediate(() => this.handOver(pid));
        return pid;
      },
      (err: Error) => {
        this.handingOver = undefined;
        this.successorIsReady = undefined;
        this.log.error({ reason: err.message }, 'handover failed; running on');
        throw err;
      },
    );
    return this.handingOver;
  }

  /** What `vxlan-tap stats` shows for one VNI. */
  segmentStats(segment: Segment): Record<string, unknown> {
    return {
      tap: segment.tap.name,
      vni: segment.config.vni,
      ...segment.engine.counters.snapshot(),
      fdbEntries: segment.engine.fdb.size,
      ...(segment.tap.offload ? { offload: segment.tap.offloadStats() } : {}),
      unclaimed: this.demux.unclaimed.drops,
      sendErrors: this.transport.sendErrors,
      receiveErrors: this.transport.receiveErrors,
      ...(this.config.underlay.offload !== 'off' ? { underlay: this.transport.offloadStats() } : {}),
      monitor: { lost: this.events.lost, cutOff: this.events.cutOff },
    };
  }

  statsSnapshot(): Record<string, unknown> {
    return {
      vnis: Object.fromEntries(this.segments.map((s) => [s.config.vni, s.engine.counters.snapshot()])),
      unclaimed: this.demux.unclaimed.drops,
      sendErrors: this.transport.sendErrors,
      receiveErrors: this.transport.receiveErrors,
    };
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
      const segment = this.byVni.get(wanted.vni)!;
      problems.push(...segment.applyConfigured(wanted).map((p) => `VNI ${wanted.vni}: ${p}`));
      Object.assign(segment.config, { peers: wanted.peers, group: wanted.group, fdb: wanted.fdb, neigh: wanted.neigh });
    }
    return { needRestart, problems };
  }

  stop(): void {
    this.limited.flush();
    if (this.config.underlay.persist && this.running && this.handingOver === undefined) this.saveState();
    this.running = false;
    for (const timer of this.timers) clearInterval(timer);
    this.stopStatsLog?.();
    for (const control of this.controls) control.stop();
    this.metrics?.stop();
    for (const segment of this.byVni.values()) segment.close();
    this.transport.close();
  }
}
