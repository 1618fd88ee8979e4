// Rootless: an administrator makes the TAP once for an ordinary user (`ip tuntap add dev
// vt0 mode tap user U`, with its MTU, address and up state); vxlan-tap then runs as that
// user with no capability at all (setpriv: no groups, empty inheritable and bounding
// sets). It attaches to the TAP, pings a kernel VTEP, reloads, hands over, and leaves the
// administrator's TAP in place. A TAP that is someone else's is refused, and a setting
// only root may change is named in one line with the command that fixes it.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_MAIN, Lab } from '../../lab/lab.js';
import { isAlive, terminate } from '../../lab/process-watch.js';
import { isRoot, linkNames, ping, waitFor } from './helpers.js';

/** The unprivileged user (nobody on Debian) that the TAPs are made for. */
const UID = 65534;
/** Another user, whose TAP must never be taken over. */
const OTHER_UID = 65533;

/**
 * Runs the rest as UID without any capability, in a mount namespace whose /dev/net/tun is
 * 0666 (its usual mode; the host's may be 0600 where udev is absent).
 */
const AS_USER = [
  'unshare',
  '--mount',
  '--propagation',
  'private',
  'bash',
  '-c',
  'mount -t tmpfs -o mode=0755 tmpfs /dev/net && mknod -m 0666 /dev/net/tun c 10 200 && ' +
    `exec setpriv --reuid ${UID} --regid ${UID} --clear-groups --inh-caps=-all --bounding-set=-all "$@"`,
  'sh',
];

