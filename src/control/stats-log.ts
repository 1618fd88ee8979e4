// A periodic "stats" log line: the counters plus heap size and GC count, so a sustained
// run shows whether memory stays flat (the hot path should not allocate).
import { PerformanceObserver } from 'node:perf_hooks';
import type { Logger } from '../ops/log.js';

export function startStatsLog(snapshot: () => Record<string, unknown>, log: Logger, intervalMs: number): () => void {
  let gcCount = 0;
  const observer = new PerformanceObserver((list) => (gcCount += list.getEntries().length));
  observer.observe({ entryTypes: ['gc'] });
  const timer = setInterval(() => {
    const { heapUsed, heapTotal } = process.memoryUsage();
    log.info({ ...snapshot(), heapUsed, heapTotal, gcCount }, 'stats');
  }, intervalMs);
  return () => {
    clearInterval(timer);
    observer.disconnect();
  };
}
