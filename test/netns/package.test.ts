// The package as a user gets it: `npm pack`, then `npm install -g` of the tarball into a
// prefix of its own, which builds the addon there; the installed `vxlan-tap` then runs
// `check` and (root) `demo`. Nothing from the working tree but the tarball is used.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/io/package-root.js';
import { isRoot } from './helpers.js';

const INSTALL_TIMEOUT_MS = 280_000;

function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return r;
}

describe('the packed tarball, installed with npm install -g', () => {
  let dir: string;
  let files: string[];
  let installed: string;
  let bin: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vxt-pack-'));
    // dist/ is built by `prepare` on a plain `npm pack`; npm test has just built it, and a
    // second build here would rewrite dist/ under the tests running meanwhile.
    const pack = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], packageRoot());
    const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    const prefix = path.join(dir, 'prefix');
    npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--allow-scripts=vxlan-tap', path.join(dir, packed!.filename)], dir);
    installed = path.join(prefix, 'lib/node_modules/vxlan-tap');
    bin = path.join(prefix, 'bin/vxlan-tap');
  }, INSTALL_TIMEOUT_MS + 20_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function vxlanTap(...args: string[]): SpawnSyncReturns<string> {
    return spawnSync(bin, args, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  }

  it('holds the compiled command, the lab the demo runs in, the addon sources and the service unit, but no built addon', () => {
    for (const file of ['dist/src/cli/main.js', 'dist/lab/lab.js', 'dist/lab/system-tools.js', 'binding.gyp', 'native/src/addon.cc', 'scripts/build-native.mjs', 'packaging/vxlan-tap@.service']) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => file.startsWith('build/') || file.startsWith('src/') || file.startsWith('test/'))).toEqual([]);
  });

  it('built the addon where it was installed', () => {
    expect(existsSync(path.join(installed, 'build/Release/vxlan_native.node'))).toBe(true);
  });

  it('runs vxlan-tap check', () => {
    const r = vxlanTap('check');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^recommendation: /m);
    // Exit 0: vxlan-tap can run here, which needs CAP_NET_ADMIN (root); 1 otherwise.
    expect(r.status).toBe(isRoot ? 0 : 1);
  });

  it.skipIf(!isRoot)('runs vxlan-tap demo: pings both ways, then removes its namespaces', () => {
    const r = vxlanTap('demo');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/3 packets transmitted, 3 received/g)).toHaveLength(2);
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual(['vxlan-tap stopped cleanly', 'namespaces removed']);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((ns) => ns.startsWith(`vxt-demo-${r.pid}-`));
    expect(left).toEqual([]);
  });
});
