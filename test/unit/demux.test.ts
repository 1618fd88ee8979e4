// The receive side's owner: each datagram to the engine of its VNI, looked up once; GRO
// trains cut at their segment size; each VNI's frames written once per batch.
import { describe, expect, it } from 'vitest';
import { DatagramBatch, FrameBatch } from '../../src/engine/batch.js';
import { Demux, type RxTarget } from '../../src/engine/demux.js';
import type { Engine } from '../../src/engine/engine.js';
import { addressBytes } from '../../src/wire/address.js';
import { ethernetFrame, lengths, makeEngine, OWN_MAC, vxlanDatagram } from './frames.js';

const PEER = '198.51.100.1';

/** A target that records each flush: the frames listed at that moment. */
function target(engine: Engine, capacity = 16): RxTarget & { flushes: number[][] } {
  const deliveries = new FrameBatch(capacity);
  const flushes: number[][] = [];
  return {
    engine,
    deliveries,
    flushes,
    flush: () => {
      if (deliveries.count > 0) flushes.push(lengths(deliveries));
      deliveries.reset();
    },
  };
}

/** One datagram of `payloadLength` inner payload bytes for `vni`. */
const datagram = (vni: number, payloadLength = 46, patch: Record<number, number> = {}): Uint8Array =>
  vxlanDatagram(ethernetFrame({ dst: OWN_MAC, src: '02:00:00:00:00:0a', payloadLength }), vni, patch);

/** Lays `entries` (each one datagram or a train of them with its segment size) into a region and a batch. */
function received(entries: { datagrams: Uint8Array[]; segment?: number }[]): { buf: Uint8Array; batch: DatagramBatch } {
  const buf = new Uint8Array(8192);
  const batch = new DatagramBatch(entries.length);
  let at = 16;
  for (const { datagrams, segment } of entries) {
    const start = at;
    for (const d of datagrams) {
      buf.set(d, at);
      at += d.length;
    }
    batch.pushReceived(start, at - start, segment ?? at - start, 4789, 0);
    addressBytes(PEER, batch.bytes, batch.addressOffset(batch.count - 1));
    at += 16;
  }
  return { buf, batch };
}

/** A demultiplexer serving VNIs 42 (target a) and 43 (target b). */
function twoVnis(): { demux: Demux; a: ReturnType<typeof target>; b: ReturnType<typeof target> } {
  const a = target(makeEngine({ vni: 42 }).engine);
  const b = target(makeEngine({ vni: 43 }).engine);
  const demux = new Demux();
  demux.add(42, a);
  demux.add(43, b);
  return { demux, a, b };
}

describe('Demux', () => {
  it('routes each datagram to the engine of its VNI and flushes each target once', () => {
    const { demux, a, b } = twoVnis();
    const { buf, batch } = received([{ datagrams: [datagram(42)] }, { datagrams: [datagram(43, 100)] }, { datagrams: [datagram(42, 50)] }]);
    demux.rx(buf, batch, batch.count, 0);
    expect(a.flushes).toEqual([[60, 64]]);
    expect(b.flushes).toEqual([[114]]);
    expect(a.engine.fdb.size + b.engine.fdb.size).toBe(2);
  });

  it('cuts a GRO train at its segment size, each datagram to its own VNI, the last one shorter', () => {
    const { demux, a, b } = twoVnis();
    const full = datagram(42, 100);
    const train = [full, datagram(43, 100), datagram(42, 100), datagram(42, 30)];
    const { buf, batch } = received([{ datagrams: train, segment: full.length }]);
    demux.rx(buf, batch, 1, 0);
    expect(a.flushes).toEqual([[114, 114, 44]]);
    expect(b.flushes).toEqual([[114]]);
    expect(a.engine.counters.rxDatagrams + b.engine.counters.rxDatagrams).toBe(4);
  });

  it('counts what no VNI claims: too short, I flag clear (whatever else is wrong), unknown VNI', () => {
    const a = target(makeEngine({ vni: 42 }).engine);
    const demux = new Demux();
    demux.add(42, a);
    const { buf, batch } = received([
      { datagrams: [datagram(42).subarray(0, 7)] },
      { datagrams: [datagram(43, 46, { 0: 0x04, 7: 1 })] },
      { datagrams: [datagram(43, 46, { 3: 1 })] },
      { datagrams: [datagram(42)] },
    ]);
    demux.rx(buf, batch, batch.count, 0);
    const { drops } = demux.unclaimed;
    expect([drops.tooShort, drops.invalidHeader, drops.unknownVni]).toEqual([1, 1, 1]);
    expect(a.engine.counters.rxDatagrams).toBe(1);
    expect(a.engine.counters.rxErrors).toBe(0);
  });

  it('counts a datagram the receive buffer cut short (length 0) as too short', () => {
    const demux = new Demux();
    demux.add(42, target(makeEngine({ vni: 42 }).engine));
    const batch = new DatagramBatch(1);
    batch.pushReceived(0, 0, 0, 4789, 0);
    demux.rx(new Uint8Array(64), batch, 1, 0);
    expect(demux.unclaimed.drops.tooShort).toBe(1);
  });

  it('flushes a target whose frame batch is full before going on', () => {
    const a = target(makeEngine({ vni: 42 }).engine, 2);
    const demux = new Demux();
    demux.add(42, a);
    const { buf, batch } = received([{ datagrams: [datagram(42), datagram(42), datagram(42)], segment: datagram(42).length }]);
    demux.rx(buf, batch, 1, 0);
    expect(a.flushes).toEqual([[60, 60], [60]]);
  });
});
