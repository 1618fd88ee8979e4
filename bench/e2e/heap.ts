// vxlan-tap's memory under load: heap size and GC count should stay flat during a
// sustained transfer. With --stats-interval, vxlan-tap logs "msg":"stats" lines carrying
// heapUsed (bytes) and gcCount; this reports the first and last of the measured window.

interface HeapSample {
  heapUsed: number;
  gcCount: number;
}

export function heapReport(logWindow: string): string {
  const samples: HeapSample[] = [];
  for (const line of logWindow.split('\n')) {
    if (!line.includes('"msg":"stats"')) continue;
    try {
      const { heapUsed, gcCount } = JSON.parse(line) as Partial<HeapSample>;
      if (typeof heapUsed === 'number' && typeof gcCount === 'number') samples.push({ heapUsed, gcCount });
    } catch {
      // a torn or foreign line: not a sample
    }
  }
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) return 'heap: not reported';
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  return `heap: ${samples.length} samples, heapUsed ${mb(first.heapUsed)} -> ${mb(last.heapUsed)} MB, gcCount ${first.gcCount} -> ${last.gcCount}`;
}
