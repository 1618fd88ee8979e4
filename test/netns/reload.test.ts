// SIGHUP with 100,000 FDB entries in the file, under a ping every 10 ms: the reload takes
// linear time, lands every entry, and not one ping is lost.
import { writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { isRoot, pingAsync, vtepStats, waitFor } from './helpers.js';

const ENTRIES = 100_000;

function configFile(entries: number): string {
  const fdb = Array.from({ length: entries }, (_, i) => ({
    mac: `02:10:00:${[i >> 16, (i >> 8) & 0xff, i & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
    dst: `203.0.113.${1 + (i % 250)}`,
  }));
  return JSON.stringify({ vnis: [{ vni: 42, peers: ['198.51.100.1'], tap: 'vxt0', addresses: ['192.0.2.2/24'], fdb }] });
}

describe.skipIf(!isRoot)('reload of a large FDB', () => {
  const lab = new Lab('reload');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  const file = path.join(os.tmpdir(), `vxt-reload-${process.pid}.json`);

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    writeFileSync(file, configFile(0));
    vtep = await lab.vtep(tapHost, '--config', file);
  });
  afterAll(async () => {
    await lab.cleanup();
    rmSync(file, { force: true });
  });

  it(`reloads ${ENTRIES} entries with no ping lost at 10 ms intervals`, async () => {
    expect(await pingAsync(lab, kernelHost, '192.0.2.2', 3, '0.1')).toBe(3);
    writeFileSync(file, configFile(ENTRIES));
    const pings = pingAsync(lab, kernelHost, '192.0.2.2', 400, '0.01');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    vtep.child.kill('SIGHUP');
    expect(await waitFor(() => /"msg":"reloaded"/.test(vtep.stderr()), 20_000)).toBe(true);
    expect(await pings).toBe(400);
    const ms = Number(/"ms":(\d+),"msg":"reloaded"/.exec(vtep.stderr())?.[1]);
    process.stderr.write(`reload of ${ENTRIES} FDB entries: ${ms} ms\n`);
    // The file's entries, the default entry and the kernel host's learned MAC.
    expect(vtepStats(lab, tapHost, '--tap', 'vxt0').fdbEntries).toBe(ENTRIES + 2);

    // Reloading the same file again changes nothing; an empty one takes them all away.
    const reloads = (): number => vtep.stderr().split('"msg":"reloaded"').length - 1;
    vtep.child.kill('SIGHUP');
    expect(await waitFor(() => reloads() === 2, 20_000)).toBe(true);
    expect(vtepStats(lab, tapHost, '--tap', 'vxt0').fdbEntries).toBe(ENTRIES + 2);
    writeFileSync(file, configFile(0));
    vtep.child.kill('SIGHUP');
    expect(await waitFor(() => reloads() === 3, 20_000)).toBe(true);
    expect(vtepStats(lab, tapHost, '--tap', 'vxt0').fdbEntries).toBe(2);
  });
});
