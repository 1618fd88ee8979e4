// A remote VTEP: where one copy of an encapsulated frame goes.
import { isIP } from 'node:net';

export interface Remote {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
}

export function makeRemote(address: string, port: number): Remote {
  return { address, family: isIP(address) === 6 ? 6 : 4, port };
}

/** 0.0.0.0 or ::, which the kernel accepts in an entry but never sends to. */
export function isUnspecified(remote: Remote): boolean {
  return remote.address === '0.0.0.0' || remote.address === '::';
}

export function sameRemote(a: Remote, b: Remote): boolean {
  return a.address === b.address && a.port === b.port;
}
