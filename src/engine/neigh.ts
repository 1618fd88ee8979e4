// The neighbour table behind the ARP/ND proxy (`ip neigh` on a kernel vxlan device):
// IP address -> MAC, and whether that neighbour is a router (the NA's R flag).
import { addressBytes, formatAddress } from '../wire/address.js';

export interface NeighEntry {
  /** Canonical text form. */
  readonly ip: string;
  readonly mac: Uint8Array;
  readonly router: boolean;
  /** Who wrote it when not a person or the config file ('membership': the store sync). */
  readonly owner?: string;
}

export class NeighError extends Error {}

export class NeighTable {
  private readonly entries = new Map<string, NeighEntry>();
  /** Told the (canonical) address of every entry added, replaced or deleted: see Fdb.onChange. */
  onChange: (ip: string) => void = () => {};

  /** Like `ip neigh add`: fails if the address has an entry. */
  add(ip: string, mac: Uint8Array, router = false, owner?: string): NeighEntry {
    const key = formatAddress(addressBytes(ip), 0);
    if (this.entries.has(key)) throw new NeighError(`a neighbour entry for ${key} exists already`);
    const entry = { ip: key, mac: Uint8Array.from(mac), router, ...(owner === undefined ? {} : { owner }) };
    this.entries.set(key, entry);
    this.onChange(key);
    return entry;
  }

  /** Like `ip neigh replace`: the address's entry becomes this one, whatever it was. */
  replace(ip: string, mac: Uint8Array, router = false, owner?: string): NeighEntry {
    this.delete(ip);
    return this.add(ip, mac, router, owner);
  }

  get(ip: string): NeighEntry | undefined {
    return this.entries.get(formatAddress(addressBytes(ip), 0));
  }

  delete(ip: string): boolean {
    const key = formatAddress(addressBytes(ip), 0);
    if (!this.entries.delete(key)) return false;
    this.onChange(key);
    return true;
  }

  /** The entry for the address whose 16-byte form is at buf[offset]. */
  lookup(buf: Uint8Array, offset: number): NeighEntry | undefined {
    return this.entries.get(formatAddress(buf, offset));
  }

  list(): NeighEntry[] {
    return [...this.entries.values()];
  }
}
