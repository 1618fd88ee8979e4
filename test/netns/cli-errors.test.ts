// How the real process fails: bad input -> one line, exit 2, nothing created;
// runtime failure -> one line, exit 1, nothing left behind.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_MAIN, Lab } from '../../lab/lab.js';
import { isRoot } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

describe.skipIf(!isRoot)('vxlan-tap errors', () => {
  const lab = new Lab('err');
  let ns: string;

  beforeAll(() => {
    ns = lab.namespace('e');
  });
  afterAll(() => lab.cleanup());

  function run(...args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, MAIN, ...args], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stderr: r.stderr };
  }

  const links = (): string[] => JSON.parse(lab.ip(ns, '-j', 'link', 'show')).map((l: { ifname: string }) => l.ifname);

  it.each([
    [['--vni', '16777216'], /--vni must be from 0 to 16777215/],
    [['--vni', '-1'], /--vni|unknown option/],
    [['--peer', '192.0.2.1'], /--vni is required \(or give --config\)/],
    [['--vni', '1', '--peer', '192.0.2.300'], /--peer must be an IPv4 or IPv6 address/],
    [['--vni', '1', '--mac', '01:00:5e:00:00:01'], /--mac must be a unicast/],
    [['--vni', '1', '--address', '192.0.2.1'], /--address must be an address with a prefix length/],
    [['--vni', '1', '--port', '0'], /--port must be from 1 to 65535/],
    [['--vni', '1', '--bogus'], /unknown option '--bogus'/],
    [['--vni', '1', '--mtu', '67'], /--mtu must be from 68 to 65535/],
    [['--vni', '1', '--tap', 'a/b'], /--tap must be an interface name/],
    [['--vni', '1', '--peer', '239.1.1.1'], /--peer must be a unicast address, not 239\.1\.1\.1 \(a multicast group is --group\)/],
    [['--vni', 'one\ttwo'], /--vni must be a whole number from 0 to 16777215, not "one\\x09two"/],
  ])('rejects %j with one line, exit 2, nothing created', (args, message) => {
    const { status, stderr } = run('--tap', 'vxerr0', ...args);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^vxlan-tap: error: /);
    expect(links()).toEqual(['lo']);
  });

  it('cuts a 100 KB bad value in its one line', () => {
    const { status, stderr } = run('--vni', '1', '--peer', `192.0.2.1${'9'.repeat(100_000)}`);
    expect(status).toBe(2);
    expect(stderr).toMatch(/^vxlan-tap: error: --peer must be an IPv4 or IPv6 address, not "192\.0\.2\.19{190} \.\.\.\(99811 more characters\)\n$/);
  });

  it('reads a --config of at most 32 MB, refusing /dev/zero at once', () => {
    const { status, stderr } = run('--config', '/dev/zero');
    expect(status).toBe(2);
    expect(stderr).toBe('vxlan-tap: error: --config /dev/zero is larger than 32 MB\n');
  });

  it('fails with exit 1 when the UDP port is taken by a kernel vxlan device', () => {
    lab.kernelVxlan(ns, { name: 'kvx', vni: 5, port: 4789 });
    try {
      const { status, stderr } = run('--vni', '1', '--tap', 'vxerr0');
      expect(status).toBe(1);
      expect(stderr).toMatch(/UDP 0\.0\.0\.0 port 4789 is in use/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(links()).not.toContain('vxerr0');
    } finally {
      lab.ip(ns, 'link', 'del', 'kvx');
    }
  });

  it('fails with exit 1 when the TAP name belongs to another kind of device', () => {
    lab.ip(ns, 'link', 'add', 'taken0', 'type', 'bridge');
    try {
      const { status, stderr } = run('--vni', '1', '--tap', 'taken0');
      expect(status).toBe(1);
      expect(stderr).toMatch(/taken0.*not a TAP/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      lab.ip(ns, 'link', 'del', 'taken0');
    }
  });

  it('fails with exit 1 when the TAP name is held by a running vxlan-tap', async () => {
    const first = await lab.vtep(ns, '--vni', '1', '--tap', 'busy0');
    try {
      const { status, stderr } = run('--vni', '1', '--tap', 'busy0', '--port', '4790');
      expect(status).toBe(1);
      expect(stderr).toMatch(/busy0: the name is taken by a device in use/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(links()).toEqual(['lo']);
  });
});

describe.skipIf(!isRoot)('a reader that goes away', () => {
  const lab = new Lab('pipe');
  let ns: string;

  beforeAll(() => {
    ns = lab.namespace('p');
  });
  afterAll(() => lab.cleanup());

  /** The command in `ns` with its stdout closed before it writes (`... | head -0`): exit code and stderr. */
  function withClosedStdout(...args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    return new Promise((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      }),
    );
  }

  it('ends fdb show, neigh show and stats quietly with exit 0, as iproute2 does', async () => {
    const vtep = await lab.vtep(ns, '--vni', '1', '--tap', 'vxpipe0', '--peer', '198.51.100.9');
    try {
      expect(spawnSync('ip', ['netns', 'exec', ns, process.execPath, MAIN, 'neigh', 'add', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', '--tap', 'vxpipe0']).status).toBe(0);
      for (const args of [['fdb', 'show'], ['neigh', 'show'], ['stats'], ['stats', '--json']]) {
        expect(await withClosedStdout(...args, '--tap', 'vxpipe0')).toEqual({ code: 0, stderr: '' });
      }
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });
});

describe.skipIf(!isRoot)('vxlan-tap demo failures', () => {
  let bin: string;

  // A PATH with only ip and sh (always there on Debian), as on a fresh machine without ping.
  beforeAll(() => {
    bin = mkdtempSync(path.join(tmpdir(), 'vxt-demo-bin-'));
    for (const tool of ['ip', 'sh']) symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(bin, tool));
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  /** Runs the demo with only `bin` on the PATH; stdout and stderr interleaved as written. */
  function demo(): { status: number | null; lines: string[]; namespacesLeft: string[] } {
    const r = spawnSync('sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, BUILT_MAIN, 'demo'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, PATH: bin },
    });
    const namespacesLeft = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((line) => line.startsWith(`vxt-demo-${r.pid}-`));
    return { status: r.status, lines: r.stdout.trim().split('\n'), namespacesLeft };
  }

  it('names a missing program and its Debian package in one line, before doing anything', () => {
    const { status, lines, namespacesLeft } = demo();
    expect(status).toBe(1);
    expect(lines).toEqual(['vxlan-tap: error: demo needs ping: apt-get install iputils-ping']);
    expect(namespacesLeft).toEqual([]);
  });

  it('prints the failing step and what to check, then cleans up', () => {
    // A ping that gets no replies, as when a firewall drops the overlay's traffic.
    writeFileSync(path.join(bin, 'ping'), '#!/bin/sh\necho "3 packets transmitted, 0 received, 100% packet loss, time 2003ms"\nexit 1\n');
    chmodSync(path.join(bin, 'ping'), 0o755);
    try {
      const { status, lines, namespacesLeft } = demo();
      expect(status).toBe(1);
      const errors = lines.filter((line) => line.startsWith('vxlan-tap: error:'));
      expect(errors).toEqual([
        "vxlan-tap: error: demo: ping 192.0.2.2 from the kernel VTEP's host failed: 3 packets transmitted, 0 received, 100% packet loss, time 2003ms; " +
          'no replies: a firewall on this machine may drop VXLAN or ICMP in namespaces',
      ]);
      expect(lines.slice(-2)).toEqual([errors[0], 'namespaces removed']);
      expect(namespacesLeft).toEqual([]);
    } finally {
      rmSync(path.join(bin, 'ping'));
    }
  });
});

describe.skipIf(!isRoot)('vxlan-tap demo interrupted', () => {
  it('removes what it made on SIGINT and exits 130', async () => {
    const child = spawn(process.execPath, [BUILT_MAIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('vx0 has')) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/^vxlan-tap: error: demo: SIGINT during "[^"\n]+"\n$/);
    expect(stdout.trim().split('\n').at(-1)).toBe('namespaces removed');
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((ns) => ns.startsWith(`vxt-demo-${child.pid}-`));
    expect(left).toEqual([]);
  });
});
