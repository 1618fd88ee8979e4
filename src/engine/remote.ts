// A remote VTEP: where one copy of an encapsulated frame goes.
import { isIP } from 'node:net';
import { addressBytes, formatAddress, isMulticastAddress, sameAddress } from '../wire/address.js';

export interface Remote {
  readonly address: string;
  /** The address in 16-byte form (IPv4 mapped), compared per packet without allocating. */
  readonly bytes: Uint8Array;
  readonly family: 4 | 6;
  readonly port: number;
  /** The VNI this remote is reached with (an FDB entry's own `vni`), else the segment's. */
  readonly vni: number | undefined;
  /** A multicast group: outer TTL 1 under `ttl auto`. */
  readonly multicast: boolean;
  /** Who wrote it when not a person or the config file ('membership': the store sync). */
  readonly owner?: string;
}

/** A remote for an address in any text form; `address` keeps the canonical form. */
export function makeRemote(text: string, port: number, vni?: number, owner?: string): Remote {
  const bytes = addressBytes(text);
  const remote = { address: formatAddress(bytes, 0), bytes, family: isIP(text) === 6 ? 6 : 4, port, vni, multicast: isMulticastAddress(bytes) } as const;
  return owner === undefined ? remote : { ...remote, owner };
}

/** A remote for the 16-byte address at buf[offset] (a learned source). */
export function remoteFromBytes(buf: Uint8Array, offset: number, port: number): Remote {
  return makeRemote(formatAddress(buf, offset), port);
}

/** 0.0.0.0 or ::, which the kernel accepts in an entry but never sends to. */
export function isUnspecified(remote: Remote): boolean {
  const b = remote.bytes;
  const mapped = remote.family === 4;
  for (let i = mapped ? 12 : 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}

/** Same address (compared as bytes: 2001:db8::1 is 2001:DB8:0::1), port and VNI; the owner does not count. */
export function sameRemote(a: Remote, b: Remote): boolean {
  return a.port === b.port && a.vni === b.vni && sameAddress(a.bytes, 0, b.bytes, 0);
}
