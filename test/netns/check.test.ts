// `vxlan-tap check` as a user runs it: the real CLI on this machine, whose kernel has vxlan.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

const checkNamespaces = (): string[] =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith('vxt-check-'));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function check(args: string[], options: { ns?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const command = options.ns === undefined ? [process.execPath, MAIN, 'check', ...args] : ['ip', 'netns', 'exec', options.ns, process.execPath, MAIN, 'check', ...args];
  const r = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 20_000, env: options.env ?? process.env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The value after `label:` on its line of the text report. */
const line = (stdout: string, label: string): string => {
  const found = stdout.split('\n').find((l) => l.startsWith(`${label}:`));
  if (found === undefined) throw new Error(`no "${label}:" line in:\n${stdout}`);
  return found.slice(label.length + 1).trim();
};

describe.skipIf(!isRoot)('vxlan-tap check', () => {
  const before = isRoot ? checkNamespaces() : [];
  afterEach(() => {
    // Each run deletes its throwaway namespace before it exits.
    expect(checkNamespaces()).toEqual(before);
  });

  it('as root: the kernel can create vxlan, tun and capabilities are there, exit 0', () => {
    const { status, stdout, stderr } = check([]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(6);
    expect(line(stdout, 'kernel vxlan')).toMatch(/^yes \(a vxlan device was created/);
    expect(line(stdout, '/dev/net/tun')).toBe('present (character device)');
    expect(line(stdout, 'capabilities')).toBe('CAP_NET_ADMIN yes: --io native and --io dgram can run');
    expect(line(stdout, 'recommendation')).toMatch(/^the kernel's vxlan .*faster.*; vxlan-tap can run here too$/);
  });

  it('--json: one object with the same facts', () => {
    const { status, stdout } = check(['--json', '--dev', 'lo']);
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({
      kernelVxlan: { status: 'yes' },
      tun: { path: '/dev/net/tun', status: 'present' },
      capabilities: { netAdmin: true, io: ['native', 'dgram'] },
      underlay: { device: 'lo', mtu: 65536, source: 'dev' },
      overlayMtu: { ipv4: 65486, ipv6: 65466 },
      recommendation: { use: 'kernel-vxlan' },
      vxlanTapCanRun: true,
      exitCode: 0,
    });
  });

  it('--dev lo: underlay MTU 65536, overlay 65486 over IPv4', () => {
    const { status, stdout } = check(['--dev', 'lo']);
    expect(status).toBe(0);
    expect(line(stdout, 'underlay MTU')).toBe('65536 (lo, from --dev)');
    expect(line(stdout, 'overlay MTU')).toBe('65486 over IPv4 (65536 - 50), 65466 over IPv6 (65536 - 70)');
  });

  it('--dev nosuch0: one error line, exit 2, nothing on stdout', () => {
    const { status, stdout, stderr } = check(['--dev', 'nosuch0']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^vxlan-tap: error: --dev nosuch0: no such interface\n$/);
  });

  describe('in a namespace of its own', () => {
    const lab = new Lab('chk');
    let ns: string;
    beforeAll(() => {
      ns = lab.namespace('c');
    });
    afterAll(() => lab.cleanup());

    it('with no default route: says so, and the overlay MTU is unknown', () => {
      const { status, stdout } = check([], { ns });
      expect(status).toBe(0);
      expect(line(stdout, 'underlay MTU')).toBe('unknown: no default route (give --dev <ifname>)');
      expect(line(stdout, 'overlay MTU')).toMatch(/^unknown/);
    });

    it("follows the IPv4 default route to its device's MTU", () => {
      lab.ip(ns, 'link', 'add', 'up0', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'up1');
      lab.ip(ns, 'addr', 'add', '198.51.100.9/24', 'dev', 'up0');
      for (const dev of ['up0', 'up1']) lab.ip(ns, 'link', 'set', dev, 'up');
      lab.ip(ns, 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'up0');
      const { stdout } = check([], { ns });
      expect(line(stdout, 'underlay MTU')).toBe('9000 (up0, the IPv4 default route)');
      expect(line(stdout, 'overlay MTU')).toBe('8950 over IPv4 (9000 - 50)');
    });
  });

  describe('with an `ip` whose kernel has no vxlan driver', () => {
    // A stand-in for `ip` that passes everything to the real one but answers a vxlan
    // `link add` the way a kernel without the driver does.
    let bin: string;
    beforeAll(() => {
      bin = mkdtempSync(path.join(tmpdir(), 'vxt-check-bin-'));
      const realIp = spawnSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).stdout.trim();
      const script = `#!/bin/sh\ncase " $* " in *" link add "*" type vxlan "*) echo "Error: Unknown device type." >&2; exit 2;; esac\nexec ${realIp} "$@"\n`;
      writeFileSync(path.join(bin, 'ip'), script);
      chmodSync(path.join(bin, 'ip'), 0o755);
    });
    afterAll(() => rmSync(bin, { recursive: true, force: true }));

    it('recommends vxlan-tap, exit 0, and still removes its namespace', () => {
      const { status, stdout } = check([], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(status).toBe(0);
      expect(line(stdout, 'kernel vxlan')).toBe('no (the kernel refused to create a vxlan device: Error: Unknown device type.)');
      expect(line(stdout, 'recommendation')).toBe(
        'vxlan-tap with --io native: this kernel cannot create a vxlan device, and /dev/net/tun and CAP_NET_ADMIN are here',
      );
    });
  });

  describe('without CAP_NET_ADMIN', () => {
    it('says what is missing and exits 1', () => {
      const r = spawnSync('setpriv', ['--bounding-set=-net_admin,-net_raw', process.execPath, MAIN, 'check'], { encoding: 'utf8', timeout: 20_000 });
      expect(r.error).toBeUndefined(); // setpriv comes with util-linux
      expect(r.status).toBe(1);
      expect(line(r.stdout, 'capabilities')).toBe('CAP_NET_ADMIN no: vxlan-tap needs it');
      expect(line(r.stdout, 'kernel vxlan')).toMatch(/^unknown \(not checked: creating a device is not permitted/);
      expect(line(r.stdout, 'recommendation')).toMatch(/CAP_NET_ADMIN \(run as root, or grant it\)/);
    });
  });
});
