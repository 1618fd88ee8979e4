// A config file under the 32 MB cap must not take gigabytes: nesting, the number of
// values, of objects and of VNIs are limited before JSON.parse builds anything, and a
// list of a million bad entries is refused at its first one.
import { describe, expect, it } from 'vitest';
import { parseConfigFile } from '../../src/config/config-file.js';
import { ConfigError } from '../../src/config/errors.js';
import type { SystemDefaults } from '../../src/config/vtep-config.js';

const SYSTEM: SystemDefaults = { localPortRange: { min: 32768, max: 60999 }, deviceMtu: () => undefined };

/** The message parseConfigFile throws, the time it took and how much the heap grew meanwhile (MB). */
function refused(text: string): { message: string; ms: number; heapMb: number } {
  const heap = process.memoryUsage().heapUsed;
  const started = performance.now();
  let message = '';
  try {
    parseConfigFile(text, SYSTEM);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    message = (err as Error).message;
  }
  return { message, ms: performance.now() - started, heapMb: (process.memoryUsage().heapUsed - heap) / 1e6 };
}

const fdbEntry = (i: number): string => `{"mac":"02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}","dst":"198.51.100.2"}`;

describe('bounded config parsing', () => {
  it('refuses 5 M nested lists at once, without building them', () => {
    const r = refused(`{"vnis":${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}}`);
    expect(r.message).toBe('the JSON is nested deeper than 32 levels');
    expect(r.ms).toBeLessThan(2000);
  });

  it('does not count brackets inside strings', () => {
    const control = `/run/${'['.repeat(40)}\\"${'{'.repeat(40)}.sock`;
    const config = parseConfigFile(JSON.stringify({ vnis: [{ vni: 1, control, peers: ['198.51.100.1'] }] }), SYSTEM);
    expect(config.segments[0]!.control).toBe(control);
  });

  it('refuses more than 2,000,000 values and more than 400,000 objects', () => {
    expect(refused(`{"vnis":[${'0,'.repeat(2_500_000)}0]}`).message).toBe('the JSON holds more than 2,000,000 values');
    expect(refused(`{"vnis":[${'{},'.repeat(500_000)}{}]}`).message).toBe('the JSON holds more than 400,000 objects and lists');
  });

  it('refuses more than 4096 VNIs before reading them', () => {
    expect(refused(`{"vnis":[${'{},'.repeat(9999)}{}]}`).message).toBe('vnis must list at most 4096 VNIs, not 10000');
  });

  it('names the first of 300,000 bad FDB entries, without collecting the others', () => {
    const r = refused(`{"vnis":[{"vni":1,"peers":["198.51.100.1"],"fdb":[${fdbEntry(0)},${'{},'.repeat(300_000)}{}]}]}`);
    expect(r.message).toBe('vnis[0].fdb[1].mac is required');
    expect(r.ms).toBeLessThan(3000);
    expect(r.heapMb).toBeLessThan(300);
  });

  it('still reads 100,000 good FDB entries', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => fdbEntry(i)).join(',');
    const config = parseConfigFile(`{"vnis":[{"vni":1,"peers":["198.51.100.1"],"fdb":[${entries}],"neigh":[{"ip":"192.0.2.9","lladdr":"02:00:00:00:00:09"}]}]}`, SYSTEM);
    expect(config.segments[0]!.fdb).toHaveLength(100_000);
    expect(config.segments[0]!.neigh).toHaveLength(1);
  });

  it('names a bad entry after good ones, and a list that is not a list', () => {
    expect(refused('{"vnis":[{"vni":1,"neigh":[{"ip":"192.0.2.9","lladdr":"02:00:00:00:00:09"},{"ip":"x","lladdr":"02:00:00:00:00:09"}]}]}').message).toMatch(/^vnis\[0\]\.neigh\[1\]\.ip must be an IPv4 or IPv6 address/);
    expect(refused('{"vnis":[{"vni":1,"fdb":7}]}').message).toBe('vnis[0].fdb must be a list of { mac, dst, port?, vni?, state? }');
  });
});
