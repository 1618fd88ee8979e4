// A VNI's learned and runtime state as `fdb show` and `neigh show` list it: what a
// successor takes over in a handover, and what --persist keeps across a stop and start.
// Entries the membership store owns are left out: the store programs them again.
import { fdbRows, neighRows, type FdbRow, type NeighRow } from '../control/commands.js';
import { makeRemote } from '../engine/remote.js';
import type { SegmentState } from '../segment-state.js';
import { parseMac } from '../wire/mac.js';

export interface StateSnapshot {
  fdb: FdbRow[];
  neigh: NeighRow[];
}

export function snapshotOf(segment: SegmentState, now = Date.now()): StateSnapshot {
  return { fdb: fdbRows(segment, now).filter((r) => r.owner === undefined), neigh: neighRows(segment).filter((n) => n.owner === undefined) };
}

/** Writes the snapshot's entries into the segment's tables; learned entries keep their age. */
export function applySnapshot(segment: SegmentState, snapshot: StateSnapshot, now = Date.now()): void {
  const { fdb, neighbours } = segment;
  for (const row of snapshot.fdb) {
    if (row.owner !== undefined) continue;
    const mac = parseMac(row.mac)!;
    const remote = makeRemote(row.dst, row.port, row.vni === segment.config.vni ? undefined : row.vni);
    const updated = now - (row.age ?? 0) * 1000;
    fdb.set(mac, remote, row.state, updated);
  }
  for (const n of snapshot.neigh) {
    if (n.owner !== undefined) continue;
    neighbours.replace(n.ip, parseMac(n.lladdr)!, n.router);
  }
}
