// What the numbers were measured on: they drift between machines, ratios hold better.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU',
    cores: cpuinfo.match(/^processor\s*:/gm)?.length ?? os.cpus().length,
    kernel: os.release(),
    node: process.version,
  };
}

export function formatMachine(machine: Machine): string {
  return [`cpu:    ${machine.cpu} (${machine.cores} cores)`, `kernel: ${machine.kernel}`, `node:   ${machine.node}`].join('\n');
}
