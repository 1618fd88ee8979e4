// CPU time spent during one measurement, read from /proc before and after it:
// - the vxlan-tap processes' own time: utime + stime of /proc/<pid>/stat, which covers all
//   of a process's threads (V8, libuv) and the kernel work done in its system calls;
// - the machine's system time: system + irq + softirq of /proc/stat's "cpu" line, where a
//   kernel vxlan does all its work (it has no process of its own). It counts everything
//   the kernel did meanwhile, iperf3's TCP stacks and other users' work included.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
