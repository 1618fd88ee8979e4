// Keeps every data-path worker's copy of the tables in step with the main thread's: each
// FDB or neighbour entry that changes is marked, and the marked entries' images (as they
// are when sent) go to every worker a slice at a time, one slice per turn of the event
// loop. A reload of 100,000 entries thus reaches the workers as a hundred small messages,
// each applied between two of their batches, never as one long stop.
import type { FdbSlice, NeighImage, RemoteImage, ToForwarder } from './datapath/messages.js';
import { FDB_STATES } from './engine/fdb.js';
import type { SegmentState } from './segment-state.js';
import { macHigh, macLow } from './wire/mac.js';

/** Entries per message: applying one takes a worker well under a millisecond. */
const SLICE = 1000;

interface Pending {
  segment: SegmentState;
  fdb: Map<number, Uint8Array>;
  neigh: Set<string>;
}

export class TableMirror {
  private readonly pending: Pending[];
  private scheduled = false;

  /** Marks every change of the segments' tables from now on; `post` sends to every worker. */
  constructor(
    segments: readonly SegmentState[],
    private readonly post: (message: ToForwarder) => void,
  ) {
    this.pending = segments.map((segment) => {
      const p: Pending = { segment, fdb: new Map(), neigh: new Set() };
      segment.fdb.onChange = (mac) => this.mark(() => p.fdb.set(macKey(mac), mac));
      segment.neighbours.onChange = (ip) => this.mark(() => p.neigh.add(ip));
      return p;
    });
  }

  /** Sends every entry of every table now, in slices: what a worker starts from. */
  sendAll(): void {
    for (const p of this.pending) {
      for (const entry of p.segment.fdb.entries()) p.fdb.set(macKey(entry.mac), entry.mac);
      for (const n of p.segment.neighbours.list()) p.neigh.add(n.ip);
    }
    while (this.sendSlice());
  }

  /** Stops marking (the tables stay as they are). */
  stop(): void {
    for (const p of this.pending) {
      p.segment.fdb.onChange = () => {};
      p.segment.neighbours.onChange = () => {};
    }
  }

  private mark(add: () => void): void {
    add();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.sendSlices());
  }

  private sendSlices(): void {
    this.scheduled = false;
    if (!this.sendSlice()) return;
    this.scheduled = true;
    setImmediate(() => this.sendSlices());
  }

  /** Sends up to SLICE marked entries; returns whether some are left. */
  private sendSlice(): boolean {
    let room = SLICE;
    for (const p of this.pending) {
      if (room === 0) break;
      const { segment } = p;
      if (p.fdb.size > 0) {
        const macs: Uint8Array[] = [];
        for (const [key, mac] of p.fdb) {
          if (room-- === 0) break;
          p.fdb.delete(key);
          macs.push(mac);
        }
        this.post({ kind: 'fdb', vni: segment.vni, slice: fdbSlice(segment, macs) });
      }
      if (p.neigh.size > 0 && room > 0) {
        const entries: NeighImage[] = [];
        for (const ip of p.neigh) {
          if (room-- === 0) break;
          p.neigh.delete(ip);
          entries.push(neighImage(segment, ip));
        }
        this.post({ kind: 'neigh', vni: segment.vni, entries });
      }
    }
    return this.pending.some((p) => p.fdb.size > 0 || p.neigh.size > 0);
  }
}

/** The MAC as one number (48 bits fit a double exactly). */
const macKey = (mac: Uint8Array): number => macHigh(mac, 0) * 2 ** 32 + (macLow(mac, 0) >>> 0);

/** The entries of `macs` as they are now, packed (see FdbSlice). */
function fdbSlice(segment: SegmentState, macs: Uint8Array[]): FdbSlice {
  const n = macs.length;
  const slice: FdbSlice = { macs: new Uint8Array(6 * n), states: new Uint8Array(n), updated: new Float64Array(n), remoteCounts: new Uint8Array(n), remoteIndexes: new Uint32Array(0), remotes: [] };
  const indexes: number[] = [];
  const known = new Map<string, number>();
  macs.forEach((mac, i) => {
    slice.macs.set(mac, 6 * i);
    const entry = segment.fdb.get(mac);
    if (entry === undefined) return;
    slice.states[i] = FDB_STATES.indexOf(entry.state);
    slice.updated[i] = entry.updated;
    slice.remoteCounts[i] = entry.remotes.length;
    for (const r of entry.remotes) {
      const image: RemoteImage = { address: r.address, port: r.port, ...(r.vni === undefined ? {} : { vni: r.vni }), ...(r.owner === undefined ? {} : { owner: r.owner }) };
      const key = `${image.address} ${image.port} ${image.vni ?? ''} ${image.owner ?? ''}`;
      let index = known.get(key);
      if (index === undefined) known.set(key, (index = slice.remotes.push(image) - 1));
      indexes.push(index);
    }
  });
  slice.remoteIndexes = Uint32Array.from(indexes);
  return slice;
}

function neighImage(segment: SegmentState, ip: string): NeighImage {
  const entry = segment.neighbours.get(ip);
  if (entry === undefined) return { ip, router: false };
  return { ip, mac: entry.mac, router: entry.router, ...(entry.owner === undefined ? {} : { owner: entry.owner }) };
}
