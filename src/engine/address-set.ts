// The underlay addresses an FDB sends to, each with the number of entries that name it:
// `--accept-from peers` decapsulates only datagrams from one of them. Looked up per
// datagram without allocating: the 16-byte address is folded into a MacTable key, and
// the few addresses that share a key are compared in full.
import { MacTable } from './mac-table.js';
import { ADDRESS_LEN, sameAddress } from '../wire/address.js';

interface Counted {
  readonly bytes: Uint8Array;
  count: number;
}

/** The first 12 bytes folded into one integer (IPv4-mapped addresses all fold alike). */
function foldHigh(buf: Uint8Array, offset: number): number {
  let h = 0;
  for (let i = 0; i < 12; i += 4) h ^= (buf[offset + i]! << 24) | (buf[offset + i + 1]! << 16) | (buf[offset + i + 2]! << 8) | buf[offset + i + 3]!;
  return h;
}

function low(buf: Uint8Array, offset: number): number {
  return (buf[offset + 12]! << 24) | (buf[offset + 13]! << 16) | (buf[offset + 14]! << 8) | buf[offset + 15]!;
}

export class AddressSet {
  private readonly table = new MacTable<Counted[]>();

  /** Whether the 16-byte address at buf[offset] is in the set. */
  has(buf: Uint8Array, offset: number): boolean {
    const list = this.table.get(foldHigh(buf, offset), low(buf, offset));
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (sameAddress(list[i]!.bytes, 0, buf, offset)) return true;
    return false;
  }

  /** Counts one more reference to the address. */
  add(bytes: Uint8Array): void {
    const high = foldHigh(bytes, 0);
    const key = low(bytes, 0);
    const list = this.table.get(high, key);
    const found = list?.find((c) => sameAddress(c.bytes, 0, bytes, 0));
    if (found !== undefined) found.count++;
    else if (list !== undefined) list.push({ bytes: bytes.slice(0, ADDRESS_LEN), count: 1 });
    else this.table.set(high, key, [{ bytes: bytes.slice(0, ADDRESS_LEN), count: 1 }]);
  }

  /** Drops one reference; the address leaves the set with its last. */
  remove(bytes: Uint8Array): void {
    const high = foldHigh(bytes, 0);
    const key = low(bytes, 0);
    const list = this.table.get(high, key);
    const at = list?.findIndex((c) => sameAddress(c.bytes, 0, bytes, 0)) ?? -1;
    if (list === undefined || at < 0) return;
    if (--list[at]!.count > 0) return;
    list.splice(at, 1);
    if (list.length === 0) this.table.delete(high, key);
  }
}
