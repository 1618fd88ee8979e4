// One VNI of a running VTEP: its TAP, its engine and FDB, and the owner of its transmit
// direction. Frames (or trains of segments cut from a TCP super-frame) read from the TAP
// are encapsulated by the engine, which writes every VXLAN header, and handed to the
// shared underlay; datagrams the demultiplexer routes here are decapsulated into
// `deliveries` and written to the TAP once per batch. The edges move bytes as they are.
//   TAP --batch--> region --engine.encap--> sends --transport.send--> UDP
//   UDP --batch--> region --demux, engine.decap--> deliveries --TAP writes--> TAP
import type { Logger } from '../ops/log.js';
import { RateLimitedLog } from '../ops/log-rate-limit.js';
import type { ConfiguredNeighbour, SegmentConfig, UnderlayConfig } from '../config/vtep-config.js';
import { DatagramBatch, FrameBatch } from '../engine/batch.js';
import type { RxTarget } from '../engine/demux.js';
import { Engine, type EngineEvent } from '../engine/engine.js';
import { NeighTable } from '../engine/neigh.js';
import type { EventHub, VtepEvent } from '../control/events.js';
import type { SegmentTables } from '../control/segment-tables.js';
import type { Counters } from '../engine/counters.js';
import { Fdb, isListMac, ZERO_MAC, type FdbState } from '../engine/fdb.js';
import { makeRemote, type Remote } from '../engine/remote.js';
import { TapDevice } from '../io/tap.js';
import type { UnderlayTransport } from '../io/transport.js';
import { VXLAN_HEADER_LEN } from '../wire/vxlan.js';
import { formatMac, parseMac, persistentMac } from '../wire/mac.js';
import { namedNetworkNamespace, readMachineId } from '../config/system.js';

export const BATCH = 64;
// Room for an inner Ethernet header with two VLAN tags beyond the MTU.
const FRAME_OVERHEAD = 14 + 8;
// What the offloading TAP reader packs a batch into: about sixteen 64 KB super-frames cut
// into trains (a train that does not fit continues in the next batch).
const OFFLOAD_REGION_BYTES = 1 << 20;
// Frames decapsulated per TAP write call at most: a batch of GRO trains holds many.
const DELIVERIES = 1024;

/** The largest VXLAN datagram (header and inner frame) for a TAP of this MTU. */
export function datagramCapacity(mtu: number): number {
  return VXLAN_HEADER_LEN + mtu + FRAME_OVERHEAD;
}

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

/** The all-zeros MAC or a group: a list of remotes, changed with append and del. */

function neighKey(n: ConfiguredNeighbour): string {
  return `${n.ip} ${n.lladdr} ${n.router}`;
}

/** The TAP's persistent MAC; without a machine ID, none (the kernel's random one), said in the log. */
function stableMac(tapName: string, log: Logger): Uint8Array | undefined {
  const machineId = readMachineId();
  if (machineId === undefined) log.warn({ tap: tapName }, 'no /etc/machine-id: the TAP MAC is random; give --mac for a fixed one');
  return machineId === undefined ? undefined : persistentMac(machineId, tapName, namedNetworkNamespace());
}

export class Segment implements RxTarget, SegmentTables {
  /** Frames decapsulated for this TAP during the current receive batch. */
  readonly deliveries = new FrameBatch(DELIVERIES);
  /** What the configuration put in the tables last, so that a reload removes only that. */
  private configured: ConfiguredEntries = { fdb: [], neigh: [] };

