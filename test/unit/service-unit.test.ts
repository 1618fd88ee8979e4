// packaging/vxlan-tap@.service, its drop-ins and its rootless variant: systemd accepts them
// as shipped, they score at most 2.0 ("OK") on systemd-analyze security, and they say what
// the manual promises.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceSettings } from './service-settings.js';

const PACKAGING = new URL('../../packaging/', import.meta.url);
const UNIT = readFileSync(new URL('vxlan-tap@.service', PACKAGING), 'utf8');
const NETNS = readFileSync(new URL('netns.conf', PACKAGING), 'utf8');
const ROOTLESS = readFileSync(new URL('vxlan-tap-rootless@.service', PACKAGING), 'utf8');
const EXEC_START = '/usr/bin/env vxlan-tap --config /etc/vxlan-tap/%i.json';

/** systemd-analyze with a unit (and drop-ins) written to a folder of its own, as /etc/systemd/system would hold them. */
function analyze(files: Record<string, string>, unit: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxt-unit-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    const r = spawnSync('systemd-analyze', [...args, path.join(dir, unit)], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const exposure = (stdout: string): number => Number(/Overall exposure level for \S+: (\d+\.\d+)/.exec(stdout)?.[1]);

const AS_SHIPPED = { 'vxlan-tap@.service': UNIT };
// An instance in the named network namespace blue: the unit and the drop-in, as docs/operations.md installs them.
const IN_NETNS = { 'vxlan-tap@blue.service': UNIT, 'vxlan-tap@blue.service.d/netns.conf': NETNS };
const ROOTLESS_AS_SHIPPED = { 'vxlan-tap-rootless@.service': ROOTLESS };

describe('vxlan-tap@.service', () => {
  it.each([
    ['as shipped', AS_SHIPPED, 'vxlan-tap@.service'],
    ['in a named network namespace (netns.conf)', IN_NETNS, 'vxlan-tap@blue.service'],
    ['rootless (vxlan-tap-rootless@.service)', ROOTLESS_AS_SHIPPED, 'vxlan-tap-rootless@.service'],
  ])('passes systemd-analyze verify %s', (_, files, unit) => {
    const r = analyze(files, unit, 'verify');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['as shipped', AS_SHIPPED, 'vxlan-tap@.service'],
    ['in a named network namespace', IN_NETNS, 'vxlan-tap@blue.service'],
    ['rootless', ROOTLESS_AS_SHIPPED, 'vxlan-tap-rootless@.service'],
  ])('scores at most 2.0 on systemd-analyze security %s', (_, files, unit) => {
    const r = analyze(files, unit, 'security', '--offline=true', '--threshold=20');
    expect(r.status).toBe(0);
    expect(exposure(r.stdout)).toBeLessThanOrEqual(2.0);
  });

  it('joins the namespace named like the instance, once it exists', () => {
    expect(serviceSettings(NETNS, 'Service').get('NetworkNamespacePath')).toEqual(['/run/netns/%i']);
    expect(serviceSettings(NETNS, 'Unit').get('RequiresMountsFor')).toEqual(['/run/netns/%i']);
  });

  it('may open /dev/net/tun and no other device, and use only the socket families it needs', () => {
    const service = serviceSettings(UNIT, 'Service');
    expect(service.get('DevicePolicy')).toEqual(['closed']);
    expect(service.get('DeviceAllow')).toEqual(['/dev/net/tun rw']);
    expect(service.get('RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6 AF_NETLINK']);
    expect(service.get('SystemCallFilter')).toEqual(['@system-service', '~@privileged @resources']);
    expect(service.get('SystemCallErrorNumber')).toEqual(['EPERM']);
    expect(service.get('UMask')).toEqual(['0077']);
    // The JavaScript engine needs writable executable memory.
    expect(service.get('MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('runs one config file per instance, restarts on failure, reloads with SIGHUP', () => {
    const service = serviceSettings(UNIT, 'Service');
    expect(service.get('ExecStart')).toEqual([EXEC_START]);
    expect(service.get('ExecReload')).toEqual(['kill -HUP $MAINPID']);
    expect(service.get('Restart')).toEqual(['on-failure']);
    expect(service.get('RuntimeDirectory')).toEqual(['vxlan-tap']);
    expect(service.get('StandardError')).toEqual(['journal']);
  });

  it('is confined: its own user, one capability, read-only system, no home, private /tmp', () => {
    const service = serviceSettings(UNIT, 'Service');
    expect(service.get('DynamicUser')).toEqual(['yes']);
    expect(service.get('User')).toEqual(['vxlan-tap']);
    expect(service.get('AmbientCapabilities')).toEqual(['CAP_NET_ADMIN']);
    expect(service.get('CapabilityBoundingSet')).toEqual(['CAP_NET_ADMIN']);
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes']]) {
      expect(service.get(key!)).toEqual([value]);
    }
  });
});

describe('vxlan-tap-rootless@.service', () => {
  const service = serviceSettings(ROOTLESS, 'Service');

  it('runs as the user the TAPs are made for, with no capability at all', () => {
    expect(service.get('User')).toEqual(['vxlan']);
    expect(service.get('DynamicUser')).toBeUndefined();
    expect(service.get('CapabilityBoundingSet')).toEqual(['']);
    expect(service.get('AmbientCapabilities')).toEqual(['']);
    expect(service.get('NoNewPrivileges')).toEqual(['yes']);
  });

  it('is confined as the privileged unit is, and runs and reloads the same way', () => {
    const privileged = serviceSettings(UNIT, 'Service');
    const ownKeys = ['User', 'DynamicUser', 'Group', 'CapabilityBoundingSet', 'AmbientCapabilities', 'SyslogIdentifier'];
    for (const [key, values] of privileged) if (!ownKeys.includes(key)) expect(service.get(key), key).toEqual(values);
  });

  it('names the one-time step that makes the TAP for that user', () => {
    expect(ROOTLESS).toMatch(/^#\s+ip tuntap add dev vx0 mode tap user vxlan\b/m);
  });
});
