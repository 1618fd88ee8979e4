import { describe, expect, it } from 'vitest';
import { MacTable } from '../../src/engine/mac-table.js';
import { macHigh, macLow } from '../../src/wire/mac.js';
import { mac } from './frames.js';

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Key {
  high: number;
  low: number;
}

const keyString = ({ high, low }: Key): string => `${high}:${low >>> 0}`;

/** `count` distinct random keys; `low` is a signed int32 as macLow returns it. */
function randomKeys(count: number, seed: number): Key[] {
  const next = rng(seed);
  const seen = new Set<string>();
  const keys: Key[] = [];
  while (keys.length < count) {
    const key = { high: Math.floor(next() * 0x10000), low: Math.floor(next() * 2 ** 32) | 0 };
    if (seen.has(keyString(key))) continue;
    seen.add(keyString(key));
    keys.push(key);
  }
  return keys;
}

/** The home slot of a key in `table` (white box: the private hash). */
function homeOf(table: MacTable<unknown>, key: Key): number {
  return (table as unknown as { slotOf(high: number, low: number): number }).slotOf(key.high, key.low);
}

/** Asserts that the table holds exactly the reference map's contents. */
function expectSameAs(table: MacTable<string>, reference: Map<string, { key: Key; value: string }>): void {
  expect(table.size).toBe(reference.size);
  const missing: string[] = [];
  for (const [name, { key, value }] of reference) if (table.get(key.high, key.low) !== value) missing.push(name);
  expect(missing).toEqual([]);
  expect(table.list().sort()).toEqual([...reference.values()].map((e) => e.value).sort());
}

describe('MacTable basics', () => {
  it('starts empty', () => {
    const table = new MacTable<string>();
    expect(table.size).toBe(0);
    expect(table.get(0, 0)).toBeUndefined();
    expect(table.delete(0, 0)).toBe(false);
    expect(table.list()).toEqual([]);
  });

  it('sets, gets, overwrites and deletes one key', () => {
    const table = new MacTable<string>();
    table.set(0x0200, 0x00000001, 'a');
    expect(table.get(0x0200, 0x00000001)).toBe('a');
    expect(table.size).toBe(1);
    table.set(0x0200, 0x00000001, 'b');
    expect(table.get(0x0200, 0x00000001)).toBe('b');
    expect(table.size).toBe(1);
    expect(table.delete(0x0200, 0x00000001)).toBe(true);
    expect(table.get(0x0200, 0x00000001)).toBeUndefined();
    expect(table.size).toBe(0);
    expect(table.delete(0x0200, 0x00000001)).toBe(false);
    expect(table.size).toBe(0);
  });

  it('keeps keys apart that differ only in the high or only in the low half', () => {
    const table = new MacTable<string>();
    const keys: [number, number, string][] = [
      [0, 0, 'zero'],
      [1, 0, 'high 1'],
      [0, 1, 'low 1'],
      [0, 0x10000, 'low 0x10000'],
      [0x0100, 0, 'high 0x0100'],
      [0xffff, 0, 'high ffff'],
      [0, -1, 'low ffffffff'],
    ];
    for (const [high, low, value] of keys) table.set(high, low, value);
    expect(table.size).toBe(keys.length);
    for (const [high, low, value] of keys) expect(table.get(high, low)).toBe(value);
    expect(table.get(1, 1)).toBeUndefined();
  });

  it('handles the high half 0xffff and a low half with the top bit set (negative int32)', () => {
    const table = new MacTable<string>();
    const broadcast = mac('ff:ff:ff:ff:ff:ff');
    const topBit = mac('02:00:80:00:00:00');
    expect(macHigh(broadcast, 0)).toBe(0xffff);
    expect(macLow(broadcast, 0)).toBe(-1);
    expect(macLow(topBit, 0)).toBe(-0x80000000);
    table.set(macHigh(broadcast, 0), macLow(broadcast, 0), 'broadcast');
    table.set(macHigh(topBit, 0), macLow(topBit, 0), 'top bit');
    expect(table.get(0xffff, -1)).toBe('broadcast');
    expect(table.get(0x0200, -0x80000000)).toBe('top bit');
    expect(table.get(0x0200, 0x00000000)).toBeUndefined();
    expect(table.get(0x0200, 0x7fffffff)).toBeUndefined();
  });

  it('treats an unsigned low half the same as its int32 form', () => {
    const table = new MacTable<string>();
    table.set(0xffff, 0xffffffff, 'unsigned');
    expect(table.get(0xffff, -1)).toBe('unsigned');
    table.set(0xffff, -1, 'signed');
    expect(table.size).toBe(1);
    expect(table.get(0xffff, 0xffffffff)).toBe('signed');
    expect(table.delete(0xffff, 0xffffffff)).toBe(true);
    expect(table.size).toBe(0);
  });
});

