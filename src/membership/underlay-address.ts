// The underlay address a member registers: --local when given, else the source address
// the kernel picks for the route to the first etcd endpoint (as flanneld picks its
// public IP from the default route's interface).
import { lookup } from 'node:dns/promises';
import { RuntimeError } from '../config/errors.js';
import { runJson } from '../ops/run-command.js';

export interface UnderlayAddress {
  address: string;
  /** Where it came from, for the log. */
  from: 'local' | 'route to etcd';
}

/** `family`: the underlay's, when it is known already. */
export async function underlayAddress(local: string | undefined, firstEndpoint: string, family?: 4 | 6): Promise<UnderlayAddress> {
  if (local !== undefined) return { address: local, from: 'local' };
  const host = new URL(firstEndpoint).hostname.replace(/^\[|\]$/g, '');
  const target = (await lookup(host).catch(() => undefined))?.address;
  if (target === undefined) throw new RuntimeError(`cannot resolve the etcd endpoint ${firstEndpoint}: give --local`);
  let routes: { prefsrc?: string }[] = [];
  try {
    routes = await runJson<{ prefsrc?: string }[]>('ip', ['route', 'get', target]);
  } catch {
    // no route: reported below
  }
  const source = routes[0]?.prefsrc;
  if (source === undefined) throw new RuntimeError(`no route to the etcd endpoint ${firstEndpoint} to take a source address from: give --local`);
  const sourceFamily = source.includes(':') ? 6 : 4;
  if (family !== undefined && sourceFamily !== family) throw new RuntimeError(`the route to etcd leaves from IPv${sourceFamily} ${source} but the underlay is IPv${family}: give --local`);
  return { address: source, from: 'route to etcd' };
}
