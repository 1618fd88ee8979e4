// The native segmentation and merge code (native/src/tap/tap_offload.cc) and the inner
// checksum check (native/src/tap/inner_checksum.cc) on their own, built
// with AddressSanitizer and UBSan: the checks in native/test/tap_offload_test.cc, then the
// fuzz target for a fixed time (VXLAN_TAP_FUZZ_SECONDS, 10 by default; CI runs 20).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'vxlan-tap-native-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fuzzSeconds = Number(process.env.VXLAN_TAP_FUZZ_SECONDS ?? 10);

/** Compiles one test program with the code under test and both sanitizers; returns its path. */
function build(name: string): string {
  const out = path.join(work, name);
  execFileSync(
    'g++',
    [
      '-O1', '-g', '-std=c++17', '-Wall', '-Wextra',
      '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer',
      '-Inative/src', `native/test/${name}.cc`, 'native/src/tap/tap_offload.cc', 'native/src/tap/inner_checksum.cc', '-o', out,
    ],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return out;
}

/** Runs a sanitized program; a sanitizer report makes the exit status non-zero. */
function run(program: string, args: string[], timeoutMs: number): { status: number | null; output: string } {
  const r = spawnSync(program, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' },
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('native tap_offload under AddressSanitizer and UBSan', () => {
  it('cuts super-frames into valid segments and merges them back byte for byte', () => {
    const { status, output } = run(build('tap_offload_test'), [], 60_000);
    expect(output).toContain('ok (0 failures)');
    expect(status).toBe(0);
  }, 120_000);

  it('verifies inner checksums, completes the unfinished ones and finds the damaged ones', () => {
    const { status, output } = run(build('inner_checksum_test'), [], 60_000);
    expect(output).toContain('ok (0 failures)');
    expect(status).toBe(0);
  }, 120_000);

  it(`survives ${fuzzSeconds} s of random and mutated virtio_net_hdr and frames`, () => {
    const { status, output } = run(build('tap_offload_fuzz'), [String(fuzzSeconds)], (fuzzSeconds + 60) * 1000);
    // On failure the output starts with the seed that repeats the run.
    expect(status, output).toBe(0);
    const done = /ok: (\d+) inputs, (\d+) super-frames cut, (\d+) runs merged/.exec(output);
    expect(done, output).not.toBeNull();
    // Inputs that never reached the cutting or the merging code would prove nothing.
    expect(Number(done![2])).toBeGreaterThan(0);
    expect(Number(done![3])).toBeGreaterThan(0);
  }, (fuzzSeconds + 120) * 1000);
});
