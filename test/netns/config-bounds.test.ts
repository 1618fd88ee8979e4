// A config file under the 32 MB cap that would take gigabytes once parsed (30 M brackets,
// nested): refused at start in one line, and as a SIGHUP reload refused quickly while
// the running configuration and forwarding go on and memory stays flat.
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { rssKb } from '../../lab/process-watch.js';
import { isRoot, pingAsync, runCli, waitFor } from './helpers.js';

const NESTED = 15_000_000;

describe.skipIf(!isRoot)('a config file built to exhaust memory', () => {
  const lab = new Lab('cfgb');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  const file = path.join(os.tmpdir(), `vxt-cfgb-${process.pid}.json`);
  const bomb = path.join(os.tmpdir(), `vxt-cfgb-${process.pid}-bomb.json`);

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    writeFileSync(file, JSON.stringify({ vnis: [{ vni: 42, tap: 'vxt0', peers: ['198.51.100.1'], addresses: ['192.0.2.2/24'] }] }));
    writeFileSync(bomb, `{"vnis":${'['.repeat(NESTED)}${']'.repeat(NESTED)}}`);
    vtep = await lab.vtep(tapHost, '--config', file);
  });
  afterAll(async () => {
    await lab.cleanup();
    rmSync(file, { force: true });
    rmSync(bomb, { force: true });
  });

  it('refuses it at start: one line, exit 2', () => {
    const r = runCli(tapHost, '--config', bomb);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`vxlan-tap: error: --config ${bomb}: the JSON is nested deeper than 32 levels\n`);
  });

  it('as a reload: rejected within two seconds, the running config kept, pings flow, memory flat', async () => {
    expect(await pingAsync(lab, kernelHost, '192.0.2.2', 1)).toBe(1);
    const pid = vtep.child.pid!;
    const before = rssKb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 20);
    copyFileSync(bomb, file);
    const pings = pingAsync(lab, kernelHost, '192.0.2.2', 50, '0.02');
    const sent = Date.now();
    process.kill(pid, 'SIGHUP');
    const rejected = await waitFor(() => /"msg":"reload rejected; running configuration kept"/.test(vtep.stderr()), 10_000);
    const ms = Date.now() - sent;
    expect(rejected).toBe(true);
    expect(await pings).toBe(50);
    clearInterval(sampler);
    // The main thread yields the CPU to the data path: on a busy machine it takes longer.
    expect(ms).toBeLessThan(2000);
    expect(vtep.stderr()).toMatch(/"reason":"--config .*: the JSON is nested deeper than 32 levels"/);
    expect(peak - before).toBeLessThan(150 * 1024);
    expect(await pingAsync(lab, kernelHost, '192.0.2.2', 2, '0.1')).toBe(2);
  });
});
