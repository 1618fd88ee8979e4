// What control reaches of one VNI of a running VTEP: its tables and counters, and the
// names it is known by. The segment offers it; the control socket, the metrics and the
// stats read it, and tests hand them a plain object.
import type { Counters } from '../engine/counters.js';
import type { Fdb } from '../engine/fdb.js';
import type { NeighTable } from '../engine/neigh.js';

export interface SegmentTables {
  readonly vni: number;
  readonly tapName: string;
  readonly fdb: Fdb;
  readonly neighbours: NeighTable;
  readonly counters: Counters;
}
