// --persist: the TAP outlives a stop (its addresses too), and what was learned or added
// at runtime comes back at the next start. Without it, a stop removes the TAP, even one
// an earlier --persist left; a TAP an administrator made for a user stays.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_DIR } from '../../src/control/server.js';
import { Lab } from '../../lab/lab.js';
import { isRoot, linkNames, ping } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const RUN = ['--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02'];

describe.skipIf(!isRoot)('--persist', () => {
  const lab = new Lab('pers');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(async () => {
    await lab.cleanup();
    // The saved state's folder under /run/vxlan-tap, named after the namespace.
    rmSync(path.join(CONTROL_DIR, `netns-${tapHost}`), { recursive: true, force: true });
  });

  const fdb = (): string => lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxt0');

  it('keeps the TAP and the learned and added entries across a stop and start', async () => {
    const first = await lab.vtep(tapHost, ...RUN, '--persist');
    expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
    lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'add', '02:00:00:00:00:99', 'dst', '203.0.113.9', '--tap', 'vxt0');
    const kernelMac = JSON.parse(lab.ip(kernelHost, '-j', 'link', 'show', 'vx0'))[0].address as string;
    expect(fdb()).toContain(`${kernelMac} dev vxt0 dst 198.51.100.1`);
    expect(await first.stop()).toBe(0);

    expect(linkNames(lab, tapHost)).toContain('vxt0');
    expect(lab.ip(tapHost, 'addr', 'show', 'vxt0')).toContain('192.0.2.2/24');

    const second = await lab.vtep(tapHost, ...RUN, '--persist');
    expect(second.stderr()).toMatch(/"fdb":3,"neigh":0,"msg":"saved state restored"/);
    expect(fdb()).toContain(`${kernelMac} dev vxt0 dst 198.51.100.1`);
    expect(fdb()).toContain('02:00:00:00:00:99 dev vxt0 dst 203.0.113.9');
    expect(ping(lab, tapHost, '192.0.2.1', 2, '0.1')).toBe(2);
    expect(await second.stop()).toBe(0);

    // Started without --persist, the TAP goes with the process again: the persistent one
    // found (addresses and all) is made plain again. Stopped right after `ready`: the
    // signal is handled by then.
    expect(linkNames(lab, tapHost)).toContain('vxt0');
    const plain = await lab.vtep(tapHost, ...RUN);
    expect(JSON.parse(lab.ip(tapHost, '-d', '-j', 'link', 'show', 'vxt0'))[0].linkinfo.info_data.persist).toBe(false);
    expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
    expect(await plain.stop()).toBe(0);
    expect(linkNames(lab, tapHost)).not.toContain('vxt0');
    // And the state the persistent runs saved goes with it.
    expect(existsSync(path.join(CONTROL_DIR, `netns-${tapHost}`, 'vxt0.state.json'))).toBe(false);
    expect(plain.stderr()).toMatch(/"msg":"removed the state an earlier --persist run saved"/);
  });

  it('leaves a TAP an administrator made for a user persistent, with or without --persist', async () => {
    lab.ip(tapHost, 'tuntap', 'add', 'dev', 'vxt0', 'mode', 'tap', 'user', '0');
    try {
      const vtep = await lab.vtep(tapHost, ...RUN);
      expect(ping(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
      expect(await vtep.stop()).toBe(0);
      expect(JSON.parse(lab.ip(tapHost, '-d', '-j', 'link', 'show', 'vxt0'))[0].linkinfo.info_data.persist).toBe(true);
    } finally {
      lab.ip(tapHost, 'tuntap', 'del', 'dev', 'vxt0', 'mode', 'tap');
    }
  });
});
