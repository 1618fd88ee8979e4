// The receive direction: each datagram to the engine of its VNI, looked up once; GRO
// trains cut at their segment size; each VNI's frames written to its TAP once per batch;
// what a TAP refuses counted as dropped.
import { describe, expect, it } from 'vitest';
import type { DatagramBatch } from '../../src/engine/batch.js';
import { Receive } from '../../src/datapath/receive.js';
import type { Segment } from '../../src/datapath/segment.js';
import { addressBytes } from '../../src/wire/address.js';
import { datagramBatch, ethernetFrame, OWN_MAC, vxlanDatagram } from './frames.js';
import { fakeSegment, LAYOUT } from '../fakes/vtep.js';
import type { FakeTap } from '../fakes/tap.js';

const PEER = '198.51.100.1';

/** One datagram of `payloadLength` inner payload bytes for `vni`. */
const datagram = (vni: number, payloadLength = 46, patch: Record<number, number> = {}): Uint8Array =>
  vxlanDatagram(ethernetFrame({ dst: OWN_MAC, src: '02:00:00:00:00:0a', payloadLength }), vni, patch);

/** Lays `entries` (each one datagram or a train of them with its segment size) into a region and a batch. */
function received(entries: { datagrams: Uint8Array[]; segment?: number }[]): { buf: Uint8Array; batch: DatagramBatch } {
  const buf = new Uint8Array(8192);
  const batch = datagramBatch(entries.length);
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

const tapOf = (segment: Segment): FakeTap => segment.tap as FakeTap;

/** The receive direction serving `vnis`, `writeBatch` frames per TAP write at most. */
function serving(vnis: number[], writeBatch?: number): { receive: Receive; segments: Segment[] } {
  const receive = new Receive(LAYOUT.batches.frame, undefined, writeBatch);
  const segments = vnis.map((vni) => fakeSegment({ vni: String(vni) }));
  for (const segment of segments) receive.add(segment);
  return { receive, segments };
}

describe('Receive', () => {
  it('routes each datagram to the engine of its VNI and flushes each target once', () => {
    const { receive, segments: [a, b] } = serving([42, 43]);
    const { buf, batch } = received([{ datagrams: [datagram(42)] }, { datagrams: [datagram(43, 100)] }, { datagrams: [datagram(42, 50)] }]);
    receive.onBatch(buf, batch, batch.count);
    expect(tapOf(a!).writeCalls).toEqual([[60, 64]]);
    expect(tapOf(b!).writeCalls).toEqual([[114]]);
    expect(a!.fdb.size + b!.fdb.size).toBe(2);
  });

  it('cuts a GRO train at its segment size, each datagram to its own VNI, the last one shorter', () => {
    const { receive, segments: [a, b] } = serving([42, 43]);
    const full = datagram(42, 100);
    const train = [full, datagram(43, 100), datagram(42, 100), datagram(42, 30)];
    const { buf, batch } = received([{ datagrams: train, segment: full.length }]);
    receive.onBatch(buf, batch, 1);
    expect(tapOf(a!).writeCalls).toEqual([[114, 114, 44]]);
    expect(tapOf(b!).writeCalls).toEqual([[114]]);
    expect(tapOf(a!).written.map((f) => f.length)).toEqual([114, 114, 44]);
    expect(a!.counters.rxDatagrams + b!.counters.rxDatagrams).toBe(4);
  });

  it('counts what no VNI claims: too short, I flag clear (whatever else is wrong), unknown VNI', () => {
    const { receive, segments: [a] } = serving([42]);
    const { buf, batch } = received([
      { datagrams: [datagram(42).subarray(0, 7)] },
      { datagrams: [datagram(43, 46, { 0: 0x04, 7: 1 })] },
      { datagrams: [datagram(43, 46, { 3: 1 })] },
      { datagrams: [datagram(42)] },
    ]);
    receive.onBatch(buf, batch, batch.count);
    const { drops } = receive.unclaimed;
    expect([drops.tooShort, drops.invalidHeader, drops.unknownVni]).toEqual([1, 1, 1]);
    expect(a!.counters.rxDatagrams).toBe(1);
    expect(a!.counters.rxErrors).toBe(0);
  });

  it('counts a datagram the receive buffer cut short (length 0) as too short', () => {
    const { receive } = serving([42]);
    const batch = datagramBatch(1);
    batch.pushReceived(0, 0, 0, 4789, 0);
    receive.onBatch(new Uint8Array(64), batch, 1);
    expect(receive.unclaimed.drops.tooShort).toBe(1);
  });

  it('writes to a TAP whose frame batch is full before going on', () => {
    const { receive, segments: [a] } = serving([42], 2);
    const { buf, batch } = received([{ datagrams: [datagram(42), datagram(42), datagram(42)], segment: datagram(42).length }]);
    receive.onBatch(buf, batch, 1);
    expect(tapOf(a!).writeCalls).toEqual([[60, 60], [60]]);
  });

  it('counts what the TAP refused as dropped, so the counters still add up', () => {
    const { receive, segments: [a] } = serving([42]);
    tapOf(a!).refuseWrites = true;
    const { buf, batch } = received([{ datagrams: [datagram(42)] }, { datagrams: [datagram(42, 100)] }]);
    receive.onBatch(buf, batch, batch.count);
    const c = a!.counters;
    expect([c.rxPackets, c.rxBytes, c.drops.tapRefused]).toEqual([0, 0, 2]);
    expect(c.rxDatagrams).toBe(c.rxPackets + c.rxDropsTotal());
    expect(tapOf(a!).written).toEqual([]);
  });
});
