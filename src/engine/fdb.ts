// The forwarding database: MAC -> remote VTEPs, as the kernel's vxlan keeps it.
// The all-zeros MAC holds the default destinations (the flood list). Learned entries are
// "dynamic": refreshed by frames from that source MAC, moved when the MAC shows up behind
// another VTEP, removed by the ageing sweep. "static" and "permanent" entries never age
// and never move.
import { AddressSet } from './address-set.js';
import { MacTable } from './mac-table.js';
import { isMulticastMac, isZeroMac, macHigh, macLow, MAC_LEN } from '../wire/mac.js';
import { remoteFromBytes, sameRemote, type Remote } from './remote.js';
import { sameAddress } from '../wire/address.js';

export const FDB_STATES = ['permanent', 'static', 'dynamic'] as const;
export type FdbState = (typeof FDB_STATES)[number];

export interface FdbEntry {
  readonly mac: Uint8Array;
  state: FdbState;
  remotes: Remote[];
  /** Last time (ms) a frame from this MAC arrived, or the entry was written. */
  updated: number;
}

/** 'full': a new MAC that max-address leaves no room for (the frame is still delivered). */
export type LearnResult = 'refreshed' | 'learned' | 'moved' | 'conflict' | 'full';

export class FdbError extends Error {}

export const ZERO_MAC = new Uint8Array(MAC_LEN);

/** The all-zeros MAC and multicast MACs hold a list of remotes to replicate to. */
export const isListMac = (mac: Uint8Array): boolean => isZeroMac(mac, 0) || isMulticastMac(mac, 0);

export interface FdbOptions {
  /** Port given to learned remotes: the device's destination port, as the kernel does. */
  learnedPort: number;
  /** Idle time after which a dynamic entry is removed; 0 means never. */
  ageingMs: number;
  /** Most entries held, every kind counted (the default entry too); 0 means no limit. */
  maxAddress?: number;
}

/** What `flush` removes: entries with a remote matching every given field, in `state`. */
export interface FlushFilter {
  dst?: string;
  port?: number;
  vni?: number;
  state?: FdbState;
  /** The VNI of remotes that carry none of their own (the segment's). */
  defaultVni?: number;
}

/** What a flush took: entries removed whole, and remotes removed in all (a list may lose some and stay). */
export interface FlushResult {
  entries: number;
  remotes: number;
}

export class Fdb {
  private readonly table = new MacTable<FdbEntry>();
  /** Every remote address some entry names, kept in step with each change of `remotes`. */
  private readonly destinations = new AddressSet();

  /**
   * Told the MAC of every entry whose remotes, state or existence changed (not of
   * refreshes): the main thread's table tells the data-path workers' copies.
   */
  onChange: (mac: Uint8Array) => void = () => {};

  constructor(private readonly options: FdbOptions) {}

  get size(): number {
    return this.table.size;
  }

  lookup(buf: Uint8Array, offset: number): FdbEntry | undefined {
    return this.table.get(macHigh(buf, offset), macLow(buf, offset));
  }

  /** Whether the 16-byte address at buf[offset] is a remote of some entry (a known VTEP). */
  hasDestination(buf: Uint8Array, offset: number): boolean {
    return this.destinations.has(buf, offset);
  }

  /** The all-zeros entry: where broadcast, multicast and unknown unicast go. */
  defaultEntry(): FdbEntry | undefined {
    return this.table.get(0, 0);
  }

  /**
   * Learns that the source MAC at buf[offset] sits behind the VTEP whose 16-byte address
   * is at source[sourceOffset]. Allocates only when an entry is created or moved, never
   * on a refresh.
   */
  learn(buf: Uint8Array, offset: number, source: Uint8Array, sourceOffset: number, now: number): LearnResult {
    const entry = this.lookup(buf, offset);
    if (entry === undefined) {
      if (this.full()) return 'full';
      const mac = buf.slice(offset, offset + MAC_LEN);
      const remote = remoteFromBytes(source, sourceOffset, this.options.learnedPort);
      const created: FdbEntry = { mac, state: 'dynamic', remotes: [], updated: now };
      this.insert(mac, created);
      this.setRemotes(created, [remote]);
      return 'learned';
    }
    const current = entry.remotes[0];
    if (current !== undefined && sameAddress(current.bytes, 0, source, sourceOffset)) {
      entry.updated = now;
      return 'refreshed';
    }
    if (entry.state !== 'dynamic') return 'conflict';
    this.setRemotes(entry, [remoteFromBytes(source, sourceOffset, this.options.learnedPort)]);
    entry.updated = now;
    return 'moved';
  }

