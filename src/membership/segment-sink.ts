// Writes the store's entries into one vxlan-tap segment's FDB and neighbour table, each
// tagged with the owner MEMBERSHIP. Only entries with that tag are ever changed or
// removed: entries made by hand (fdb/neigh commands, the config file) win over the store
// and stay as they are; a learned entry gives way to the store's static one.
import { ZERO_MAC, type Fdb } from '../engine/fdb.js';
import type { NeighTable } from '../engine/neigh.js';
import { makeRemote } from '../engine/remote.js';
import { parseMac } from '../wire/mac.js';
import type { TableSink } from './membership.js';
import { noChanges, type Changes, type Dst } from './reconcile.js';

export const MEMBERSHIP = 'membership';

export class SegmentSink implements TableSink {
  /** `tables`: the segment's engine (its FDB and neighbour table). */
  constructor(private readonly tables: { fdb: Fdb; neighbours: NeighTable }) {}

  private remote(dst: Dst) {
    return makeRemote(dst.address, dst.port, undefined, MEMBERSHIP);
  }

  async apply(changes: Changes): Promise<Changes> {
    const { fdb, neighbours } = this.tables;
    const failed = noChanges();
    const now = Date.now();
    for (const dst of changes.floodDel) fdb.delete(ZERO_MAC, this.remote(dst), MEMBERSHIP);
    for (const [mac, dst] of changes.fdbDel) fdb.delete(parseMac(mac)!, this.remote(dst), MEMBERSHIP);
    for (const [ip] of changes.neighDel) if (neighbours.get(ip)?.owner === MEMBERSHIP) neighbours.delete(ip);
    for (const dst of changes.floodAdd) {
      try {
        fdb.append(ZERO_MAC, this.remote(dst), 'permanent', now);
      } catch {
        failed.floodAdd.push(dst); // the FDB is full
      }
    }
    for (const change of changes.fdbSet) {
      const mac = parseMac(change[0])!;
      const existing = fdb.get(mac);
      const handMade = existing !== undefined && existing.state !== 'dynamic' && existing.remotes[0]?.owner !== MEMBERSHIP;
      try {
        if (!handMade) fdb.replace(mac, this.remote(change[1]), 'static', now);
      } catch {
        // the FDB is full
      }
      if (fdb.get(mac)?.remotes[0]?.owner !== MEMBERSHIP) failed.fdbSet.push(change);
    }
    for (const change of changes.neighSet) {
      const existing = neighbours.get(change[0]);
      if (existing !== undefined && existing.owner !== MEMBERSHIP) {
        failed.neighSet.push(change);
        continue;
      }
      neighbours.replace(change[0], parseMac(change[1])!, false, MEMBERSHIP);
    }
    return failed;
  }
}
