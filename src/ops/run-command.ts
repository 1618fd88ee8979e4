// Running a system program (iproute2, bridge) without a shell, for the probes of `check`
// and the membership agent: its output, or its failure.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Runs `command` with `args`; resolves with its stdout and stderr, rejects when it fails. */
export const runCommand = promisify(execFile);

/** Runs `command -j ...args` (iproute2's JSON output) and parses what it prints. */
export async function runJson<T>(command: 'ip' | 'bridge', args: string[]): Promise<T> {
  return JSON.parse((await runCommand(command, ['-j', ...args])).stdout) as T;
}
