// What the main thread and a data-path worker (a forwarder) tell each other. The main
// thread owns the tables: every change of an FDB or neighbour entry goes to each
// worker's copy as the entry's new image; a worker tells the main thread what it learned
// and which learned entries its frames kept fresh. Packets never cross: each worker reads
// and writes its own TAP queue and its own sockets.

/** One remote of an FDB entry image (a Remote without its derived fields). */
export interface RemoteImage {
  address: string;
  port: number;
  vni?: number;
  owner?: string;
}

/**
 * FDB entries as they are now in the main table, packed into a few typed arrays (a
 * thousand entries cost the receiving worker microseconds to take in, where as many
 * objects would cost it milliseconds). Entry i: MAC macs[6i..6i+6), state
 * FDB_STATES[states[i]], last refreshed updated[i], and remoteCounts[i] remotes (none:
 * the entry is gone), taken in turn from remoteIndexes, each an index into `remotes`.
 */
export interface FdbSlice {
  macs: Uint8Array;
  states: Uint8Array;
  updated: Float64Array;
  remoteCounts: Uint8Array;
  remoteIndexes: Uint32Array;
  /** The distinct remotes the slice names. */
  remotes: RemoteImage[];
}

/** A neighbour entry as it is now; no MAC: it is gone. */
export interface NeighImage {
  ip: string;
  mac?: Uint8Array;
  router: boolean;
  owner?: string;
}

export type ToForwarder =
  /** Entries of one VNI changed in the main table (a slice of them). */
  | { kind: 'fdb'; vni: number; slice: FdbSlice }
  | { kind: 'neigh'; vni: number; entries: NeighImage[] }
  /** The tables are in place: start reading. */
  | { kind: 'start' }
  /** Write the TAP and underlay counters to the stats board now, then say 'published'. */
  | { kind: 'publish'; id: number }
  /** Stop reading (what was read is written by then) and close, say 'stopped': the worker ends. */
  | { kind: 'stop' };

export type FromForwarder =
  /** Bound and warmed up: the receiving socket (for a successor) and the bound source ports. */
  | { kind: 'opened'; receiveFd: number | undefined; sourcePorts: readonly number[]; warmUpFrames: number; warmUpMs: number }
  /** Could not bind (or warm up): the one-line reason. */
  | { kind: 'openFailed'; reason: string }
  /**
   * Frames of one batch taught this worker's copy new or moved MACs: MAC i (macs[6i..])
   * is behind the VTEP whose 16-byte address is sources[16i..].
   */
  | { kind: 'learned'; vni: number; macs: Uint8Array; sources: Uint8Array }
  /** Learned entries this worker's frames refreshed since the last report, with when. */
  | { kind: 'refreshed'; vni: number; macs: Uint8Array; times: Float64Array }
  | { kind: 'l2miss'; vni: number; mac: string }
  | { kind: 'l3miss'; vni: number; ip: string }
  | { kind: 'published'; id: number }
  /** A TAP queue failed (deleted from outside, EIO): reading has stopped. */
  | { kind: 'failed'; reason: string }
  /** Reading has stopped and the counters are on the board (the thread ends next). */
  | { kind: 'stopped' };
