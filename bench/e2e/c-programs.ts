// The benchmark's two C programs (bench/floor/): the floor forwarder and the pinger, built
// with the system's C compiler into a temporary directory for one run and removed after it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/io/package-root.js';

export interface CPrograms {
  /** The directory holding both; removeCPrograms() deletes it. */
  dir: string;
  forwarder: string;
  pinger: string;
}

const SOURCES = path.join(packageRoot(), 'bench', 'floor');
const COMPILER = 'cc';
/** What to install where `cc` is missing (Debian). */
export const COMPILER_PACKAGE = 'gcc';

function compile(dir: string, name: string): string {
  const output = path.join(dir, name);
  try {
    execFileSync(COMPILER, ['-O2', '-Wall', '-o', output, path.join(SOURCES, `${name}.c`)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (err) {
    const { code, stderr } = err as { code?: string; stderr?: Buffer };
    if (code === 'ENOENT') throw new Error(`the end-to-end benchmark needs a C compiler (${COMPILER}): apt-get install ${COMPILER_PACKAGE}`);
    throw new Error(`${COMPILER} ${name}.c: ${stderr?.toString().trim() ?? String(err)}`);
  }
  return output;
}

export function compileCPrograms(): CPrograms {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vxlan-tap-bench-'));
  try {
    return { dir, forwarder: compile(dir, 'forwarder'), pinger: compile(dir, 'pinger') };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export function removeCPrograms(programs: CPrograms): void {
  rmSync(programs.dir, { recursive: true, force: true });
}