describe('MacTable against a reference Map', () => {
  it('holds 5000 random MACs through growth', () => {
    const table = new MacTable<string>();
    const reference = new Map<string, { key: Key; value: string }>();
    for (const key of randomKeys(5000, 1)) {
      const value = `v${keyString(key)}`;
      table.set(key.high, key.low, value);
      reference.set(keyString(key), { key, value });
    }
    expectSameAs(table, reference);
    // Keys that were never inserted are not found.
    for (const key of randomKeys(200, 2)) {
      if (!reference.has(keyString(key))) expect(table.get(key.high, key.low)).toBeUndefined();
    }
  });

  it('keeps every remaining key findable through deletes interleaved with inserts and overwrites', () => {
    const table = new MacTable<string>();
    const reference = new Map<string, { key: Key; value: string }>();
    const pool = randomKeys(3000, 3);
    const next = rng(4);
    for (let step = 0; step < 20_000; step++) {
      const key = pool[Math.floor(next() * pool.length)]!;
      const name = keyString(key);
      if (next() < 0.45) {
        expect(table.delete(key.high, key.low)).toBe(reference.delete(name));
      } else {
        const value = `${name}@${step}`;
        table.set(key.high, key.low, value);
        reference.set(name, { key, value });
      }
      if (step % 1000 === 999) expectSameAs(table, reference);
    }
    expectSameAs(table, reference);
    for (const { key } of [...reference.values()]) expect(table.delete(key.high, key.low)).toBe(true);
    expect(table.size).toBe(0);
    expect(table.list()).toEqual([]);
  });

  it('keeps the rest findable after deleting any one member of a dense table', () => {
    // 32 keys in the initial 64 slots: the densest the table gets before it grows.
    const keys = randomKeys(32, 5);
    for (const victim of keys) {
      const table = new MacTable<string>();
      for (const key of keys) table.set(key.high, key.low, keyString(key));
      expect(table.delete(victim.high, victim.low)).toBe(true);
      expect(table.get(victim.high, victim.low)).toBeUndefined();
      for (const key of keys) if (key !== victim) expect(table.get(key.high, key.low)).toBe(keyString(key));
      expect(table.size).toBe(31);
    }
  });

  it('backward-shifts a probe run that wraps around the end of the table', () => {
    const probe = new MacTable<string>();
    // Keys whose home slot is 62 or 63 of the initial 64, and some that live at 0 and 1.
    const candidates = randomKeys(4000, 6);
    const homedAt = (slot: number, n: number): Key[] => candidates.filter((k) => homeOf(probe, k) === slot).slice(0, n);
    const atEnd = [...homedAt(62, 2), ...homedAt(63, 3)];
    const atStart = [...homedAt(0, 1), ...homedAt(1, 1)];
    expect(atEnd).toHaveLength(5);
    expect(atStart).toHaveLength(2);
    const keys = [...atEnd, ...atStart];

    for (const victim of keys) {
      const table = new MacTable<string>();
      for (const key of keys) table.set(key.high, key.low, keyString(key));
      expect(table.delete(victim.high, victim.low)).toBe(true);
      for (const key of keys) {
        expect(table.get(key.high, key.low)).toBe(key === victim ? undefined : keyString(key));
      }
      // Delete the rest one by one, checking the survivors each time.
      const rest = keys.filter((k) => k !== victim);
      while (rest.length > 0) {
        const key = rest.shift()!;
        expect(table.delete(key.high, key.low)).toBe(true);
        for (const other of rest) expect(table.get(other.high, other.low)).toBe(keyString(other));
      }
      expect(table.size).toBe(0);
    }
  });
});
