// --persist state that survives a crash: a state file cut short (a crash while it was
// written, a full disk) or of the wrong shape is named in one log line, kept aside as
// `.bad`, and the VTEP starts with empty learned state instead of refusing to start.
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_DIR } from '../../src/control/server.js';
import { Lab } from '../../lab/lab.js';
import { isRoot } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const RUN = ['--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--mac', '02:00:00:00:00:02', '--persist'];

describe.skipIf(!isRoot)('--persist with a damaged state file', () => {
  const lab = new Lab('pbad');
  let tapHost: string;
  let folder: string;
  let stateFile: string;

  beforeAll(() => {
    ({ tapHost } = lab.hostPair());
    folder = path.join(CONTROL_DIR, `netns-${tapHost}`);
    stateFile = path.join(folder, 'vxt0.state.json');
  });
  afterAll(async () => {
    await lab.cleanup();
    rmSync(folder, { recursive: true, force: true });
  });

  const fdb = (): string => lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxt0');

  /** Starts with --persist and adds an entry; stops; the state file holds it. */
  async function saveOne(): Promise<void> {
    const vtep = await lab.vtep(tapHost, ...RUN);
    lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'add', '02:00:00:00:00:99', 'dst', '203.0.113.9', '--tap', 'vxt0');
    expect(await vtep.stop()).toBe(0);
    expect(readFileSync(stateFile, 'utf8')).toContain('02:00:00:00:00:99');
    expect(existsSync(`${stateFile}.tmp`)).toBe(false);
  }

  for (const [damage, problem] of [
    ['cut short', /not valid JSON/],
    ['of the wrong shape', /fdb\[0\]\.mac/],
  ] as const) {
    it(`a state file ${damage}: one line naming it, kept as .bad, empty learned state`, async () => {
      rmSync(`${stateFile}.bad`, { force: true });
      await saveOne();
      if (damage === 'cut short') truncateSync(stateFile, Math.floor(readFileSync(stateFile).length / 2));
      else writeFileSync(stateFile, JSON.stringify({ fdb: [{ mac: 'zz', dst: '203.0.113.9', port: 4789, vni: 42, state: 'permanent' }], neigh: [] }));
      const damaged = readFileSync(stateFile, 'utf8');

      const vtep = await lab.vtep(tapHost, ...RUN);
      const lines = vtep.stderr().split('\n').filter((l) => l.includes(stateFile));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(problem);
      expect(lines[0]).toContain(`${stateFile}.bad`);
      expect(readFileSync(`${stateFile}.bad`, 'utf8')).toBe(damaged);
      expect(existsSync(stateFile)).toBe(false);
      expect(fdb()).not.toContain('02:00:00:00:00:99');
      expect(await vtep.stop()).toBe(0);
      lab.ip(tapHost, 'tuntap', 'del', 'vxt0', 'mode', 'tap');
      rmSync(stateFile, { force: true });
    });
  }
});
