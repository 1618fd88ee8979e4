// One running VTEP: wires the TAP, the pool, the engine and the underlay together.
// Data flows one way per direction:
//   TAP --batch--> pool slots --engine.encap--> SendList --transport.send--> UDP
//   UDP --batch--> datagrams  --engine.decap--> DeliverList --TAP writes--> TAP
import type { Logger } from './log.js';
import type { VtepConfig } from './config/vtep-config.js';
import { DeliverList, SendList } from './engine/batch.js';
import { Engine, type FdbEvent } from './engine/engine.js';
import { Fdb } from './engine/fdb.js';
import { makeRemote } from './engine/remote.js';
import { ZERO_MAC } from './engine/fdb.js';
import { Pool } from './io/pool.js';
import { TapDevice } from './io/tap.js';
import type { UnderlayTransport } from './io/transport.js';
import { VXLAN_HEADER_LEN } from './vxlan/header.js';
import { formatMac } from './vxlan/mac.js';
import { startStatsLog } from './control/stats-log.js';

export const BATCH = 64;
const SWEEP_INTERVAL_MS = 10_000;
// Room for an inner Ethernet header with two VLAN tags beyond the MTU.
const FRAME_OVERHEAD = 14 + 8;

/** The largest VXLAN datagram (header and inner frame) a VTEP with this MTU handles. */
export function datagramCapacity(mtu: number): number {
  return VXLAN_HEADER_LEN + mtu + FRAME_OVERHEAD;
}

export class Vtep {
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopStatsLog: (() => void) | undefined;

  private constructor(
    readonly tap: TapDevice,
    readonly engine: Engine,
    private readonly transport: UnderlayTransport,
  ) {}

  static async start(config: VtepConfig, transport: UnderlayTransport, log: Logger): Promise<Vtep> {
    const deliver = new DeliverList(BATCH);
    let vtep: Vtep | undefined;
    // Bind first: a port in use fails before any device exists.
    await transport.open((buf, offsets, lengths, sources, tos, count) => {
      if (vtep === undefined) return;
      const { engine, tap } = vtep;
      const now = Date.now();
      deliver.reset();
      for (let i = 0; i < count; i++) engine.decap(buf, offsets[i]!, lengths[i]!, sources, i * 16, tos[i]!, now, deliver);
      tap.writeFrames(buf, deliver);
    });
    let tap: TapDevice;
    try {
      tap = TapDevice.open({ name: config.tapName, mtu: config.mtu, mac: config.mac, addresses: config.addresses, bridge: config.bridge });
    } catch (err) {
      transport.close();
      throw err;
    }
    const fdb = new Fdb({ learnedPort: config.port, ageingMs: config.ageingSeconds * 1000 });
    const now = Date.now();
    // The default destinations: the group, or every peer (the unicast flood list).
    for (const dst of config.group === undefined ? config.peers : [config.group]) {
      fdb.append(ZERO_MAC, makeRemote(dst, config.port), 'permanent', now);
    }
    const logFdbEvent = ({ kind, entry }: FdbEvent): void => {
      const fields = { mac: formatMac(entry.mac), dst: entry.remotes[0]?.address };
      if (kind === 'moved') log.info(fields, 'fdb entry moved');
      else log.debug(fields, 'fdb entry learned');
    };
    const engine = new Engine({ vni: config.vni, ownMac: tap.mac, learning: config.learning, outer: config.outer }, fdb, logFdbEvent);
    vtep = new Vtep(tap, engine, transport);

    const pool = new Pool(datagramCapacity(config.mtu), BATCH);
    const sends = new SendList(BATCH * Math.max(1, config.peers.length));
    tap.startReading(pool, BATCH, (offsets, lengths, count) => {
      sends.reset();
      for (let i = 0; i < count; i++) engine.encap(pool.bytes, offsets[i]!, lengths[i]!, sends);
      transport.send(pool.bytes, sends);
    });

    if (config.ageingSeconds > 0) {
      const interval = Math.min(SWEEP_INTERVAL_MS, config.ageingSeconds * 1000);
      vtep.sweepTimer = setInterval(() => {
        for (const entry of fdb.sweep(Date.now())) log.debug({ mac: formatMac(entry.mac) }, 'fdb entry aged out');
      }, interval);
    }
    if (config.statsIntervalSeconds > 0) {
      vtep.stopStatsLog = startStatsLog(engine.counters, () => transport.sendErrors, log, config.statsIntervalSeconds * 1000);
    }
    if (config.peers.length === 0 && config.group === undefined) {
      log.warn('neither --peer nor --group given: broadcast, multicast and unknown unicast frames have nowhere to go');
    }
    log.info(
      { tap: tap.name, vni: config.vni, peers: config.peers, group: config.group, port: config.port, mtu: config.mtu, mac: formatMac(tap.mac), io: config.io },
      'ready',
    );
    return vtep;
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.stopStatsLog?.();
    this.tap.close();
    this.transport.close();
  }
}
