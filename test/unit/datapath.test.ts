// Whole frame walks through real VTEPs (data path, engine, tables, reload, state
// snapshots) on the in-memory TAP and underlay: learning, flooding, the proxy, a reload
// and a handover's state, without root. The namespace tests are the proof on the wire;
// these pin down what each step does with a frame.
import { afterEach, describe, expect, it } from 'vitest';
import { applySnapshot, snapshotOf } from '../../src/lifecycle/state-snapshot.js';
import { formatMac } from '../../src/wire/mac.js';
import { readVni, VXLAN_HEADER_LEN } from '../../src/wire/vxlan.js';
import { BROADCAST, ethernetFrame, ETHERTYPE_ARP, mac } from './frames.js';
import { FakeWire } from '../fakes/underlay.js';
import { configOf, startFakeVtep, tablesSettled, type FakeVtep } from '../fakes/vtep.js';

const A = '198.51.100.1';
const B = '198.51.100.2';
const C = '198.51.100.3';
const HOST_A = '02:00:00:00:0a:01';
const HOST_B = '02:00:00:00:0b:01';

let running: FakeVtep[] = [];
afterEach(() => {
  for (const v of running) v.stop();
  running = [];
});

async function vtep(wire: FakeWire, address: string, raw: Parameters<typeof configOf>[0]): Promise<FakeVtep> {
  const v = await startFakeVtep(wire, address, configOf(raw));
  running.push(v);
  return v;
}

/** An ARP request from `src` (who has 192.0.2.x?), broadcast. */
function arpRequest(src: string, target = [192, 0, 2, 2]): Uint8Array {
  const body = new Uint8Array(28);
  body.set([0, 1, 0x08, 0, 6, 4, 0, 1]);
  body.set(mac(src), 8);
  body.set([192, 0, 2, 1], 14);
  body.set(target, 24);
  return ethernetFrame({ dst: BROADCAST, src, etherType: ETHERTYPE_ARP, payload: body });
}

const unicast = (dst: string, src: string, payloadLength = 100): Uint8Array => ethernetFrame({ dst, src, etherType: 0x0800, payloadLength });

describe('frame walks through two VTEPs', () => {
  it('floods a broadcast to the peer, which delivers it byte for byte and learns its source', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B] });
    const b = await vtep(wire, B, { vni: '42', peer: [A] });
    const frame = arpRequest(HOST_A);
    a.taps[0]!.hostSends(frame);
    expect(a.underlay.sent.map((d) => d.to)).toEqual([B]);
    const sent = a.underlay.sent[0]!;
    expect(readVni(sent.datagram, 0)).toBe(42);
    expect(sent.datagram.subarray(VXLAN_HEADER_LEN)).toEqual(frame);
    expect(b.taps[0]!.written).toEqual([frame]);
    const learned = b.vtep.segments[0]!.fdb.get(mac(HOST_A));
    expect(learned?.state).toBe('dynamic');
    expect(learned?.remotes.map((r) => r.address)).toEqual([A]);
  });

  it('sends a reply to a learned MAC to that VTEP alone, not to the flood list', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B, C] });
    const b = await vtep(wire, B, { vni: '42', peer: [A, C] });
    const c = await vtep(wire, C, { vni: '42', peer: [A, B] });
    a.taps[0]!.hostSends(arpRequest(HOST_A));
    expect(a.underlay.sent.map((d) => d.to).sort()).toEqual([B, C]);
    b.taps[0]!.hostSends(unicast(HOST_A, HOST_B));
    expect(b.underlay.sent.map((d) => d.to)).toEqual([A]);
    expect(a.taps[0]!.written.at(-1)).toEqual(unicast(HOST_A, HOST_B));
    expect(c.taps[0]!.written).toHaveLength(1);
    // A learned HOST_B behind B from the reply: its next frame to HOST_B goes to B alone.
    a.underlay.sent.length = 0;
    a.taps[0]!.hostSends(unicast(HOST_B, HOST_A));
    expect(a.underlay.sent.map((d) => d.to)).toEqual([B]);
    expect(a.vtep.segments[0]!.counters.txEncapsulated).toBe(2);
  });

  it('keeps VNIs apart: a frame of VNI 42 reaches only the TAP of VNI 42', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B] });
    const b = await vtep(wire, B, { vni: '43', peer: [A] });
    a.taps[0]!.hostSends(arpRequest(HOST_A));
    expect(b.taps[0]!.written).toEqual([]);
    expect((await b.vtep.stats.segment(b.vtep.segments[0]!))['unclaimed']).toMatchObject({ unknownVni: 1 });
  });

  it('answers ARP from the neighbour table with --proxy, on the TAP, and sends nothing', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B], proxy: true });
    a.vtep.segments[0]!.neighbours.replace('192.0.2.2', mac(HOST_B), false);
    await tablesSettled();
    a.taps[0]!.hostSends(arpRequest(HOST_A, [192, 0, 2, 2]));
    expect(a.underlay.sent).toEqual([]);
    const reply = a.taps[0]!.written[0]!;
    expect(formatMac(reply, 0)).toBe(HOST_A);
    expect(formatMac(reply, 6)).toBe(HOST_B);
    expect(reply[21]).toBe(2); // ARP reply
  });

  it('counts what the underlay refused and goes on with the next peer', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B, C] });
    const c = await vtep(wire, C, { vni: '42', peer: [A] });
    a.underlay.unreachable.add(B);
    a.taps[0]!.hostSends(arpRequest(HOST_A));
    expect(a.underlay.sendErrors).toBe(1);
    expect(c.taps[0]!.written).toHaveLength(1);
    expect((await a.vtep.stats.segment(a.vtep.segments[0]!))['sendErrors']).toBe(1);
  });
});

