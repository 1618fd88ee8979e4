// What the tests and the soak check about a running process: alive, and its memory.
import { readFileSync } from 'node:fs';

/** Resident memory of the process, in KB (VmRSS). */
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

/** SIGTERM to a process started elsewhere (a successor after a handover), if it still runs. */
export function terminate(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // gone already
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
