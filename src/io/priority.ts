// The data path goes first: every thread of the process but the data-path workers runs a
// few nice steps below the priority the process started with (the main thread, V8's
// garbage collection helpers, libuv's pool; threads made later inherit it from the main
// thread). A reload or a burst of control clients then takes the CPU the workers leave,
// on a small machine too, instead of the other way round. Raising one's own nice value
// needs no privilege; taking it back does, which is why a successor (started from the
// main thread, so at its priority) is told the priority to return to.
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How much less CPU the rest of the process gets than the workers, in nice steps: 5 is
 * about a third of a worker's share when both want a core, enough for forwarding to go
 * first without starving learning and control on a loaded machine.
 */
const CONTROL_NICE_STEPS = 5;

/** The priority this process runs its workers at: read before it yields any. */
let started: number | undefined;

export function startedNice(): number {
  started ??= getPriority(process.pid);
  return started;
}

/** Makes every thread but `workers` (kernel thread ids) CONTROL_NICE_STEPS nicer than the process started. */
export function yieldToWorkers(workers: ReadonlySet<number>): void {
  const nicer = Math.min(19, startedNice() + CONTROL_NICE_STEPS);
  for (const task of readdirSync('/proc/self/task')) {
    const tid = Number(task);
    if (workers.has(tid)) continue;
    try {
      setPriority(tid, nicer);
    } catch {
      // Gone meanwhile: nothing to do.
    }
  }
}

/**
 * Every thread back at the priority the process started at, where it may (as root): a
 * handover's two processes then pass the data path on without waiting for a lowered
 * main thread.
 */
export function stopYielding(): void {
  for (const task of readdirSync('/proc/self/task')) {
    try {
      setPriority(Number(task), startedNice());
    } catch {
      // Not allowed without CAP_SYS_NICE, or gone meanwhile.
    }
  }
}

/**
 * A successor goes back to its predecessor's starting priority where it may (as root;
 * otherwise it keeps the one it was started at).
 */
export function returnToNice(nice: number): void {
  try {
    if (getPriority(process.pid) > nice) setPriority(process.pid, nice);
  } catch {
    // Not allowed without CAP_SYS_NICE: run on at the inherited priority.
  }
}