  private constructor(
    readonly config: SegmentConfig,
    readonly tap: TapDevice,
    readonly engine: Engine,
    private readonly port: number,
    private readonly limited: RateLimitedLog,
  ) {}

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
   * `onFailure` hears once that the TAP failed (deleted from outside, EIO): reading has
   * stopped. `inheritedTap`: the open TAP a predecessor handed over, used as it is.
   */
  static open(
    config: SegmentConfig,
    underlay: UnderlayConfig,
    transport: UnderlayTransport,
    events: EventHub,
    log: Logger,
    onFailure: (reason: string) => void,
    inheritedTap?: { fd: number; name: string },
  ): Segment {
    const vniLog = log.child({ vni: config.vni });
    const offload = { offload: underlay.offload !== 'off', coalesce: underlay.offload === 'on' };
    const mac = config.mac === 'random' ? undefined : config.mac === 'persistent' ? (name: string) => stableMac(name, vniLog) : config.mac;
    const tap =
      inheritedTap === undefined
        ? TapDevice.open({ name: config.tapName, mtu: config.mtu, mac, addresses: config.addresses, bridge: config.bridge, persist: underlay.persist, ...offload })
        : TapDevice.adopt(inheritedTap.fd, inheritedTap.name, offload);
    const fdb = new Fdb({ learnedPort: underlay.port, ageingMs: config.ageingSeconds * 1000, maxAddress: config.maxAddress });
    const vni = config.vni;
    const limited = new RateLimitedLog(vniLog);
    const report = (event: EngineEvent): void => {
      const published: VtepEvent =
        event.kind === 'l2miss'
          ? { event: 'l2miss', vni, mac: event.mac }
          : event.kind === 'l3miss'
            ? { event: 'l3miss', vni, ip: event.ip }
            : { event: event.kind === 'moved' ? 'move' : 'learn', vni, mac: formatMac(event.entry.mac), dst: event.entry.remotes[0]?.address };
      // The child logger carries the VNI: each line names it once.
      const { vni: _vni, event: kind, ...fields } = published;
      if (kind === 'move') limited.write('info', kind, fields, 'fdb entry moved');
      else limited.write('debug', kind, fields, kind);
      events.publish(published);
    };
    const { learning, proxy, l2miss, l3miss } = config;
    const sourcePorts = transport.sourcePorts;
    const { acceptFrom } = underlay;
    const engine = new Engine({ vni, ownMac: tap.mac, learning, proxy, l2miss, l3miss, outer: underlay.outer, sourcePorts, acceptFrom }, fdb, new NeighTable(), report);
    const segment = new Segment(config, tap, engine, underlay.port, limited);
    for (const problem of segment.applyConfigured(config)) vniLog.warn(problem);
    segment.startTransmitting(transport, (code) => onFailure(`TAP device ${tap.name} failed (${code})`));
    return segment;
  }

  /** TAP -> engine -> underlay: one engine call per frame or train, one send per batch. */
  private startTransmitting(transport: UnderlayTransport, onFailure: (code: string) => void): void {
    const { tap, engine } = this;
    const frameCapacity = this.config.mtu + FRAME_OVERHEAD;
    const region = new ArrayBuffer(tap.offload ? OFFLOAD_REGION_BYTES : BATCH * (datagramCapacity(this.config.mtu) + 8));
    const bytes = new Uint8Array(region);
    const reads = new DatagramBatch(BATCH);
    const sends = new DatagramBatch(BATCH * Math.max(1, this.config.peers.length));
    sends.flush = () => {
      const sendErrors = transport.sendErrors;
      transport.send(bytes, sends);
      sends.reset();
      const refused = transport.sendErrors - sendErrors;
      if (refused > 0) this.limited.write('warn', 'send', { refused }, 'the underlay refused datagrams');
    };
    const proxyReplies = new FrameBatch(BATCH);
    tap.startReading(region, reads, frameCapacity, (count) => {
      for (let i = 0; i < count; i++) engine.encap(bytes, reads.offset(i), reads.length(i), reads.segment(i), sends, proxyReplies);
      sends.flush();
      if (proxyReplies.count > 0) {
        tap.writeFrames(bytes, proxyReplies);
        proxyReplies.reset();
      }
    }, onFailure);
  }

  /**
   * Brings the FDB and neighbour table in line with the configuration: what it listed
   * last time and no longer lists is removed (also if changed at runtime since), what is
   * new or changed in it is written. Entries it did not change, entries added at runtime
   * (fdb append, neigh add) and everything learned stay as they are. Returns what could not be written (a full FDB).
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
      neighbours.replace(n.ip, parseMac(n.lladdr)!, n.router);
    }
    this.configured = wanted;
    return problems;
  }

  /**
   * Writes this batch's decapsulated frames to the TAP and empties the list. What the
   * TAP refused (its queue full) is counted as dropped, so the counters still add up.
   */
  flush(buf: Uint8Array): void {
    const frames = this.deliveries;
    if (frames.count === 0) return;
    if (this.tap.writeFrames(buf, frames) < frames.count) {
      let refused = 0;
      let bytes = 0;
      for (let i = 0; i < frames.count; i++) {
        const length = frames.length(i);
        if (length >= 0) continue;
        refused++;
        bytes -= length;
      }
      this.engine.refusedByTap(refused, bytes);
      this.limited.write('warn', 'tapWrite', { tap: this.tap.name, refused }, 'the TAP refused frames');
    }
    frames.reset();
  }

  close(): void {
    this.tap.close();
  }
}
