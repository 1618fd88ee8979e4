// A periodic "stats" log line: the counters plus heap size and GC count, so a sustained
// run shows whether memory stays flat (the hot path should not allocate).
import { countCollections } from '../ops/collections.js';
import type { Logger } from '../ops/log.js';

export function startStatsLog(snapshot: () => Record<string, unknown>, log: Logger, intervalMs: number): () => void {
  let gcCount = 0;
  const stopCounting = countCollections((count) => (gcCount = count));
  const timer = setInterval(() => {
    const { heapUsed, heapTotal } = process.memoryUsage();
    log.info({ ...snapshot(), heapUsed, heapTotal, gcCount }, 'stats');
  }, intervalMs);
  return () => {
    clearInterval(timer);
    stopCounting();
  };
}
