// Bytes the JS heap handed out while `work` ran, garbage included: V8's sampling heap
// profiler (through node:inspector) with collected objects kept, a sample every
// `interval` bytes on average, the profiler's own calls left out. An estimate, but one a
// collection cannot hide.
import { Session } from 'node:inspector';

interface ProfileNode {
  id: number;
  callFrame: { url: string };
  children: ProfileNode[];
}

interface SamplingProfile {
  head: ProfileNode;
  samples: { size: number; nodeId: number }[];
}

/** The ids of the profile's nodes under a call into node:inspector (the session itself). */
function inspectorNodes(node: ProfileNode, inside = false, into = new Set<number>()): Set<number> {
  const here = inside || node.callFrame.url === 'node:inspector';
  if (here) into.add(node.id);
  for (const child of node.children) inspectorNodes(child, here, into);
  return into;
}

export function allocatedDuring(work: () => void, interval = 128): number {
  const session = new Session();
  session.connect();
  // The in-process session answers synchronously.
  const post = (method: string, params?: object): unknown => {
    let result: unknown;
    session.post(method, params, (err, value) => {
      if (err) throw err;
      result = value;
    });
    return result;
  };
  try {
    post('HeapProfiler.startSampling', { samplingInterval: interval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    work();
    const { profile } = post('HeapProfiler.stopSampling') as { profile: SamplingProfile };
    const own = inspectorNodes(profile.head);
    return profile.samples.reduce((sum, s) => (own.has(s.nodeId) ? sum : sum + s.size), 0);
  } finally {
    session.disconnect();
  }
}
