// Whole VTEPs and single segments on the in-memory TAP and underlay, configured as from
// the command line: frame walks through the real data path, engine and tables, without
// root. Each VTEP's control socket lives in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildVtepConfig, type RawRunOptions, type SystemDefaults, type VtepConfig } from '../../src/config/vtep-config.js';
import type { PacketLayout } from '../../src/datapath/ports.js';
import { Segment } from '../../src/datapath/segment.js';
import { PACKET_LAYOUT } from '../../src/io/batch-layout.js';
import { Vtep } from '../../src/vtep.js';
import { FakeTap, FakeTaps } from './tap.js';
import { FakeUnderlay, FakeWire } from './underlay.js';
import { InlineForwarders } from './forwarders.js';

export const LAYOUT: PacketLayout = PACKET_LAYOUT;
export const SILENT = pino({ level: 'silent' });
const SYSTEM: SystemDefaults = { localPortRange: { min: 40000, max: 40999 }, deviceMtu: () => undefined };

/** The configuration `vxlan-tap` would run with these options (no offloads: the fakes move plain frames). */
export function configOf(raw: RawRunOptions): VtepConfig {
  return buildVtepConfig({ offload: 'off', ...raw }, SYSTEM);
}

export interface FakeVtep {
  vtep: Vtep;
  underlay: FakeUnderlay;
  /** The TAP of each VNI, in the configuration's order. */
  taps: FakeTap[];
  stop(): void;
}

/** A running VTEP at `address` on `wire`; its control sockets in a directory removed at stop. */
export async function startFakeVtep(wire: FakeWire, address: string, config: VtepConfig): Promise<FakeVtep> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxlan-tap-fake-'));
  config.segments.forEach((s, i) => (s.control ??= path.join(dir, `vni${i}.sock`)));
  const underlay = new FakeUnderlay(wire, address, LAYOUT, config.underlay.port);
  const taps = new FakeTaps(LAYOUT);
  const vtep = await Vtep.start(config, { taps, forwarders: new InlineForwarders(underlay, LAYOUT, SILENT), layout: LAYOUT }, SILENT);
  return {
    vtep,
    underlay,
    taps: taps.opened,
    stop: () => {
      void vtep.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One segment on a FakeTap, outside any VTEP: for the receive direction alone. */
export function fakeSegment(raw: RawRunOptions, tapMac = Uint8Array.of(0x02, 0, 0, 0, 0, 1)): Segment {
  const config = configOf(raw);
  const settings = config.segments[0]!;
  const tap = new FakeTap(`vni${settings.vni}`, tapMac, LAYOUT);
  return new Segment(settings, tap, config.underlay, [40000], () => {}, SILENT);
}

/**
 * Lets the table changes made so far reach the data path: the main table sends them a
 * slice per turn of the event loop, the worker applies them a slice a millisecond.
 */
export async function tablesSettled(): Promise<void> {
  for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
}
