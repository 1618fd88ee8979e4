// CPU time spent during one measurement, read from /proc before and after it:
// - the vxlan-tap processes' own time: utime + stime of /proc/<pid>/stat, which covers all
//   of a process's threads (V8, libuv) and the kernel work done in its system calls;
// - the machine's system time: system + irq + softirq of /proc/stat's "cpu" line, where a
//   kernel vxlan does all its work (it has no process of its own). It counts everything
//   the kernel did meanwhile, iperf3's TCP stacks and other users' work included;
// - and, for vxlan-tap, each of its threads' time (withThreadCpu below).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface CpuSpent {
  /** Seconds of CPU the vxlan-tap processes used, summed. */
  vtepSeconds: number;
  /** Seconds of CPU the whole machine spent in the kernel. */
  systemSeconds: number;
  /** Seconds of wall-clock time the measurement took. */
  wallSeconds: number;
}

/** utime + stime, in clock ticks, from the text of /proc/<pid>/stat. */
export function processTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: count from its end.
  // The fields after it start at field 3, so utime (14) and stime (15) are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return ticks;
}

/** system + irq + softirq, in clock ticks, from the text of /proc/stat. */
export function systemTicks(stat: string): number {
  // cpu  user nice system idle iowait irq softirq steal ...
  const fields = /^cpu\s+(.*)$/m.exec(stat)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  const ticks = fields[2]! + fields[5]! + fields[6]!;
  if (!Number.isFinite(ticks)) throw new Error('/proc/stat has no aggregate cpu line');
  return ticks;
}

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of both files (100 nearly everywhere). */
function clockTicksPerSecond(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
  return ticksPerSecond;
}

interface Sample {
  vtepTicks: number;
  systemTicks: number;
  atMs: number;
}

function sample(pids: readonly number[]): Sample {
  const vtepTicks = pids.reduce((sum, pid) => sum + processTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')), 0);
  return { vtepTicks, systemTicks: systemTicks(readFileSync('/proc/stat', 'utf8')), atMs: performance.now() };
}

/** Runs `measure` and reports the CPU that the processes `pids` and the kernel spent on it. */
export async function withCpu<T>(pids: readonly number[], measure: () => Promise<T>): Promise<{ result: T; cpu: CpuSpent }> {
  const before = sample(pids);
  const result = await measure();
  const after = sample(pids);
  const hz = clockTicksPerSecond();
  return {
    result,
    cpu: {
      vtepSeconds: (after.vtepTicks - before.vtepTicks) / hz,
      systemSeconds: (after.systemTicks - before.systemTicks) / hz,
      wallSeconds: (after.atMs - before.atMs) / 1000,
    },
  };
}

// Where a vxlan-tap's CPU goes, thread by thread: /proc/<pid>/task/<tid>/stat of each of
// its threads before and after a measurement. Node names every thread "node", so the
// data-path workers are told apart by what they wait on: each runs its own packet loop
// (native/src/packet_loop.h), whose epoll set watches its TAP queue (/dev/net/tun); the
// main thread's and the platform's do not. The main thread's tid is the pid; everything else (V8's platform
// and GC helpers, libuv's pool) is "other".

/** A thread's part in a vxlan-tap process. */
export type ThreadRole = 'worker' | 'main' | 'other';

export interface ThreadCpu {
  tid: number;
  role: ThreadRole;
  /** Its nice value (field 19 of its stat) after the measurement. */
  nice: number;
  /** utime + stime it spent during the measurement. */
  seconds: number;
}

export interface ProcessThreadsCpu {
  pid: number;
  /** Seconds of each data-path worker, in the order of their tids. */
  workerSeconds: number[];
  mainSeconds: number;
  otherSeconds: number;
  /** The whole process's utime + stime; more than the threads' sum by what threads that ended took. */
  processSeconds: number;
  wallSeconds: number;
  threads: ThreadCpu[];
}

/** The nice value (field 19) from the text of a /proc/<pid>/task/<tid>/stat. */
export function statNice(stat: string): number {
  // Field 19 is the 17th after the parenthesised name.
  const nice = Number(stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/)[16]);
  if (!Number.isInteger(nice)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return nice;
}

/**
 * The fd of the epoll set a thread waits on, from its /proc/<pid>/task/<tid>/syscall
 * ("<nr> <arg1> ..."; the first argument of epoll_wait and epoll_pwait), or undefined
 * when it is running or in no system call.
 */
export function syscallFirstFd(syscall: string): number | undefined {
  const [nr, arg] = syscall.trim().split(/\s+/);
  if (nr === undefined || !/^\d+$/.test(nr) || arg === undefined || !/^0x[0-9a-f]+$/i.test(arg)) return undefined;
  return Number.parseInt(arg, 16);
}

/** The fds an epoll set watches, from its /proc/<pid>/fdinfo/<fd> ("tfd:  92 events: ..."). */
export function epollTargets(fdinfo: string): number[] {
  return [...fdinfo.matchAll(/^tfd:\s+(\d+)\s/gm)].map((match) => Number(match[1]));
}

const readOr = (file: string, fallback: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
};

const tidsOf = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`)
    .map(Number)
    .sort((a, b) => a - b);

/** Whether thread `tid` of `pid` waits on an epoll set that watches a TAP queue. */
function waitsOnTap(pid: number, tid: number): boolean | undefined {
  const epollFd = syscallFirstFd(readOr(`/proc/${pid}/task/${tid}/syscall`, 'running'));
  if (epollFd === undefined) return undefined;
  return epollTargets(readOr(`/proc/${pid}/fdinfo/${epollFd}`, '')).some((fd) => isTap(pid, fd));
}

function isTap(pid: number, fd: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`) === '/dev/net/tun';
  } catch {
    return false;
  }
}

