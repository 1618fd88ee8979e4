// Bursts of control clients leave the VTEP's memory where it was: 20 bursts of 200
// clients asking `stats` grow its RSS by less than 5 % over what it had after 10 bursts
// (V8 sizes the main thread's young generation to what the bursts leave alive within
// about ten of them, and keeps it). Before, V8 grew its young generation to 32 MB and
// left the bursts' garbage in its old generation: about 1 MB per burst, 20 MB here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { controlBurst } from '../../lab/control-burst.js';
import { rssKb } from '../../lab/process-watch.js';
import { isRoot } from './helpers.js';

const CLIENTS = 200;
const WARM_UP_BURSTS = 10;
const BURSTS = 20;
/** Longer than the quiet time after which the control server settles the heap. */
const QUIET_MS = 2000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!isRoot)('memory under control bursts', () => {
  const lab = new Lab('cmem');
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    ({ tapHost } = lab.pointToPoint());
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it(`${BURSTS} bursts of ${CLIENTS} clients grow RSS by less than 5 % after ${WARM_UP_BURSTS} of them`, { timeout: 60_000 }, async () => {
    const socket = `/run/vxlan-tap/netns-${tapHost}/vxt0.sock`;
    const burst = async (): Promise<void> => expect(await controlBurst(lab, tapHost, socket, CLIENTS)).toBe(CLIENTS);
    for (let i = 0; i < WARM_UP_BURSTS; i++) await burst();
    await sleep(QUIET_MS);
    const warm = rssKb(vtep.child.pid!);
    for (let i = 0; i < BURSTS; i++) await burst();
    await sleep(QUIET_MS);
    const after = rssKb(vtep.child.pid!);
    expect((after - warm) / warm, `RSS ${warm} -> ${after} KB`).toBeLessThan(0.05);
  });
});
