// vxlan-tap's memory under load: heap size and GC count should stay flat during a
// sustained transfer. With --stats-interval, vxlan-tap logs "msg":"stats" lines carrying
// heapUsed (bytes) and gcCount of the main thread, and dataPathGc (count, ms) of the
// data-path workers' heaps; this reports the first and last of the measured window.

interface HeapSample {
  heapUsed: number;
  gcCount: number;
  dataPathGc: { count: number; ms: number };
}

/** The data-path workers' collections in a window of stats lines: how many, and their pauses in all. */
export interface DataPathGcs {
  count: number;
  ms: number;
}

function samplesOf(logWindow: string): HeapSample[] {
  const samples: HeapSample[] = [];
  for (const line of logWindow.split('\n')) {
    if (!line.includes('"msg":"stats"')) continue;
    try {
      const { heapUsed, gcCount, dataPathGc } = JSON.parse(line) as Partial<HeapSample>;
      if (typeof heapUsed === 'number' && typeof gcCount === 'number' && dataPathGc !== undefined) samples.push({ heapUsed, gcCount, dataPathGc });
    } catch {
      // a torn or foreign line: not a sample
    }
  }
  return samples;
}

/** The data-path workers' collections between the window's first and last stats line (undefined: not reported). */
export function dataPathGcs(logWindow: string): DataPathGcs | undefined {
  const samples = samplesOf(logWindow);
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) return undefined;
  return { count: last.dataPathGc.count - first.dataPathGc.count, ms: last.dataPathGc.ms - first.dataPathGc.ms };
}

export function heapReport(logWindow: string): string {
  const samples = samplesOf(logWindow);
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) return 'heap: not reported';
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const gcs = dataPathGcs(logWindow)!;
  return (
    `heap: ${samples.length} samples, main thread heapUsed ${mb(first.heapUsed)} -> ${mb(last.heapUsed)} MB, gcCount ${first.gcCount} -> ${last.gcCount}; ` +
    `data-path GCs ${gcs.count} (${gcs.ms.toFixed(1)} ms)`
  );
}
