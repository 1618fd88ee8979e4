// One VNI of a running VTEP: its TAP, its pool, its engine and FDB. Frames read from
// the TAP are encapsulated and handed to the shared underlay; datagrams the VTEP routes
// here are decapsulated into `deliveries` and written to the TAP once per batch.
//   TAP --batch--> pool slots --engine.encap--> SendList --transport.send--> UDP
//   UDP --batch--> datagrams  --engine.decap--> deliveries --TAP writes--> TAP
import type { Logger } from './log.js';
import type { SegmentConfig, UnderlayConfig } from './config/vtep-config.js';
import { DeliverList, SendList } from './engine/batch.js';
import { Engine, type EngineEvent } from './engine/engine.js';
import { NeighTable } from './engine/neigh.js';
import type { EventHub, VtepEvent } from './control/events.js';
import { Fdb, ZERO_MAC } from './engine/fdb.js';
import { makeRemote, sameRemote } from './engine/remote.js';
import { Pool } from './io/pool.js';
import { TapDevice } from './io/tap.js';
import type { UnderlayTransport } from './io/transport.js';
import { VXLAN_HEADER_LEN } from './vxlan/header.js';
import { formatMac } from './vxlan/mac.js';

export const BATCH = 64;
// Room for an inner Ethernet header with two VLAN tags beyond the MTU.
const FRAME_OVERHEAD = 14 + 8;

/** The largest VXLAN datagram (header and inner frame) for a TAP of this MTU. */
export function datagramCapacity(mtu: number): number {
  return VXLAN_HEADER_LEN + mtu + FRAME_OVERHEAD;
}

/** The default destinations of a segment: its group, or every peer (the flood list). */
export function floodTargets(config: SegmentConfig): string[] {
  return config.group === undefined ? config.peers : [config.group];
}

export class Segment {
  /** Frames decapsulated for this TAP during the current receive batch. */
  readonly deliveries = new DeliverList(BATCH);

  private constructor(
    readonly config: SegmentConfig,
    readonly tap: TapDevice,
    readonly engine: Engine,
    private readonly port: number,
  ) {}

  static open(config: SegmentConfig, underlay: UnderlayConfig, transport: UnderlayTransport, events: EventHub, log: Logger): Segment {
    const tap = TapDevice.open({
      name: config.tapName,
      mtu: config.mtu,
      mac: config.mac,
      addresses: config.addresses,
      bridge: config.bridge,
      offload: underlay.offload,
    });
    const fdb = new Fdb({ learnedPort: underlay.port, ageingMs: config.ageingSeconds * 1000, maxAddress: config.maxAddress });
    const vni = config.vni;
    const vniLog = log.child({ vni });
    const report = (event: EngineEvent): void => {
      const published: VtepEvent =
        event.kind === 'l2miss'
          ? { event: 'l2miss', vni, mac: event.mac }
          : event.kind === 'l3miss'
            ? { event: 'l3miss', vni, ip: event.ip }
            : { event: event.kind === 'moved' ? 'move' : 'learn', vni, mac: formatMac(event.entry.mac), dst: event.entry.remotes[0]?.address };
      if (published.event === 'move') vniLog.info(published, 'fdb entry moved');
      else vniLog.debug(published, published.event);
      events.publish(published);
    };
    const { learning, proxy, l2miss, l3miss } = config;
    const engine = new Engine({ vni, ownMac: tap.mac, learning, proxy, l2miss, l3miss, outer: underlay.outer }, fdb, new NeighTable(), report);
    const segment = new Segment(config, tap, engine, underlay.port);
    segment.setFloodTargets(floodTargets(config));

    const pool = new Pool(datagramCapacity(config.mtu), BATCH);
    const sends = new SendList(BATCH * Math.max(1, config.peers.length));
    const proxyReplies = new DeliverList(BATCH);
    tap.startReading(pool, BATCH, (offsets, lengths, count) => {
      sends.reset();
      for (let i = 0; i < count; i++) engine.encap(pool.bytes, offsets[i]!, lengths[i]!, sends, proxyReplies);
      transport.send(pool.bytes, sends);
      if (proxyReplies.count > 0) {
        tap.writeFrames(pool.bytes, proxyReplies);
        proxyReplies.reset();
      }
    });
    return segment;
  }

  /**
   * Makes the all-zeros entry hold exactly these destinations: new ones appended, gone
   * ones removed, the rest (and everything learned) untouched.
   */
  setFloodTargets(addresses: string[]): void {
    const fdb = this.engine.fdb;
    const wanted = addresses.map((a) => makeRemote(a, this.port));
    const current = fdb.defaultEntry()?.remotes ?? [];
    for (const remote of current) if (!wanted.some((w) => sameRemote(w, remote))) fdb.delete(ZERO_MAC, remote);
    for (const remote of wanted) fdb.append(ZERO_MAC, remote, 'permanent', Date.now());
  }

  /** Writes this batch's decapsulated frames to the TAP and empties the list. */
  flush(buf: Uint8Array): void {
    if (this.deliveries.count === 0) return;
    this.tap.writeFrames(buf, this.deliveries);
    this.deliveries.reset();
  }

  close(): void {
    this.tap.close();
  }
}
