// The batch layout and packet region sizes shared with the addon, defined once in
// native/src (batch_layout.h and the region constants). The addon exports them and this
// module reads them with their exact key sets, so the two sides cannot drift: a key
// either side lacks is an error at load, naming it.
import { INNER_CHECKSUM, type DatagramLayout, type FrameLayout, type InnerChecksumVerdicts } from '../engine/batch.js';
import type { PacketLayout } from '../datapath/ports.js';
import { loadNative } from './native.js';

/** How the packet regions are cut, as the addon's readers and receiver cut them. */
export interface RegionLayout {
  /** Bytes of VXLAN header room in front of each frame a TAP reader lists. */
  readonly headroom: number;
  /** Each entry starts at a multiple of this. */
  readonly alignment: number;
  /** A UDP receive slot with GRO: the largest train the kernel coalesces. */
  readonly groSlotBytes: number;
}

const DATAGRAM_KEYS = ['stride', 'offset', 'length', 'segment', 'port', 'srcPort', 'ttl', 'tos', 'df', 'toGroup', 'flowLabel', 'pathMtu', 'address'] as const satisfies readonly (keyof DatagramLayout)[];
const FRAME_KEYS = ['stride', 'offset', 'length', 'checksum'] as const satisfies readonly (keyof FrameLayout)[];
const CHECKSUM_KEYS = ['none', 'verified', 'completed', 'bad'] as const satisfies readonly (keyof InnerChecksumVerdicts)[];
const REGION_KEYS = ['headroom', 'alignment', 'groSlotBytes'] as const satisfies readonly (keyof RegionLayout)[];

function exactly<T extends object>(name: string, fields: Record<string, unknown> | undefined, keys: readonly (keyof T & string)[]): T {
  const exported = Object.keys(fields ?? {});
  const missing = keys.filter((k) => typeof fields?.[k] !== 'number');
  const unknown = exported.filter((k) => !(keys as readonly string[]).includes(k));
  if (missing.length > 0 || unknown.length > 0) {
    const what = [missing.length > 0 ? `lacks ${missing.join(', ')}` : '', unknown.length > 0 ? `has ${unknown.join(', ')} unknown here` : ''].filter(Boolean).join(' and ');
    throw new Error(`the addon's ${name} layout ${what}: rebuild it (npm run build)`);
  }
  return Object.freeze({ ...fields }) as T;
}

const exported = loadNative().layout;

export const REGION: RegionLayout = exactly<RegionLayout>('region', exported.region, REGION_KEYS);

// The writers' checksum verdicts are constants on this side (the engine loads without the
// addon): they must be the addon's.
const verdicts = exactly<InnerChecksumVerdicts>('checksum', exported.checksum, CHECKSUM_KEYS);
for (const key of CHECKSUM_KEYS) {
  if (verdicts[key] !== INNER_CHECKSUM[key]) throw new Error(`the addon's checksum verdict ${key} is ${verdicts[key]}, not ${INNER_CHECKSUM[key]}: rebuild it (npm run build)`);
}

/** The layout the data path lays its regions and batches out in, for the addon's edges. */
export const PACKET_LAYOUT: PacketLayout = Object.freeze({
  batches: Object.freeze({
    datagram: exactly<DatagramLayout>('datagram', exported.datagram, DATAGRAM_KEYS),
    frame: exactly<FrameLayout>('frame', exported.frame, FRAME_KEYS),
  }),
  headroom: REGION.headroom,
  alignment: REGION.alignment,
});