  /** Like `bridge fdb add`: fails if the MAC already has an entry. */
  add(mac: Uint8Array, remote: Remote, state: FdbState, now: number): FdbEntry {
    if (this.get(mac) !== undefined) throw new FdbError(`an entry for this MAC exists already`);
    if (this.full()) throw new FdbError(`the FDB is full (max-address ${this.options.maxAddress})`);
    const entry: FdbEntry = { mac: Uint8Array.from(mac), state, remotes: [], updated: now };
    this.insert(entry.mac, entry);
    this.setRemotes(entry, [remote]);
    return entry;
  }

  /**
   * Like `bridge fdb append`: adds one more remote to the all-zeros MAC or a multicast
   * MAC (a list replicated to); an identical remote is a no-op.
   */
  append(mac: Uint8Array, remote: Remote, state: FdbState, now: number): FdbEntry {
    if (!isListMac(mac)) {
      throw new FdbError('append is only for 00:00:00:00:00:00 or a multicast MAC');
    }
    const entry = this.get(mac);
    if (entry === undefined) return this.add(mac, remote, state, now);
    if (!entry.remotes.some((r) => sameRemote(r, remote))) this.setRemotes(entry, [...entry.remotes, remote]);
    return entry;
  }

  /**
   * Like `bridge fdb replace`: the unicast MAC's entry becomes exactly this remote and
   * state (created if missing). Lists (all-zeros, multicast) are changed with append/del.
   */
  replace(mac: Uint8Array, remote: Remote, state: FdbState, now: number): FdbEntry {
    if (isListMac(mac)) {
      throw new FdbError('replace is for unicast MACs; use append and del for 00:00:00:00:00:00 and multicast MACs');
    }
    const entry = this.get(mac);
    if (entry === undefined) return this.add(mac, remote, state, now);
    this.setRemotes(entry, [remote]);
    entry.state = state;
    entry.updated = now;
    return entry;
  }
  /** An entry as a listing showed it: appended to a list MAC, or replacing a unicast one. */
  set(mac: Uint8Array, remote: Remote, state: FdbState, now: number): FdbEntry {
    return isListMac(mac) ? this.append(mac, remote, state, now) : this.replace(mac, remote, state, now);
  }

  /**
   * Like `bridge fdb flush`: removes the remotes matching dst, port and vni (where given)
   * of entries in `filter.state` (by default dynamic and static, never permanent); an
   * entry goes with its last remote. The default (all-zeros) list is only touched when a
   * dst is named, and then whatever its state unless a state is given: naming a dst
   * takes it out of the flood list too.
   *
   * Done `perSlice` entries (of the table as it was) at a time: the caller lets
   * forwarding run between slices (a flush of 100,000 entries in one go held it for
   * 100-200 ms). An entry removed in between is passed over, one changed is taken as it is.
   */
  *flush(filter: FlushFilter, perSlice: number): Generator<void, FlushResult> {
    const remoteMatches = (r: Remote): boolean =>
      (filter.dst === undefined || r.address === filter.dst) &&
      (filter.port === undefined || r.port === filter.port) &&
      (filter.vni === undefined || (r.vni ?? filter.defaultVni) === filter.vni);
    const result: FlushResult = { entries: 0, remotes: 0 };
    const entries = this.table.list();
    // Taking the list is a slice of its own (100,000 entries: 4-8 ms).
    let looked = perSlice;
    for (const entry of entries) {
      if (looked === perSlice) {
        looked = 0;
        yield;
      }
      looked++;
      if (this.get(entry.mac) !== entry) continue;
      const isDefault = isZeroMac(entry.mac, 0);
      if (isDefault && filter.dst === undefined) continue;
      const stateMatches = filter.state === undefined ? entry.state !== 'permanent' || isDefault : entry.state === filter.state;
      if (!stateMatches) continue;
      const kept = entry.remotes.filter((r) => !remoteMatches(r));
      result.remotes += entry.remotes.length - kept.length;
      this.setRemotes(entry, kept);
      if (kept.length === 0) {
        this.table.delete(macHigh(entry.mac, 0), macLow(entry.mac, 0));
        result.entries++;
      }
    }
    return result;
  }

