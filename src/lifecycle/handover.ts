// Restarts that lose nothing (as nginx upgrades its binary): the running VTEP starts its
// successor, the installed version with the same arguments, handing it the open TAP
// queues and UDP sockets (of every data-path worker) as inherited file descriptors. The successor takes the FDB and the
// neighbour entries over the control socket, then says it is ready; the predecessor
// stops reading (all it read is written out by then), answers with its counters (which
// the successor adds to its own) and exits, and the successor starts reading. Only one
// process reads at a time, so no flow is reordered; nothing is closed in between, so
// what arrives meanwhile waits in the kernel's queues, and no device disappears.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { RuntimeError } from '../config/errors.js';
import { request } from '../control/client.js';
import type { FdbRow, NeighRow } from '../control/commands.js';
import type { SegmentState } from '../segment-state.js';
import type { Counters } from '../engine/counters.js';
import { applySnapshot } from './state-snapshot.js';

/** The environment variable that tells a process it is a successor, and what it inherits. */
const HANDOVER_ENV = 'VXLAN_TAP_HANDOVER';
/** How long a successor may take to get ready before it is given up. */
const READY_TIMEOUT_MS = 30_000;
const GONE_POLL_MS = 20;

/**
 * What a successor inherits: each worker's UDP socket, per VNI its TAP queues (one per
 * worker) and the predecessor's control socket, and the priority the predecessor started at.
 */
export interface Inheritance {
  udpFds: number[];
  nice: number;
  taps: { vni: number; fds: number[]; name: string; control: string }[];
}

/** The inheritance this process was started with, if it is a successor (read once). */
export function takeInheritance(): Inheritance | undefined {
  const text = process.env[HANDOVER_ENV];
  // Not passed on to this process's own successor or any other child.
  delete process.env[HANDOVER_ENV];
  return text === undefined ? undefined : (JSON.parse(text) as Inheritance);
}

/** Starts the successor with the sockets at fds 3, 4, ... and the same command line. Its log lines go where ours go. */
export function spawnSuccessor(udpFds: number[], taps: Inheritance['taps'], nice: number): ChildProcess {
  const passed = [...udpFds, ...taps.flatMap((t) => t.fds)];
  let next = 3;
  const renumber = (fds: number[]): number[] => fds.map(() => next++);
  const inheritance: Inheritance = { udpFds: renumber(udpFds), nice, taps: taps.map((t) => ({ ...t, fds: renumber(t.fds) })) };
  // Node's own options too (--use-largepages, --max-old-space-size, ...), as the predecessor ran.
  return spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['ignore', 'inherit', 'inherit', ...passed],
    env: { ...process.env, [HANDOVER_ENV]: JSON.stringify(inheritance) },
  });
}

/** Waits for the successor's "ready", or rejects when it exits first or takes too long. */
export function successorReady(child: ChildProcess, ready: Promise<void>): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new RuntimeError(`the successor (pid ${child.pid}) was not ready within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new RuntimeError(`the successor (pid ${child.pid}) exited with ${code} before it was ready`));
    });
    void ready.then(() => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      // The successor lives on after we exit: nothing of it may keep us running.
      child.unref();
      resolve(child.pid!);
    });
  });
}

/** Copies the predecessor's FDB and neighbour entries for one VNI into `segment`. */
export async function takeStateOver(segment: SegmentState, control: string): Promise<void> {
  const fdb = (await request(control, { cmd: 'fdb.show' })) as FdbRow[];
  const neigh = (await request(control, { cmd: 'neigh.show' })) as NeighRow[];
  applySnapshot(segment, { fdb, neigh });
}

/** What a predecessor counted per VNI until it stopped reading: `stats` as it shows them. */
export type FinalCounts = Record<number, Record<string, unknown>>;

/**
 * Tells the predecessor we are ready. It stops reading, with everything it read written
 * out, before it answers with what it counted: added to what this process counts from
 * its start, every packet is counted once, by whichever process read it.
 */
export async function takeReadingOver(predecessor: Inheritance, segments: (vni: number) => SegmentState | undefined): Promise<void> {
  const counts = (await request(predecessor.taps[0]!.control, { cmd: 'handover.ready', pid: process.pid })) as FinalCounts | null;
  for (const [vni, stats] of Object.entries(counts ?? {})) {
    const segment = segments(Number(vni));
    if (segment !== undefined) addCounts(segment.carried, stats);
  }
}

/** Waits until the predecessor is gone (its control sockets removed). */
export async function predecessorGone(predecessor: Inheritance): Promise<void> {
  const end = Date.now() + READY_TIMEOUT_MS;
  while (predecessor.taps.some((t) => existsSync(t.control))) {
    if (Date.now() > end) throw new RuntimeError('the predecessor did not stop after the handover');
    await new Promise((resolve) => setTimeout(resolve, GONE_POLL_MS));
  }
}

/** Adds a predecessor's counters (and drop reasons) to ours. */
function addCounts(counters: Counters, stats: Record<string, unknown>): void {
  const ours = counters as unknown as Record<string, number>;
  for (const key of Object.keys(counters)) {
    const value = stats[key];
    if (typeof value === 'number' && typeof ours[key] === 'number') ours[key] += value;
  }
  const drops = (stats['drops'] ?? {}) as Record<string, unknown>;
  const ourDrops = counters.drops as Record<string, number>;
  for (const key of Object.keys(ourDrops)) {
    const value = drops[key];
    if (typeof value === 'number') ourDrops[key] += value;
  }
}

/**
 * Under systemd (NOTIFY_SOCKET set, NotifyAccess=all in the unit): tells it the
 * successor is the service's main process now, so that the predecessor's exit does not
 * end the service.
 */
export function tellServiceManager(pid: number): Promise<void> {
  if (process.env['NOTIFY_SOCKET'] === undefined) return Promise.resolve();
  return new Promise((resolve) => execFile('systemd-notify', [`MAINPID=${pid}`], () => resolve()));
}
