// What the numbers were measured on: they drift between machines, ratios hold better.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function describeMachine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? os.cpus().length;
  return [`cpu:    ${model} (${cores} cores)`, `kernel: ${os.release()}`, `node:   ${process.version}`].join('\n');
}
