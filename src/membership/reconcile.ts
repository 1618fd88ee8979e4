// From the members in the store to the entries one VTEP (one VNI) should hold, and from
// the entries it holds to the changes that make them equal. Pure: no I/O, no clock.
//
// Every other member of the VNI gives a flood-list remote (its underlay address and
// port), a static FDB entry for its MAC and a neighbour entry per overlay address.
// Conflict rule: when two members claim the same MAC or overlay address, the claim made
// first (the lower create revision of its key; the key breaks a tie) wins on every host
// alike; the member with the later claim is left out of that VNI (flood list, FDB and
// neighbours). This host's own MAC and addresses are never programmed towards someone else.
import type { Member } from './record.js';

export interface Dst {
  address: string;
  port: number;
}

/** What one VNI of one VTEP holds from the store. */
export interface Desired {
  /** `address port` -> flood-list remote. */
  flood: Map<string, Dst>;
  /** MAC -> the member behind it. */
  fdb: Map<string, Dst>;
  /** Overlay address -> MAC. */
  neigh: Map<string, string>;
}

export interface Conflict {
  kind: 'mac' | 'address';
  value: string;
  /** Keys of the member whose claim holds and of the one left out. */
  winner: string;
  loser: string;
}

export interface Changes {
  floodAdd: Dst[];
  floodDel: Dst[];
  fdbSet: [mac: string, dst: Dst][];
  fdbDel: [mac: string, dst: Dst][];
  neighSet: [ip: string, mac: string][];
  neighDel: [ip: string, mac: string][];
}

export const emptyDesired = (): Desired => ({ flood: new Map(), fdb: new Map(), neigh: new Map() });

export const noChanges = (): Changes => ({ floodAdd: [], floodDel: [], fdbSet: [], fdbDel: [], neighSet: [], neighDel: [] });

export const dstKey = (dst: Dst): string => `${dst.address} ${dst.port}`;

/** The older claim first: lower create revision, then key. */
function claimOrder(a: Member, b: Member): number {
  if (a.createRevision !== b.createRevision) return a.createRevision < b.createRevision ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** What `self` (its own key) should hold for `vni`, and the conflicts found on the way. */
export function desiredState(members: Iterable<Member>, selfKey: string, vni: number): { desired: Desired; conflicts: Conflict[] } {
  const desired = emptyDesired();
  const conflicts: Conflict[] = [];
  const macOwner = new Map<string, string>();
  const addressOwner = new Map<string, string>();
  const all = [...members].sort(claimOrder);
  const self = all.find((m) => m.key === selfKey);
  const selfAddress = self === undefined ? undefined : dstKey(self.record);
  // Our own claims first: locally they can only point here.
  const ordered = self === undefined ? all : [self, ...all.filter((m) => m !== self)];
  for (const member of ordered) {
    const { record, key } = member;
    const isSelf = key === selfKey;
    const dst = { address: record.address, port: record.port };
    for (const entry of record.vnis) {
      if (entry.vni !== vni) continue;
      // A member that loses any claim is left out whole: no flood-list remote, no FDB
      // entry, no neighbours (what it says is in doubt), and its other claims block no one.
      const lost: Conflict[] = [];
      const macHolder = macOwner.get(entry.mac);
      if (macHolder !== undefined && macHolder !== key) lost.push({ kind: 'mac', value: entry.mac, winner: macHolder, loser: key });
      for (const ip of entry.addresses) {
        const holder = addressOwner.get(ip);
        if (holder !== undefined && holder !== key) lost.push({ kind: 'address', value: ip, winner: holder, loser: key });
      }
      if (lost.length > 0) {
        conflicts.push(...lost);
        continue;
      }
      macOwner.set(entry.mac, key);
      for (const ip of entry.addresses) addressOwner.set(ip, key);
      if (isSelf || dstKey(dst) === selfAddress) continue;
      desired.flood.set(dstKey(dst), dst);
      desired.fdb.set(entry.mac, dst);
      for (const ip of entry.addresses) desired.neigh.set(ip, entry.mac);
    }
  }
  return { desired, conflicts };
}

const sameDst = (a: Dst | undefined, b: Dst | undefined): boolean => a !== undefined && b !== undefined && a.address === b.address && a.port === b.port;

/** The changes that turn `held` into `wanted`: removals of what went, writes of what is new or changed. */
export function diff(held: Desired, wanted: Desired): Changes {
  const changes = noChanges();
  for (const [key, dst] of held.flood) if (!wanted.flood.has(key)) changes.floodDel.push(dst);
  for (const [key, dst] of wanted.flood) if (!held.flood.has(key)) changes.floodAdd.push(dst);
  for (const [mac, dst] of held.fdb) if (!wanted.fdb.has(mac)) changes.fdbDel.push([mac, dst]);
  for (const [mac, dst] of wanted.fdb) if (!sameDst(held.fdb.get(mac), dst)) changes.fdbSet.push([mac, dst]);
  for (const [ip, mac] of held.neigh) if (!wanted.neigh.has(ip)) changes.neighDel.push([ip, mac]);
  for (const [ip, mac] of wanted.neigh) if (held.neigh.get(ip) !== mac) changes.neighSet.push([ip, mac]);
  return changes;
}

export const changeCount = (c: Changes): number =>
  c.floodAdd.length + c.floodDel.length + c.fdbSet.length + c.fdbDel.length + c.neighSet.length + c.neighDel.length;

/**
 * What a VTEP holds after applying the changes towards `wanted` of which `failed` could
 * not be made: writes that failed are left out and deletions that failed kept, so the
 * next pass tries them again.
 */
export function heldAfter(wanted: Desired, failed: Changes): Desired {
  const held: Desired = { flood: new Map(wanted.flood), fdb: new Map(wanted.fdb), neigh: new Map(wanted.neigh) };
  for (const dst of failed.floodAdd) held.flood.delete(dstKey(dst));
  for (const dst of failed.floodDel) held.flood.set(dstKey(dst), dst);
  for (const [mac] of failed.fdbSet) held.fdb.delete(mac);
  for (const [mac, dst] of failed.fdbDel) held.fdb.set(mac, dst);
  for (const [ip] of failed.neighSet) held.neigh.delete(ip);
  for (const [ip, mac] of failed.neighDel) held.neigh.set(ip, mac);
  return held;
}

export type Programmed = 'yes' | 'partly' | 'no' | 'self' | 'no shared VNI';

/** Whether `held` (one entry per VNI served here) has every entry `member` gives this host. */
export function programmedState(member: Member, selfKey: string, held: ReadonlyMap<number, Desired>): Programmed {
  if (member.key === selfKey) return 'self';
  let wanted = 0;
  let found = 0;
  const dst = { address: member.record.address, port: member.record.port };
  for (const entry of member.record.vnis) {
    const desired = held.get(entry.vni);
    if (desired === undefined) continue;
    const checks = [desired.flood.has(dstKey(dst)), sameDst(desired.fdb.get(entry.mac), dst), ...entry.addresses.map((ip) => desired.neigh.get(ip) === entry.mac)];
    wanted += checks.length;
    found += checks.filter(Boolean).length;
  }
  if (wanted === 0) return 'no shared VNI';
  return found === wanted ? 'yes' : found === 0 ? 'no' : 'partly';
}
