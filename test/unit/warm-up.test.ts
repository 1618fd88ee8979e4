// The warm-up before the TAP comes up: synthetic frames go all the way round the data
// path in memory, and nothing of them is left in the VTEP that then runs.
import { describe, expect, it } from 'vitest';
import { warmUp } from '../../src/lifecycle/warm-up.js';
import { FakeWire } from '../fakes/underlay.js';
import { configOf, LAYOUT, SILENT, startFakeVtep } from '../fakes/vtep.js';

describe('warmUp', () => {
  it.each(['off', 'on'])('sends frames all the way round (offload %s)', (offload) => {
    const config = configOf({ vni: '42', peer: ['198.51.100.2'], offload });
    const { frames } = warmUp(config.segments[0]!, config.underlay, LAYOUT, SILENT);
    // Every round: 16 frames read; the ARP ones flood and come back; all are delivered.
    expect(frames).toBeGreaterThanOrEqual(400 * 16);
  });

  it('leaves nothing behind in the VTEP it warms up for', async () => {
    const v = await startFakeVtep(new FakeWire(), '198.51.100.1', configOf({ vni: '42', peer: ['198.51.100.2'], proxy: true }));
    try {
      const [segment] = v.vtep.segments;
      expect(segment!.counters.snapshot()).toMatchObject({ txFrames: 0, rxDatagrams: 0, rxPackets: 0 });
      expect(segment!.fdb.size).toBe(1); // the flood list's default entry
      expect(v.underlay.sent).toEqual([]);
      expect(v.taps[0]!.written).toEqual([]);
    } finally {
      v.stop();
    }
  });
});
