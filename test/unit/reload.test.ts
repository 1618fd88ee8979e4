// What a re-read config file changes (planReload): flood lists and configured entries
// in place, everything else listed as needing a restart; compared as parsed values, so
// the same settings written differently are no change.
import { describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../src/config/config-file.js';
import { planReload } from '../../src/config/reload.js';
import type { SystemDefaults, VtepConfig } from '../../src/config/vtep-config.js';

const SYSTEM: SystemDefaults = { localPortRange: { min: 40000, max: 40999 }, deviceMtu: () => undefined };
const parse = (json: object): VtepConfig => parseConfigFile(JSON.stringify(json), SYSTEM);

const RUNNING = {
  port: 4789,
  ttl: 64,
  vnis: [
    { vni: 10, tap: 'vxt10', peers: ['198.51.100.1'], fdb: [{ mac: '02:00:00:00:00:0a', dst: '198.51.100.1' }] },
    { vni: 20, tap: 'vxt20', group: '239.1.1.1' },
  ],
};

function plan(next: object) {
  const running = parse(RUNNING);
  return planReload(running, running.segments, parse(next));
}

describe('planReload', () => {
  it('finds nothing to restart when the file says the same in other words', () => {
    const same = { ...RUNNING, ttl: '64', vnis: [{ ...RUNNING.vnis[0], fdb: [{ mac: '02:00:00:00:00:0A', dst: '198.51.100.1' }] }, RUNNING.vnis[1]] };
    const { needRestart, apply } = plan(same);
    expect(needRestart).toEqual([]);
    expect(apply.map((s) => s.vni)).toEqual([10, 20]);
  });

  it('applies new peers and entries in place', () => {
    const next = { ...RUNNING, vnis: [{ ...RUNNING.vnis[0], peers: ['198.51.100.1', '198.51.100.2'], fdb: [] }, RUNNING.vnis[1]] };
    const { needRestart, apply } = plan(next);
    expect(needRestart).toEqual([]);
    expect(apply[0]!.peers).toEqual(['198.51.100.1', '198.51.100.2']);
    expect(apply[0]!.fdb).toEqual([]);
  });

  it('lists every change that needs a restart, and keeps the running group', () => {
    const next = {
      port: 8472,
      ttl: 64,
      logLevel: 'debug',
      vnis: [
        { ...RUNNING.vnis[1], group: '239.1.1.2', mtu: 1400 },
        { vni: 30, tap: 'vxt30' },
      ],
    };
    const { needRestart, apply } = plan(next);
    expect(needRestart).toEqual([
      'underlay settings',
      'logLevel, statsInterval or metrics',
      'removing VNI 10',
      'VNI 20 TAP settings',
      'VNI 20 group',
      'adding VNI 30',
    ]);
    expect(apply).toHaveLength(1);
    expect(apply[0]!.group).toBe('239.1.1.1');
    expect(apply[0]!.peers).toEqual([]);
  });
});