  get(mac: Uint8Array): FdbEntry | undefined {
    return this.lookup(mac, 0);
  }

  private full(): boolean {
    const max = this.options.maxAddress ?? 0;
    return max > 0 && this.table.size >= max;
  }

  /**
   * Removes one remote of an entry (the entry goes with its last remote), or the whole
   * entry. With `owner`, only a remote that owner wrote (the store sync never removes a
   * remote someone added by hand).
   */
  delete(mac: Uint8Array, remote?: Remote, owner?: string): boolean {
    const entry = this.get(mac);
    if (entry === undefined) return false;
    if (remote !== undefined) {
      const kept = entry.remotes.filter((r) => !sameRemote(r, remote) || (owner !== undefined && r.owner !== owner));
      if (kept.length === entry.remotes.length) return false;
      this.setRemotes(entry, kept);
      if (kept.length > 0) return true;
    }
    this.setRemotes(entry, []);
    return this.table.delete(macHigh(mac, 0), macLow(mac, 0));
  }

  /** Removes dynamic entries idle for the ageing time; returns them. */
  sweep(now: number): FdbEntry[] {
    if (this.options.ageingMs === 0) return [];
    const expired: FdbEntry[] = [];
    this.table.forEach((entry) => {
      if (entry.state === 'dynamic' && now - entry.updated >= this.options.ageingMs) expired.push(entry);
    });
    for (const entry of expired) {
      // The event for an aged entry names where it pointed: the list stays on the entry.
      for (const r of entry.remotes) this.destinations.remove(r.bytes);
      this.table.delete(macHigh(entry.mac, 0), macLow(entry.mac, 0));
      this.onChange(entry.mac);
    }
    return expired;
  }

  entries(): FdbEntry[] {
    return this.table.list();
  }

  /** Dynamic entries refreshed (or learned) after `since` (ms). */
  refreshedSince(since: number): FdbEntry[] {
    const fresh: FdbEntry[] = [];
    this.table.forEach((entry) => {
      if (entry.state === 'dynamic' && entry.updated > since) fresh.push(entry);
    });
    return fresh;
  }

  /**
   * Makes the MAC's entry exactly this (no remotes: no entry), whatever it was: how a
   * data-path worker's copy follows the main table. No limit applies: the main table's
   * did. A new entry keeps `mac` (a view the caller no longer changes) and `remotes`
   * (never changed in place: entries may share one list).
   */
  assign(mac: Uint8Array, state: FdbState, remotes: Remote[], updated: number): void {
    const entry = this.get(mac);
    if (remotes.length === 0) {
      if (entry !== undefined) this.delete(mac);
      return;
    }
    if (entry === undefined) {
      const created: FdbEntry = { mac, state, remotes: [], updated };
      this.insert(created.mac, created);
      this.setRemotes(created, remotes);
      return;
    }
    this.setRemotes(entry, remotes);
    entry.state = state;
    entry.updated = Math.max(entry.updated, updated);
  }

  /** The one place an entry's remotes change: keeps `destinations` in step. */
  private setRemotes(entry: FdbEntry, remotes: Remote[]): void {
    for (const r of entry.remotes) this.destinations.remove(r.bytes);
    for (const r of remotes) this.destinations.add(r.bytes);
    entry.remotes = remotes;
    this.onChange(entry.mac);
  }

  private insert(mac: Uint8Array, entry: FdbEntry): void {
    this.table.set(macHigh(mac, 0), macLow(mac, 0), entry);
  }
}
