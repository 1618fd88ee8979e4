// What a user without root sees: the real process run as nobody with only the
// capabilities given, in a mount namespace of its own whose /dev/net/tun has the mode
// the test chose. Each refusal names its true cause in one line, exit 1; CAP_NET_ADMIN
// alone is enough to run.
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

describe.skipIf(!isRoot)('capabilities and /dev/net/tun permissions', () => {
  const lab = new Lab('cap');
  let ns: string;

  beforeAll(() => {
    ns = lab.namespace('c');
  });
  afterAll(() => lab.cleanup());

  /** vxlan-tap as nobody holding `caps`, /dev/net/tun of `mode`; the TAP it would make is vxcap0. */
  function runAsNobody(mode: string, caps: string, ...args: string[]): { status: number | null; stderr: string } {
    return runAsNobodyFor(10_000, mode, caps, ...args);
  }

  /** runAsNobody, stopped with SIGTERM after `ms` if it is still running. */
  function runAsNobodyFor(ms: number, mode: string, caps: string, ...args: string[]): { status: number | null; stderr: string } {
    const script =
      'mount -t tmpfs -o mode=0755 tmpfs /dev/net && mknod -m "$1" /dev/net/tun c 10 200 && shift && ' +
      'exec setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps "$1" --ambient-caps "$1" "$2" "$3" --vni 1 --tap vxcap0 "${@:4}"';
    const r = spawnSync(
      'ip',
      ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'bash', '-c', script, 'sh', mode, caps, process.execPath, MAIN, ...args],
      { encoding: 'utf8', timeout: ms, killSignal: 'SIGTERM' },
    );
    return { status: r.status, stderr: r.stderr };
  }

  const links = (): string[] => JSON.parse(lab.ip(ns, '-j', 'link', 'show')).map((l: { ifname: string }) => l.ifname);

  it.each([
    ['/dev/net/tun that this user may not open', '0600', '+net_admin,+net_raw', [], /^vxlan-tap: error: \/dev\/net\/tun cannot be opened \(EACCES\): its mode does not let this user open it/],
    ['no CAP_NET_ADMIN', '0666', '+net_raw', [], /^vxlan-tap: error: cannot create TAP device vxcap0: CAP_NET_ADMIN is needed/],
    ['no CAP_NET_ADMIN with --io dgram', '0666', '-all', ['--io', 'dgram'], /CAP_NET_ADMIN is needed/],
  ])('%s: one line naming the cause, exit 1, nothing created', (_, mode, caps, args, message) => {
    const { status, stderr } = runAsNobody(mode, caps, ...args);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(status).toBe(1);
    expect(links()).toEqual(['lo']);
  });

  it('runs --io native with CAP_NET_ADMIN alone (plain UDP sockets), and stops cleanly on SIGTERM', () => {
    // The process is exec'd all the way down: the SIGTERM after 5 s reaches vxlan-tap itself.
    // /run/vxlan-tap is root's: the control socket goes where nobody may write.
    const control = path.join(tmpdir(), `vxt-cap-${process.pid}.sock`);
    const { status, stderr } = runAsNobodyFor(5_000, '0666', '+net_admin', '--io', 'native', '--control', control);
    expect(stderr).toMatch(/"msg":"ready"/);
    expect(status).toBe(0);
    expect(links()).toEqual(['lo']);
  });
});
