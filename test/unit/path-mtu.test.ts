// Path MTU in the engine (as the kernel's skb_tunnel_check_pmtu): once the underlay said
// a remote's path MTU, a frame that no longer fits it, with DF, gets no copy to that
// remote; an inner IPv4 packet with DF is answered with ICMP "fragmentation needed" and
// an inner IPv6 packet with ICMPv6 "packet too big", written over it toward its sender
// and listed for the TAP, with the inner MTU and correct checksums.
import { describe, expect, it } from 'vitest';
import { ZERO_MAC } from '../../src/engine/fdb.js';
import { makeRemote } from '../../src/engine/remote.js';
import { PathMtus, PATH_MTU_EXPIRES_MS } from '../../src/engine/path-mtu.js';
import { finishChecksum, onesSum } from '../../src/wire/view.js';
import { addressBytes } from '../../src/wire/address.js';
import { encapOne, FRAME_OFFSET, INNER_DST, ipv4Frame, ipv6Frame, makeEngine, OWN_MAC, PROTO_ICMP, PROTO_TCP, type EngineSetup } from './frames.js';

const PEER4 = '198.51.100.2';
const PEER6 = '2001:db8:ff::2';
const PEER4_B = '203.0.113.3';

function engineWith(peers: string[], outer: EngineSetup['outer'] = { df: 'set' }) {
  const setup = makeEngine({ outer });
  for (const peer of peers) setup.fdb.append(ZERO_MAC, makeRemote(peer, 4789), 'permanent', 0);
  return setup.engine;
}

