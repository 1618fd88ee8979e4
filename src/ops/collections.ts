// Counting V8's garbage collections of the calling thread's heap (each worker thread is an
// isolate with a heap of its own): how many so far, and their pauses in all.
import { PerformanceObserver } from 'node:perf_hooks';

/** Calls `onCollection` after each collection with the totals; returns what stops counting. */
export function countCollections(onCollection: (count: number, ms: number) => void): () => void {
  let count = 0;
  let ms = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      count++;
      ms += entry.duration;
    }
    onCollection(count, ms);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
