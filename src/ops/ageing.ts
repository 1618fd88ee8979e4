// The FDB ageing sweep of a running VTEP: every segment's dynamic entries that have not
// been refreshed within its ageing time go, each reported as an `age` event.
import type { Logger } from './log.js';
import type { EventHub } from '../control/events.js';
import type { Fdb } from '../engine/fdb.js';
import { formatMac } from '../wire/mac.js';

const SWEEP_INTERVAL_MS = 10_000;

/** What the sweep reads of a segment. */
export interface AgeingSegment {
  readonly vni: number;
  readonly fdb: Fdb;
  readonly config: { readonly ageingSeconds: number };
}

/** Starts the sweep (none when no segment ages entries); returns what stops it. */
export function startAgeing(segments: readonly AgeingSegment[], events: EventHub, log: Logger): () => void {
  const ageing = Math.min(...segments.map((s) => s.config.ageingSeconds).filter((a) => a > 0));
  if (!Number.isFinite(ageing)) return () => {};
  const sweep = (): void => {
    for (const segment of segments) {
      for (const entry of segment.fdb.sweep(Date.now())) {
        const event = { event: 'age' as const, vni: segment.vni, mac: formatMac(entry.mac), dst: entry.remotes[0]?.address };
        log.debug(event, 'fdb entry aged out');
        events.publish(event);
      }
    }
  };
  const timer = setInterval(sweep, Math.min(SWEEP_INTERVAL_MS, ageing * 1000));
  return () => clearInterval(timer);
}