const READ_ATTEMPTS = 20;

/**
 * The data-path workers of the vxlan-tap process `pid`, to be asked while it is idle: a
 * thread caught running is asked again a few times (a ms apart).
 */
export async function dataPathThreads(pid: number): Promise<Set<number>> {
  const workers = new Set<number>();
  const unknown = new Set(tidsOf(pid).filter((tid) => tid !== pid));
  for (let attempt = 0; attempt < READ_ATTEMPTS && unknown.size > 0; attempt++) {
    for (const tid of [...unknown]) {
      const waits = waitsOnTap(pid, tid);
      if (waits === undefined) continue;
      unknown.delete(tid);
      if (waits) workers.add(tid);
    }
    if (unknown.size > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return workers;
}

/** utime + stime of every thread of `pid`, by tid, and their nice values. */
function sampleThreads(pid: number): Map<number, { ticks: number; nice: number }> {
  const threads = new Map<number, { ticks: number; nice: number }>();
  for (const tid of tidsOf(pid)) {
    const stat = readOr(`/proc/${pid}/task/${tid}/stat`, '');
    if (stat !== '') threads.set(tid, { ticks: processTicks(stat), nice: statNice(stat) });
  }
  return threads;
}

/** Each thread's seconds between two samples, grouped by role. */
export function threadsCpu(
  pid: number,
  workers: ReadonlySet<number>,
  before: ReadonlyMap<number, { ticks: number }>,
  after: ReadonlyMap<number, { ticks: number; nice: number }>,
  processSeconds: number,
  wallSeconds: number,
  hz: number,
): ProcessThreadsCpu {
  const threads: ThreadCpu[] = [...after].map(([tid, { ticks, nice }]) => ({
    tid,
    role: tid === pid ? 'main' : workers.has(tid) ? 'worker' : 'other',
    nice,
    seconds: (ticks - (before.get(tid)?.ticks ?? 0)) / hz,
  }));
  const sum = (role: ThreadRole): number => threads.filter((t) => t.role === role).reduce((total, t) => total + t.seconds, 0);
  return {
    pid,
    workerSeconds: threads.filter((t) => t.role === 'worker').map((t) => t.seconds),
    mainSeconds: sum('main'),
    otherSeconds: sum('other'),
    processSeconds,
    wallSeconds,
    threads,
  };
}

/**
 * Runs `measure` and reports, for each vxlan-tap process `pids`, the CPU each of its
 * threads spent on it, grouped as data-path workers, the main thread and the rest.
 */
export async function withThreadCpu<T>(pids: readonly number[], measure: () => Promise<T>): Promise<{ result: T; threads: ProcessThreadsCpu[] }> {
  const workers = await Promise.all(pids.map((pid) => dataPathThreads(pid)));
  const before = pids.map((pid) => ({ threads: sampleThreads(pid), ticks: processTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) }));
  const startMs = performance.now();
  const result = await measure();
  const wallSeconds = (performance.now() - startMs) / 1000;
  const hz = clockTicksPerSecond();
  const threads = pids.map((pid, i) => {
    const after = sampleThreads(pid);
    const processSeconds = (processTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) - before[i]!.ticks) / hz;
    return threadsCpu(pid, workers[i]!, before[i]!.threads, after, processSeconds, wallSeconds, hz);
  });
  return { result, threads };
}

/** "workers 2.31 s (1.80 + 0.51), main 0.05 s, other 0.12 s": one process's split. */
export function formatThreadsCpu(cpu: ProcessThreadsCpu): string {
  const s = (seconds: number): string => seconds.toFixed(2);
  const total = cpu.workerSeconds.reduce((sum, seconds) => sum + seconds, 0);
  const each = cpu.workerSeconds.length > 1 ? ` (${cpu.workerSeconds.map(s).join(' + ')})` : '';
  const workers = cpu.workerSeconds.length === 0 ? 'workers not found' : `${cpu.workerSeconds.length === 1 ? 'worker' : `${cpu.workerSeconds.length} workers`} ${s(total)} s${each}`;
  return `${workers}, main ${s(cpu.mainSeconds)} s, other ${s(cpu.otherSeconds)} s of ${s(cpu.processSeconds)} s in ${s(cpu.wallSeconds)} s`;
}
