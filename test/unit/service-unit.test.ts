// packaging/vxlan-tap@.service: systemd accepts it, and it says what the README promises.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_MAIN } from '../../lab/lab.js';
import { serviceSettings } from './service-settings.js';

const UNIT = readFileSync(new URL('../../packaging/vxlan-tap@.service', import.meta.url), 'utf8');
const EXEC_START = 'ExecStart=vxlan-tap --config /etc/vxlan-tap/%i.json';

describe('vxlan-tap@.service', () => {
  it('passes systemd-analyze verify', () => {
    // verify wants the ExecStart command in the system's own bin folders, where a test may
    // not write: this copy names the built command by its absolute path instead.
    const dir = mkdtempSync(path.join(tmpdir(), 'vxt-unit-'));
    try {
      const command = path.join(dir, 'vxlan-tap');
      writeFileSync(command, `#!/bin/sh\nexec "${process.execPath}" "${BUILT_MAIN}" "$@"\n`);
      chmodSync(command, 0o755);
      expect(UNIT).toContain(`\n${EXEC_START}\n`);
      const unit = path.join(dir, 'vxlan-tap@.service');
      writeFileSync(unit, UNIT.replace(EXEC_START, EXEC_START.replace('vxlan-tap', command)));
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs one config file per instance, restarts on failure, reloads with SIGHUP', () => {
    const service = serviceSettings(UNIT, 'Service');
    expect(service.get('ExecStart')).toEqual(['vxlan-tap --config /etc/vxlan-tap/%i.json']);
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
