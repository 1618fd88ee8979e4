// In steady forwarding the data path collects no garbage: after ready, a VTEP pinged every
// 10 ms for 25 s logs the same count of data-path collections in every stats line. V8's
// memory reducer did two full collections in the worker about 15 s after start (23 ms
// and 7 ms, each the slowest ping of the run) before it was turned off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, pingAsync } from './helpers.js';

const PINGS = 2500;

describe.skipIf(!isRoot)('a steady data path', () => {
  const lab = new Lab('heap');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(() => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
  });
  afterAll(() => lab.cleanup());

  it('has no garbage collection in 25 s of pings 10 ms apart', { timeout: 90_000 }, async () => {
    const vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--stats-interval', '1');
    try {
      expect(await pingAsync(lab, kernelHost, '192.0.2.2', PINGS, '0.01')).toBeGreaterThan(PINGS * 0.99);
    } finally {
      await vtep.stop();
    }
    const counts = vtep
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"stats"'))
      .map((line) => (JSON.parse(line) as { dataPathGc: { count: number } }).dataPathGc.count);
    expect(counts.length).toBeGreaterThan(20);
    expect(counts.at(-1), `data-path collections per stats line: ${counts.join(' ')}`).toBe(counts[0]);
  });
});
