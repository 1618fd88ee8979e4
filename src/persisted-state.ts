// --persist: each segment's learned and runtime FDB and neighbour entries saved at stop,
// next to its control socket, and put back at the next start.
import type { Logger } from './log.js';
import { controlPath } from './control/servers.js';
import type { Segment } from './segment.js';
import { applySnapshot, savedStatePath, saveSnapshot, snapshotOf, takeSavedSnapshot } from './state-snapshot.js';

/** The state the last stop saved, back in the tables. */
export function restoreSavedState(segments: readonly Segment[], log: Logger): void {
  for (const segment of segments) {
    const snapshot = takeSavedSnapshot(savedStatePath(controlPath(segment)));
    if (snapshot === undefined) continue;
    applySnapshot(segment, snapshot);
    log.info({ vni: segment.vni, fdb: snapshot.fdb.length, neigh: snapshot.neigh.length }, 'saved state restored');
  }
}

/** The state to restore at the next start. */
export function saveState(segments: readonly Segment[], log: Logger): void {
  for (const segment of segments) {
    try {
      saveSnapshot(savedStatePath(controlPath(segment)), snapshotOf(segment));
    } catch (err) {
      log.error({ vni: segment.vni, reason: (err as Error).message }, 'cannot save the state');
    }
  }
}
