// The FDB ageing sweep (src/ops/ageing.ts): a learned entry idle past its segment's ageing
// time goes, once, reported as an `age` event; a segment that never ages is left alone.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { startAgeing } from '../../src/ops/ageing.js';
import { EventHub, type VtepEvent } from '../../src/control/events.js';
import { Fdb } from '../../src/engine/fdb.js';
import { ip, mac } from './frames.js';

const log = pino({ level: 'silent' });

function segment(vni: number, ageingSeconds: number) {
  const fdb = new Fdb({ learnedPort: 4789, ageingMs: ageingSeconds * 1000, maxAddress: 0 });
  return { vni, fdb, config: { ageingSeconds } };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('startAgeing', () => {
  it('removes an idle learned entry once and reports it', () => {
    const ageing = segment(10, 2);
    const never = segment(20, 0);
    for (const s of [ageing, never]) s.fdb.learn(mac('02:00:00:00:00:0a'), 0, ip('198.51.100.7'), 0, Date.now());
    const events = new EventHub();
    const seen: VtepEvent[] = [];
    events.subscribe((e) => seen.push(e));
    const stop = startAgeing([ageing, never], events, log);
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual([{ event: 'age', vni: 10, mac: '02:00:00:00:00:0a', dst: '198.51.100.7' }]);
    expect([ageing.fdb.size, never.fdb.size]).toEqual([0, 1]);
    stop();
  });

  it('starts no timer when no segment ages entries', () => {
    startAgeing([segment(20, 0)], new EventHub(), log)();
    expect(vi.getTimerCount()).toBe(0);
  });
});
