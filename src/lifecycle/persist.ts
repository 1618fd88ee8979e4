// --persist: each segment's learned and runtime FDB and neighbour entries saved at stop,
// next to its control socket, and put back at the next start.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Logger } from '../ops/log.js';
import { controlPath } from '../control/servers.js';
import type { Segment } from '../datapath/segment.js';
import { applySnapshot, snapshotOf, type StateSnapshot } from './state-snapshot.js';

/** Where a VNI's state waits between a stop and the next start. */
export function savedStatePath(controlPath: string): string {
  return controlPath.replace(/\.sock$/, '') + '.state.json';
}

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
      writeFileSync(savedStatePath(controlPath(segment)), JSON.stringify(snapshotOf(segment)), { mode: 0o600 });
    } catch (err) {
      log.error({ vni: segment.vni, reason: (err as Error).message }, 'cannot save the state');
    }
  }
}

/** The saved snapshot, removed as it is read (a state is restored once); undefined if none. */
function takeSavedSnapshot(path: string): StateSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  rmSync(path, { force: true });
  return JSON.parse(text) as StateSnapshot;
}
