// The service unit's confinement is enough to run: vxlan-tap with --config and nothing but
// the unit's capabilities carries traffic to a kernel VTEP and answers on its control
// socket; without CAP_NET_ADMIN it cannot create its TAP, and says so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_MAIN, Lab } from '../../lab/lab.js';
import { serviceSettings } from '../unit/service-settings.js';
import { isRoot, ping } from './helpers.js';

const NET_ADMIN = '0000000000001000'; // capability bit 12, as /proc shows it
const UNIT = readFileSync(new URL('../../packaging/vxlan-tap@.service', import.meta.url), 'utf8');

/** setpriv arguments that leave only `caps` (CAP_X names): bounding, inheritable and ambient sets. */
function onlyCapabilities(caps: string[]): string[] {
  const list = ['-all', ...caps.map((cap) => `+${cap.replace(/^CAP_/, '').toLowerCase()}`)].join(',');
  return ['setpriv', `--bounding-set=${list}`, `--inh-caps=${list}`, `--ambient-caps=${list}`, '--no-new-privs'];
}

describe.skipIf(!isRoot)("vxlan-tap with the service unit's capabilities only", () => {
  const lab = new Lab('svc');
  const caps = serviceSettings(UNIT, 'Service').get('AmbientCapabilities')![0]!.split(' ');
  let kernelHost: string;
  let tapHost: string;
  let dir: string;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    dir = mkdtempSync(path.join(tmpdir(), 'vxt-svc-'));
    const vni = { vni: 42, tap: 'vxt0', peers: ['198.51.100.1'], addresses: ['192.0.2.2/24'], control: path.join(dir, 'vxt0.sock') };
    writeFileSync(path.join(dir, 'overlay.json'), JSON.stringify({ vnis: [vni] }));
  });
  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs from its config file, pings the kernel VTEP, answers on the control socket', async () => {
    const vtep = await lab.vtepVia(tapHost, onlyCapabilities(caps), '--config', path.join(dir, 'overlay.json'));
    const status = readFileSync(`/proc/${vtep.child.pid}/status`, 'utf8');
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
    const stats = spawnSync('ip', ['netns', 'exec', tapHost, process.execPath, BUILT_MAIN, 'stats', '--control', path.join(dir, 'vxt0.sock'), '--json'], { encoding: 'utf8', timeout: 10_000 });
    expect(stats.status).toBe(0);
    expect(await vtep.stop()).toBe(0);
    // ip netns exec and setpriv exec into vxlan-tap: this is its own status.
    for (const set of ['CapEff', 'CapBnd']) expect(new RegExp(`^${set}:\\s*(\\w+)`, 'm').exec(status)?.[1]).toBe(NET_ADMIN);
  });

  it('cannot start without CAP_NET_ADMIN, and says so in one line', () => {
    const r = spawnSync('ip', ['netns', 'exec', tapHost, ...onlyCapabilities([]), process.execPath, BUILT_MAIN, '--config', path.join(dir, 'overlay.json')], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/CAP_NET_ADMIN is needed/);
  });
});
