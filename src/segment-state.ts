// One VNI of a running VTEP as the main thread keeps it: its settings, its TAP (one
// queue per data-path worker), the FDB and neighbour table (the one table every worker
// copies: see datapath/messages.ts), what its configuration put in them, and its
// counters summed over the workers. Packets never pass through here.
import type { Logger } from './ops/log.js';
import { RuntimeError } from './config/errors.js';
import { RateLimitedLog } from './ops/log-rate-limit.js';
import type { ConfiguredNeighbour, SegmentConfig, UnderlayConfig } from './config/vtep-config.js';
import { NeighTable } from './engine/neigh.js';
import type { EventHub } from './control/events.js';
import type { SegmentTables } from './control/segment-tables.js';
import { Counters } from './engine/counters.js';
import { Fdb, isListMac, ZERO_MAC, type FdbState } from './engine/fdb.js';
import { makeRemote, type Remote } from './engine/remote.js';
import { formatMac, parseMac, persistentMac } from './wire/mac.js';
import { namedNetworkNamespace, readMachineId } from './config/system.js';
import type { TapOffloadStats, TapOptions, TapPort, TapPorts } from './datapath/ports.js';
import type { StatsBoard } from './datapath/stats-board.js';

/** The default destinations of a segment: its group, or every peer (the flood list). */
export function floodTargets(config: SegmentConfig): string[] {
  return config.group === undefined ? config.peers : [config.group];
}

interface ConfiguredFdb {
  /** MAC and remote (address, port, VNI) as text: a reload compares by it in linear time. */
  key: string;
  mac: Uint8Array;
  remote: Remote;
  state: FdbState;
}

interface ConfiguredEntries {
  fdb: ConfiguredFdb[];
  neigh: ConfiguredNeighbour[];
}

/** What a segment's configuration puts in its tables: the flood list and the file's entries. */
function configuredEntries(config: SegmentConfig, port: number): ConfiguredEntries {
  // Many entries share a few remotes: each is made once.
  const remotes = new Map<string, Remote>();
  const entry = (mac: string, dst: string, entryPort: number, vni: number | undefined, state: FdbState): ConfiguredFdb => {
    const remoteKey = `${dst} ${entryPort} ${vni ?? ''}`;
    let remote = remotes.get(remoteKey);
    if (remote === undefined) remotes.set(remoteKey, (remote = makeRemote(dst, entryPort, vni)));
    return { key: `${mac} ${remoteKey}`, mac: parseMac(mac)!, remote, state };
  };
  const flood = floodTargets(config).map((dst) => entry(formatMac(ZERO_MAC), dst, port, undefined, 'permanent'));
  const listed = config.fdb.map((e) => entry(e.mac, e.dst, e.port ?? port, e.vni === config.vni ? undefined : e.vni, e.state));
  return { fdb: [...flood, ...listed], neigh: config.neigh };
}

function neighKey(n: ConfiguredNeighbour): string {
  return `${n.ip} ${formatMac(n.lladdr)} ${n.router}`;
}

/** The TAP's persistent MAC; without a machine ID, none (the kernel's random one), said in the log. */
function stableMac(tapName: string, log: Logger): Uint8Array | undefined {
  const machineId = readMachineId();
  if (machineId === undefined) log.warn({ tap: tapName }, 'no /etc/machine-id: the TAP MAC is random; give --mac for a fixed one');
  return machineId === undefined ? undefined : persistentMac(machineId, tapName, namedNetworkNamespace());
}

/**
 * The segment's TAP, one queue per data-path worker: a new device as its settings
 * describe, or the open queues a predecessor handed over (`inherited`), used as they are.
 */
export function openTapQueues(taps: TapPorts, config: SegmentConfig, underlay: UnderlayConfig, log: Logger, inherited?: { fds: number[]; name: string }): TapPort[] {
  const offload = { offload: underlay.offload !== 'off', coalesce: underlay.offload === 'on' };
  const queues = underlay.threads;
  if (inherited !== undefined) {
    if (inherited.fds.length !== queues) throw new RuntimeError(`the predecessor ran ${inherited.fds.length} data-path threads, not ${queues}: changing --threads needs a restart`);
    return inherited.fds.map((fd) => taps.adopt(fd, inherited.name, offload));
  }
  const mac: TapOptions['mac'] = config.mac === 'random' ? undefined : config.mac === 'persistent' ? (name) => stableMac(name, log) : config.mac;
  return taps.open({ name: config.tapName, mtu: config.mtu, mac, addresses: config.addresses, bridge: config.bridge, persist: underlay.persist, queues, ...offload });
}

export class SegmentState implements SegmentTables {
  /** What the configuration put in the tables last, so that a reload removes only that. */
  private configured: ConfiguredEntries = { fdb: [], neigh: [] };
  /** This VNI's log lines about learning (moves), rate-limited. */
  readonly limited: RateLimitedLog;
  readonly fdb: Fdb;
  readonly neighbours = new NeighTable();
  /**
   * Counted here rather than by a worker: a predecessor's counts (handover), and MACs the
   * table had no room for (max-address).
   */
  readonly carried = new Counters();
  /** The VXLAN port: the configured entries' default. */
  private readonly port: number;

