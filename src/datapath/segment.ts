// One VNI in one data-path worker: its settings, its TAP queue and its engine, whose FDB
// and neighbour table are this worker's copies of the main thread's (see messages.ts).
// Packets do not pass through here: transmit.ts and receive.ts move them, in packet order.
import type { Logger } from '../ops/log.js';
import { RateLimitedLog } from '../ops/log-rate-limit.js';
import type { SegmentConfig, UnderlayConfig } from '../config/vtep-config.js';
import { Engine, type EngineEvent } from '../engine/engine.js';
import { NeighTable } from '../engine/neigh.js';
import type { Counters } from '../engine/counters.js';
import { Fdb } from '../engine/fdb.js';
import type { TapPort } from './ports.js';

export class Segment {
  /** This VNI's warnings about its packets (refused sends and writes), rate-limited. */
  readonly limited: RateLimitedLog;
  readonly engine: Engine;

  /**
   * `sourcePorts`: the underlay's bound UDP source ports, one picked per inner flow.
   * `report` hears of learning and misses.
   */
  constructor(
    readonly config: SegmentConfig,
    readonly tap: TapPort,
    underlay: UnderlayConfig,
    sourcePorts: readonly number[],
    report: (event: EngineEvent) => void,
    log: Logger,
  ) {
    this.limited = new RateLimitedLog(log.child({ vni: config.vni }));
    // The main thread's table ages entries and holds the max-address limit: a copy neither.
    const fdb = new Fdb({ learnedPort: underlay.port, ageingMs: 0 });
    const { vni, learning, proxy, l2miss, l3miss } = config;
    const { acceptFrom, outer } = underlay;
    const ownAddresses = config.addresses.map((a) => a.address);
    this.engine = new Engine({ vni, ownMac: tap.mac, learning, proxy, l2miss, l3miss, ownAddresses, outer, sourcePorts, acceptFrom }, fdb, new NeighTable(), report);
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

  get counters(): Counters {
    return this.engine.counters;
  }

  close(): void {
    this.tap.close();
  }
}