describe.skipIf(!isRoot)('rootless: no capability at all', () => {
  const lab = new Lab('rootless');
  let kernelHost: string;
  let tapHost: string;
  let dir: string;
  const successors: number[] = [];

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    // The control socket and the config file go where the user may write and read.
    dir = mkdtempSync(path.join(tmpdir(), 'vxt-rootless-'));
    chownSync(dir, UID, UID);
  });
  afterAll(async () => {
    // Successors are not the lab's children: ended here, by pid.
    successors.forEach(terminate);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the administrator does once, as root: a TAP for `uid`, then `setup` (ip link set / ip addr add words). */
  function adminMakesTap(name: string, uid: number, ...setup: string[][]): void {
    lab.ip(tapHost, 'tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', String(uid));
    for (const args of setup) lab.ip(tapHost, ...args);
  }

  /** vxlan-tap run as the user to its end: exit status and stderr. */
  function runAsUser(...args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', tapHost, ...AS_USER, process.execPath, BUILT_MAIN, ...args], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stderr: r.stderr };
  }

  const capabilities = (pid: number): { uid: string; effective: string; bounding: string } => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): string => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)![1]!;
    return { uid: field('Uid'), effective: field('CapEff'), bounding: field('CapBnd') };
  };

  it('attaches to the TAP made for it, pings a kernel VTEP, reloads, hands over, and leaves the TAP', async () => {
    adminMakesTap('vt0', UID, ['link', 'set', 'vt0', 'mtu', '1450', 'up'], ['addr', 'add', '192.0.2.2/24', 'dev', 'vt0']);
    const control = path.join(dir, 'vt0.sock');
    const config = path.join(dir, 'vt0.json');
    const segment = { vni: 42, peers: ['198.51.100.1'], tap: 'vt0', addresses: ['192.0.2.2/24'] };
    const writeConfig = (fdb: { mac: string; dst: string }[]): void => writeFileSync(config, JSON.stringify({ vnis: [{ ...segment, control, fdb }] }));
    writeConfig([]);
    chownSync(config, UID, UID);
    const fdbShow = (): string => lab.exec(tapHost, process.execPath, BUILT_MAIN, 'fdb', 'show', '--control', control);

    const vtep = await lab.vtepVia(tapHost, AS_USER, '--config', config);
    try {
      expect(capabilities(vtep.child.pid!)).toEqual({ uid: String(UID), effective: '0000000000000000', bounding: '0000000000000000' });
      expect(ping(lab, kernelHost, '192.0.2.2', 3, '0.1')).toBe(3);
      // The owner may set the offloads: the TAP carries virtio_net headers now.
      expect(JSON.parse(lab.ip(tapHost, '-d', '-j', 'link', 'show', 'vt0'))[0].linkinfo.info_data.vnet_hdr).toBe(true);

      // SIGHUP: the file is read again.
      writeConfig([{ mac: '02:00:00:00:00:99', dst: '203.0.113.9' }]);
      vtep.child.kill('SIGHUP');
      expect(await waitFor(() => /"msg":"reloaded"/.test(vtep.stderr()), 10_000), vtep.stderr()).toBe(true);
      expect(fdbShow()).toContain('02:00:00:00:00:99 dev vt0 dst 203.0.113.9');

      // SIGUSR2: the successor, as unprivileged as its predecessor, takes the TAP over.
      vtep.child.kill('SIGUSR2');
      expect(await waitFor(() => /"successor":\d+,"msg":"handed over; stopping"/.test(vtep.stderr()), 20_000), vtep.stderr()).toBe(true);
      const successor = Number(/"successor":(\d+),"msg":"handed over; stopping"/.exec(vtep.stderr())![1]);
      successors.push(successor);
      expect(await waitFor(() => vtep.child.exitCode !== null, 10_000), vtep.stderr()).toBe(true);
      expect(vtep.child.exitCode).toBe(0);
      expect(capabilities(successor)).toEqual({ uid: String(UID), effective: '0000000000000000', bounding: '0000000000000000' });
      expect(await waitFor(() => vtep.stderr().split('"msg":"ready"').length === 3, 10_000), vtep.stderr()).toBe(true);
      expect(ping(lab, kernelHost, '192.0.2.2', 3, '0.1')).toBe(3);
      expect(fdbShow()).toContain('02:00:00:00:00:99 dev vt0 dst 203.0.113.9');

      process.kill(successor, 'SIGTERM');
      expect(await waitFor(() => !isAlive(successor), 5000)).toBe(true);
    } finally {
      await vtep.stop();
    }
    // The administrator's TAP stays, persistent and as it was made.
    expect(linkNames(lab, tapHost)).toContain('vt0');
    const link = JSON.parse(lab.ip(tapHost, '-d', '-j', 'link', 'show', 'vt0'))[0];
    expect(link.linkinfo.info_data.persist).toBe(true);
    expect(link.mtu).toBe(1450);
    lab.ip(tapHost, 'tuntap', 'del', 'dev', 'vt0', 'mode', 'tap');
  });

  it("refuses a TAP that is another user's, in one line, and leaves it alone", () => {
    adminMakesTap('vt1', OTHER_UID, ['link', 'set', 'vt1', 'mtu', '1450', 'up']);
    const { status, stderr } = runAsUser('--vni', '42', '--peer', '198.51.100.1', '--tap', 'vt1', '--control', path.join(dir, 'vt1.sock'));
    expect(stderr.trim()).toBe(
      `vxlan-tap: error: TAP device vt1 belongs to user ${OTHER_UID}, not to this user (nobody): not taking it over; ` +
        'name another --tap, or ip tuntap del dev vt1 mode tap && ip tuntap add dev vt1 mode tap user nobody (as root)',
    );
    expect(status).toBe(1);
    const link = JSON.parse(lab.ip(tapHost, '-d', '-j', 'link', 'show', 'vt1'))[0];
    expect(link.linkinfo.info_data).toMatchObject({ persist: true, user: OTHER_UID });

    // Root is refused too: another user's TAP is never taken over.
    const r = spawnSync('ip', ['netns', 'exec', tapHost, process.execPath, BUILT_MAIN, '--vni', '42', '--tap', 'vt1', '--control', path.join(dir, 'vt1r.sock')], { encoding: 'utf8', timeout: 10_000 });
    expect(r.stderr.trim()).toBe(
      `vxlan-tap: error: TAP device vt1 belongs to user ${OTHER_UID}, not to this user (root): not taking it over; name another --tap, or ip tuntap del dev vt1 mode tap (as root)`,
    );
    expect(r.status).toBe(1);
  });

  it.each([
    ['a wrong MTU', [['link', 'set', 'vt2', 'up'], ['addr', 'add', '192.0.2.2/24', 'dev', 'vt2']], [], 'TAP device vt2 has MTU 1500, not 1450: ip link set vt2 mtu 1450 (as root)'],
    [
      'everything missing',
      [],
      ['--mtu', '1400', '--mac', '02:00:00:00:00:02'],
      'TAP device vt2 has MTU 1500, not 1400; has MAC 02:00:5e:00:00:07, not 02:00:00:00:00:02; is down; lacks address 192.0.2.2/24: ' +
        'ip link set vt2 mtu 1400 address 02:00:00:00:00:02 up && ip addr add 192.0.2.2/24 dev vt2 (as root)',
    ],
  ])('names %s and the command that fixes it in one line, touching nothing', (_, setup, args, message) => {
    adminMakesTap('vt2', UID, ['link', 'set', 'vt2', 'address', '02:00:5e:00:00:07'], ...setup);
    try {
      const { status, stderr } = runAsUser('--vni', '42', '--peer', '198.51.100.1', '--tap', 'vt2', '--address', '192.0.2.2/24', '--control', path.join(dir, 'vt2.sock'), ...args);
      expect(stderr.trim()).toBe(`vxlan-tap: error: ${message}`);
      expect(status).toBe(1);
      expect(JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vt2'))[0].mtu).toBe(1500);
    } finally {
      lab.ip(tapHost, 'tuntap', 'del', 'dev', 'vt2', 'mode', 'tap');
    }
  });

  it('says how to have a TAP made for it when there is none, or one without an owner', () => {
    const missing = runAsUser('--vni', '42', '--tap', 'vt3', '--control', path.join(dir, 'vt3.sock'));
    expect(missing.stderr.trim()).toBe(
      'vxlan-tap: error: cannot create TAP device vt3: CAP_NET_ADMIN is needed (run as root), or have it made for this user: ip tuntap add dev vt3 mode tap user nobody (as root)',
    );
    expect(missing.status).toBe(1);

    lab.ip(tapHost, 'tuntap', 'add', 'dev', 'vt3', 'mode', 'tap');
    const unowned = runAsUser('--vni', '42', '--tap', 'vt3', '--control', path.join(dir, 'vt3.sock'));
    expect(unowned.stderr.trim()).toBe(
      'vxlan-tap: error: TAP device vt3 has no owner, so only CAP_NET_ADMIN may use it: ip tuntap del dev vt3 mode tap && ip tuntap add dev vt3 mode tap user nobody (as root), or run as root',
    );
    expect(unowned.status).toBe(1);
    expect(linkNames(lab, tapHost)).toContain('vt3');
  });
});