  /**
   * `queues`: the TAP, one queue per worker (the first names it). `boards`: where the
   * workers count, this VNI at `index` of each; filled as they start.
   */
  constructor(
    readonly config: SegmentConfig,
    readonly queues: readonly TapPort[],
    readonly index: number,
    private readonly boards: readonly StatsBoard[],
    underlay: UnderlayConfig,
    private readonly events: EventHub,
    log: Logger,
  ) {
    const vniLog = log.child({ vni: config.vni });
    this.limited = new RateLimitedLog(vniLog);
    this.port = underlay.port;
    this.fdb = new Fdb({ learnedPort: underlay.port, ageingMs: config.ageingSeconds * 1000, maxAddress: config.maxAddress });
    for (const problem of this.applyConfigured(config)) vniLog.warn(problem);
  }

  get vni(): number {
    return this.config.vni;
  }

  /** The TAP as its first queue stands for it: name, MAC, offloads. */
  get tap(): TapPort {
    return this.queues[0]!;
  }

  get tapName(): string {
    return this.tap.name;
  }

  /** Every worker's counts of this VNI, and what was carried: summed when read. */
  get counters(): Counters {
    const sum = new Counters();
    for (const board of this.boards) board.addCounters(this.index, sum);
    addCounters(sum, this.carried);
    return sum;
  }

  /** What the offloading TAP readers of every worker did, summed. */
  tapOffloadStats(): TapOffloadStats {
    const sum = { superFrames: 0, segments: 0, dropped: 0 };
    for (const board of this.boards) board.addTap(this.index, sum);
    return sum;
  }

  /**
   * A worker's frames taught its copy that MAC i (macs[6i..]) is behind the VTEP whose
   * 16-byte address is sources[16i..]: the table learns it too (or refuses it: a static
   * entry, max-address), and each change is published and reaches every worker's copy. A
   * refused MAC is marked changed all the same, so that the worker's copy gives it up.
   */
  learn(macs: Uint8Array, sources: Uint8Array, now: number): void {
    for (let i = 0; 6 * i < macs.length; i++) {
      const mac = macs.subarray(6 * i, 6 * i + 6);
      const result = this.fdb.learn(mac, 0, sources, 16 * i, now);
      if (result === 'learned' || result === 'moved') {
        const fields = { mac: formatMac(mac), dst: this.fdb.get(mac)!.remotes[0]?.address };
        if (result === 'moved') this.limited.write('info', 'move', fields, 'fdb entry moved');
        else this.limited.write('debug', 'learn', fields, 'learn');
        this.events.publish({ event: result === 'moved' ? 'move' : 'learn', vni: this.vni, ...fields });
        continue;
      }
      if (result === 'full') this.carried.learnFull++;
      if (result === 'full' || result === 'conflict') this.fdb.onChange(mac);
    }
  }

  /** Learned entries a worker's frames kept fresh: `macs` 6 bytes each, with when (ms). */
  refresh(macs: Uint8Array, times: Float64Array): void {
    for (let i = 0; i < times.length; i++) {
      const entry = this.fdb.lookup(macs, i * 6);
      if (entry !== undefined && entry.state === 'dynamic') entry.updated = Math.max(entry.updated, times[i]!);
    }
  }

  /**
   * Brings the FDB and neighbour table in line with the configuration: what it listed
   * last time and no longer lists is removed (also if changed at runtime since), what is
   * new or changed in it is written. Entries it did not change, entries added at runtime
   * (fdb append, neigh add) and everything learned stay as they are. Returns what could
   * not be written (a full FDB).
   */
  applyConfigured(config: SegmentConfig): string[] {
    const { fdb, neighbours } = this;
    const problems: string[] = [];
    const wanted = configuredEntries(config, this.port);
    const now = Date.now();
    const wantedFdb = new Map(wanted.fdb.map((e) => [e.key, e]));
    const oldFdb = new Map(this.configured.fdb.map((e) => [e.key, e]));
    for (const [key, old] of oldFdb) {
      if (wantedFdb.has(key)) continue;
      // A list (all-zeros, multicast) loses the remote the file listed; a unicast MAC the
      // file listed goes whatever it points to now (a runtime replace included), unless
      // it has been learned since.
      if (isListMac(old.mac)) fdb.delete(old.mac, old.remote);
      else if (fdb.get(old.mac)?.state !== 'dynamic') fdb.delete(old.mac);
    }
    for (const [key, entry] of wantedFdb) {
      if (oldFdb.get(key)?.state === entry.state) continue;
      try {
        fdb.set(entry.mac, entry.remote, entry.state, now);
      } catch (err) {
        problems.push(`fdb ${formatMac(entry.mac)} dst ${entry.remote.address}: ${(err as Error).message}`);
      }
    }
    const wantedIps = new Set(wanted.neigh.map((n) => n.ip));
    for (const old of this.configured.neigh) if (!wantedIps.has(old.ip)) neighbours.delete(old.ip);
    const oldNeigh = new Set(this.configured.neigh.map(neighKey));
    for (const n of wanted.neigh) {
      if (oldNeigh.has(neighKey(n))) continue;
      neighbours.replace(n.ip, n.lladdr, n.router);
    }
    this.configured = wanted;
    return problems;
  }

  /** Closes the TAP queues this thread still holds (each worker closes the one it was given). */
  close(): void {
    for (const queue of this.queues) queue.close();
  }
}

function addCounters(into: Counters, from: Counters): void {
  const to = into as unknown as Record<string, number>;
  for (const [key, value] of Object.entries(from)) if (typeof value === 'number') to[key]! += value;
  for (const [reason, value] of Object.entries(from.drops)) into.drops[reason as keyof Counters['drops']] += value;
}
