// One VNI of a running VTEP: its settings, its TAP port, its engine (FDB, neighbour
// table, counters) and what its configuration put in those tables. Packets do not pass
// through here: transmit.ts and receive.ts move them, in packet order.
import type { Logger } from '../ops/log.js';
import { RateLimitedLog } from '../ops/log-rate-limit.js';
import type { ConfiguredNeighbour, SegmentConfig, UnderlayConfig } from '../config/vtep-config.js';
import { Engine, type EngineEvent } from '../engine/engine.js';
import { NeighTable } from '../engine/neigh.js';
import type { EventHub, VtepEvent } from '../control/events.js';
import type { SegmentTables } from '../control/segment-tables.js';
import type { Counters } from '../engine/counters.js';
import { Fdb, isListMac, ZERO_MAC, type FdbState } from '../engine/fdb.js';
import { makeRemote, type Remote } from '../engine/remote.js';
import { formatMac, parseMac, persistentMac } from '../wire/mac.js';
import { namedNetworkNamespace, readMachineId } from '../config/system.js';
import type { TapOptions, TapPort, TapPorts } from './ports.js';

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
 * The segment's TAP: a new one as its settings describe, or the open one a predecessor
 * handed over (`inherited`), used as it is.
 */
export function openTap(taps: TapPorts, config: SegmentConfig, underlay: UnderlayConfig, log: Logger, inherited?: { fd: number; name: string }): TapPort {
  const offload = { offload: underlay.offload !== 'off', coalesce: underlay.offload === 'on' };
  if (inherited !== undefined) return taps.adopt(inherited.fd, inherited.name, offload);
  const mac: TapOptions['mac'] = config.mac === 'random' ? undefined : config.mac === 'persistent' ? (name) => stableMac(name, log) : config.mac;
  return taps.open({ name: config.tapName, mtu: config.mtu, mac, addresses: config.addresses, bridge: config.bridge, persist: underlay.persist, ...offload });
}

export class Segment implements SegmentTables {
  /** What the configuration put in the tables last, so that a reload removes only that. */
  private configured: ConfiguredEntries = { fdb: [], neigh: [] };
  /** This VNI's warnings about its packets (moves, refused sends and writes), rate-limited. */
  readonly limited: RateLimitedLog;
  readonly engine: Engine;
  /** The VXLAN port: the configured entries' default. */
  private readonly port: number;

  /**
   * `sourcePorts`: the underlay's bound UDP source ports, one picked per inner flow.
   * Learning and misses are published to `events`.
   */
  constructor(
    readonly config: SegmentConfig,
    readonly tap: TapPort,
    underlay: UnderlayConfig,
    sourcePorts: readonly number[],
    events: EventHub,
    log: Logger,
  ) {
    const vni = config.vni;
    const vniLog = log.child({ vni });
    this.limited = new RateLimitedLog(vniLog);
    this.port = underlay.port;
    const report = (event: EngineEvent): void => {
      const published: VtepEvent =
        event.kind === 'l2miss'
          ? { event: 'l2miss', vni, mac: event.mac }
          : event.kind === 'l3miss'
            ? { event: 'l3miss', vni, ip: event.ip }
            : { event: event.kind === 'moved' ? 'move' : 'learn', vni, mac: formatMac(event.entry.mac), dst: event.entry.remotes[0]?.address };
      // The child logger carries the VNI: each line names it once.
      const { vni: _vni, event: kind, ...fields } = published;
      if (kind === 'move') this.limited.write('info', kind, fields, 'fdb entry moved');
      else this.limited.write('debug', kind, fields, kind);
      events.publish(published);
    };
    const fdb = new Fdb({ learnedPort: underlay.port, ageingMs: config.ageingSeconds * 1000, maxAddress: config.maxAddress });
    const { learning, proxy, l2miss, l3miss } = config;
    const { acceptFrom, outer } = underlay;
    const ownAddresses = config.addresses.map((a) => a.address);
    this.engine = new Engine({ vni, ownMac: tap.mac, learning, proxy, l2miss, l3miss, ownAddresses, outer, sourcePorts, acceptFrom }, fdb, new NeighTable(), report);
    for (const problem of this.applyConfigured(config)) vniLog.warn(problem);
  }

  get vni(): number {
    return this.config.vni;
  }

  get tapName(): string {
    return this.tap.name;
  }

  get fdb(): Fdb {
    return this.engine.fdb;
  }

  get neighbours(): NeighTable {
    return this.engine.neighbours;
  }

  get counters(): Counters {
    return this.engine.counters;
  }

  /**
   * Brings the FDB and neighbour table in line with the configuration: what it listed
   * last time and no longer lists is removed (also if changed at runtime since), what is
   * new or changed in it is written. Entries it did not change, entries added at runtime
   * (fdb append, neigh add) and everything learned stay as they are. Returns what could
   * not be written (a full FDB).
   */
  applyConfigured(config: SegmentConfig): string[] {
    const { fdb, neighbours } = this.engine;
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

  close(): void {
    this.tap.close();
  }
}