const hexMac = (buf: Uint8Array, at: number): string => Array.from(buf.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
const u16 = (buf: Uint8Array, at: number): number => (buf[at]! << 8) | buf[at + 1]!;
const u32 = (buf: Uint8Array, at: number): number => u16(buf, at) * 0x10000 + u16(buf, at + 2);

describe('PathMtus', () => {
  it('holds a learned MTU for the kernel route MTU lifetime, then forgets it', () => {
    const table = new PathMtus();
    table.learn(PEER4, 1400, 1000);
    expect(table.get(PEER4, 1000 + PATH_MTU_EXPIRES_MS - 1)).toBe(1400);
    expect(table.get(PEER4_B, 1000)).toBe(0);
    expect(table.get(PEER4, 1000 + PATH_MTU_EXPIRES_MS)).toBe(0);
    expect(table.size).toBe(0);
  });
});

describe('a frame too big for the path MTU', () => {
  it('IPv4 inside with DF: ICMP fragmentation needed with the inner MTU, over the frame, to its sender', () => {
    const engine = engineWith([PEER4]);
    engine.learnPathMtu(PEER4, 1400);
    const frame = ipv4Frame({ src: '192.0.2.2', dst: '192.0.2.1', df: true, ttl: 61, protocol: PROTO_TCP, l4Length: 1430 });
    const original = frame.slice(14);
    const { buf, sent, toTap } = encapOne(engine, frame);
    expect(sent.count).toBe(0);
    expect(toTap.count).toBe(1);
    expect(toTap.offset(0)).toBe(FRAME_OFFSET);
    const f = FRAME_OFFSET;
    expect(toTap.length(0)).toBe(14 + 20 + 8 + 548);
    expect(hexMac(buf, f)).toBe(OWN_MAC);
    expect(hexMac(buf, f + 6)).toBe(INNER_DST);
    expect(u16(buf, f + 12)).toBe(0x0800);
    const ip = f + 14;
    expect(buf[ip]).toBe(0x45);
    expect(u16(buf, ip + 2)).toBe(20 + 8 + 548);
    expect(u16(buf, ip + 6)).toBe(0x4000);
    expect([buf[ip + 8], buf[ip + 9]]).toEqual([61, PROTO_ICMP]);
    expect(Array.from(buf.subarray(ip + 12, ip + 20))).toEqual([192, 0, 2, 1, 192, 0, 2, 2]);
    expect(finishChecksum(onesSum(buf, ip, ip + 20))).toBe(0);
    const icmp = ip + 20;
    expect([buf[icmp], buf[icmp + 1], u16(buf, icmp + 4), u16(buf, icmp + 6)]).toEqual([3, 4, 0, 1400 - 50]);
    expect(finishChecksum(onesSum(buf, icmp, icmp + 8 + 548))).toBe(0);
    expect(Array.from(buf.subarray(icmp + 8, icmp + 8 + 548))).toEqual(Array.from(original.subarray(0, 548)));
    const c = engine.counters;
    expect([c.pathMtuAnswered, c.drops.pathMtu, c.txDropped, c.txEncapsulated, c.drops.noTarget]).toEqual([1, 1, 1, 0, 0]);
    expect(c.txEncapsulated + c.drops.noTarget + c.drops.proxyConsumed + c.drops.pathMtu).toBe(c.txFrames);
  });

  it('IPv6 inside: ICMPv6 packet too big with the inner MTU (IPv6 underlay, whatever --df says)', () => {
    const engine = engineWith([PEER6], { df: 'unset' });
    engine.learnPathMtu(PEER6, 1400);
    const frame = ipv6Frame({ src: '2001:db8:42::2', dst: '2001:db8:42::1', hopLimit: 63, nextHeader: PROTO_TCP, l4Length: 1390 });
    const original = frame.slice(14);
    const { buf, sent, toTap } = encapOne(engine, frame);
    expect(sent.count).toBe(0);
    expect(toTap.count).toBe(1);
    const f = FRAME_OFFSET;
    expect(toTap.length(0)).toBe(14 + 1280);
    expect(hexMac(buf, f)).toBe(OWN_MAC);
    const ip = f + 14;
    expect([buf[ip], u16(buf, ip + 4), buf[ip + 6], buf[ip + 7]]).toEqual([0x60, 1240, 58, 63]);
    expect(Array.from(buf.subarray(ip + 8, ip + 24))).toEqual(Array.from(addressBytes('2001:db8:42::1')));
    expect(Array.from(buf.subarray(ip + 24, ip + 40))).toEqual(Array.from(addressBytes('2001:db8:42::2')));
    const icmp = ip + 40;
    expect([buf[icmp], buf[icmp + 1], u32(buf, icmp + 4)]).toEqual([2, 0, 1400 - 70]);
    const pseudo = onesSum(buf, ip + 8, ip + 40) + 1240 + 58;
    expect(finishChecksum(onesSum(buf, icmp, icmp + 1240, pseudo))).toBe(0);
    expect(Array.from(buf.subarray(icmp + 8, icmp + 1240))).toEqual(Array.from(original.subarray(0, 1232)));
  });

  it('sends what fits, and what the path takes with DF clear, as before', () => {
    const engine = engineWith([PEER4], { df: 'inherit' });
    engine.learnPathMtu(PEER4, 1400);
    // 14 + 20 + 1322 = 1356 bytes: 1356 + 8 + 28 = 1392 fits.
    expect(encapOne(engine, ipv4Frame({ df: true, l4Length: 1322 })).sent.count).toBe(1);
    // No DF inside: no DF outside, the path fragments it.
    const { sent, toTap } = encapOne(engine, ipv4Frame({ df: false, l4Length: 1430 }));
    expect([sent.count, toTap.count]).toEqual([1, 0]);
    expect(engine.counters.pathMtuAnswered).toBe(0);
  });

  it('drops without an answer what the kernel would not answer: no DF inside under --df set, an ICMP error', () => {
    const engine = engineWith([PEER4]);
    engine.learnPathMtu(PEER4, 1400);
    for (const frame of [ipv4Frame({ df: false, l4Length: 1430 }), ipv4Frame({ df: true, protocol: PROTO_ICMP, l4Length: 1430 }, {})]) {
      if (frame[14 + 9] === PROTO_ICMP) frame[14 + 20] = 3; // destination unreachable
      const { sent, toTap } = encapOne(engine, frame);
      expect([sent.count, toTap.count]).toEqual([0, 0]);
    }
    expect([engine.counters.drops.pathMtu, engine.counters.pathMtuAnswered]).toEqual([2, 0]);
  });

  it('still sends the copies for remotes whose path takes it, before answering', () => {
    const engine = engineWith([PEER4, PEER4_B]);
    engine.learnPathMtu(PEER4, 1400);
    const { sent, toTap } = encapOne(engine, ipv4Frame({ df: true, l4Length: 1430 }));
    expect(sent.count).toBe(1);
    expect(toTap.count).toBe(1);
    expect(engine.counters.txEncapsulated).toBe(1);
    expect(engine.counters.drops.pathMtu).toBe(0);
  });
});