describe('reload and handover state', () => {
  it('a reload changes the flood list in place and keeps what was learned', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B] });
    const b = await vtep(wire, B, { vni: '42', peer: [A] });
    b.taps[0]!.hostSends(arpRequest(HOST_B));
    const next = configOf({ vni: '42', peer: [C] });
    next.segments[0]!.control = a.vtep.segments[0]!.config.control;
    expect(a.vtep.reload(next)).toEqual({ needRestart: [], problems: [] });
    await tablesSettled();
    a.underlay.sent.length = 0;
    a.taps[0]!.hostSends(arpRequest(HOST_A));
    expect(a.underlay.sent.map((d) => d.to)).toEqual([C]);
    expect(a.vtep.segments[0]!.fdb.get(mac(HOST_B))?.remotes.map((r) => r.address)).toEqual([B]);
  });

  it('a successor given the predecessor\'s snapshot forwards to what the predecessor learned', async () => {
    const wire = new FakeWire();
    const old = await vtep(wire, A, { vni: '42', peer: [B, C] });
    const b = await vtep(wire, B, { vni: '42', peer: [A] });
    b.taps[0]!.hostSends(arpRequest(HOST_B));
    const snapshot = snapshotOf(old.vtep.segments[0]!);
    old.stop();
    running = running.filter((v) => v !== old);
    const successor = await vtep(wire, A, { vni: '42', peer: [B, C] });
    applySnapshot(successor.vtep.segments[0]!, snapshot);
    await tablesSettled();
    successor.taps[0]!.hostSends(unicast(HOST_B, HOST_A));
    expect(successor.underlay.sent.map((d) => d.to)).toEqual([B]);
    expect(b.taps[0]!.written.at(-1)).toEqual(unicast(HOST_B, HOST_A));
  });
});

describe('a failing TAP', () => {
  it('fails the VTEP once, naming the device', async () => {
    const wire = new FakeWire();
    const a = await vtep(wire, A, { vni: '42', peer: [B], tap: 'vx7' });
    a.taps[0]!.fail('EBADFD');
    await expect(a.vtep.failed).resolves.toBe('TAP device vx7 failed (EBADFD)');
  });
});
