// What a re-read configuration changes, decided on the parsed values: each VNI's flood
// list and configured entries change in place; anything else needs a restart and is
// listed, and the running settings are kept for it.
import { isDeepStrictEqual } from 'node:util';
import type { SegmentConfig, VtepConfig } from './vtep-config.js';

export interface ReloadPlan {
  /** The changes a restart is needed for, in words. */
  needRestart: string[];
  /** Each running VNI with the configuration to apply to it. */
  apply: SegmentConfig[];
}

/** The settings of a VNI that only a restart can change. */
function fixedPart(config: SegmentConfig): Omit<SegmentConfig, 'peers' | 'group' | 'fdb' | 'neigh'> {
  const { peers: _peers, group: _group, fdb: _fdb, neigh: _neigh, ...fixed } = config;
  return fixed;
}

/** `running`: the whole configuration in force; `segments`: each VNI's settings as they are now. */
export function planReload(running: VtepConfig, segments: readonly SegmentConfig[], next: VtepConfig): ReloadPlan {
  const needRestart: string[] = [];
  const apply: SegmentConfig[] = [];
  if (!isDeepStrictEqual(next.underlay, running.underlay)) needRestart.push('underlay settings');
  const { logLevel, statsIntervalSeconds, metrics } = running;
  if (!isDeepStrictEqual({ logLevel, statsIntervalSeconds, metrics }, { logLevel: next.logLevel, statsIntervalSeconds: next.statsIntervalSeconds, metrics: next.metrics })) {
    needRestart.push('logLevel, statsInterval or metrics');
  }
  if (!isDeepStrictEqual(next.membership, running.membership)) needRestart.push('etcd membership settings');
  const nextVnis = new Set(next.segments.map((s) => s.vni));
  for (const { vni } of segments) if (!nextVnis.has(vni)) needRestart.push(`removing VNI ${vni}`);
  for (const wanted of next.segments) {
    const current = segments.find((s) => s.vni === wanted.vni);
    if (current === undefined) {
      needRestart.push(`adding VNI ${wanted.vni}`);
      continue;
    }
    if (!isDeepStrictEqual(fixedPart(wanted), fixedPart(current))) needRestart.push(`VNI ${wanted.vni} TAP settings`);
    // Groups are joined when the socket opens: a change of group keeps the flood list.
    const groupChanged = wanted.group !== current.group;
    if (groupChanged) needRestart.push(`VNI ${wanted.vni} group`);
    apply.push(groupChanged ? { ...wanted, group: current.group, peers: current.peers } : wanted);
  }
  return { needRestart, apply };
}
