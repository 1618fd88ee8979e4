// The floor row's tunnel end: bench/floor/forwarder.c (one TAP, one UDP socket, poll, one
// read/sendto or recv/write per packet, no offloads) in a namespace, its TAP given the
// overlay MTU and address and brought up here.
import type { Lab } from '../../lab/lab.js';
import { stdoutLine } from './child.js';

export interface FloorOptions {
  tap: string;
  /** Underlay addresses (IPv4) of this end and of its one peer. */
  local: string;
  peer: string;
  vni: number;
  /** The TAP's overlay address with prefix length. */
  address: string;
  mtu: number;
}

const READY_TIMEOUT_MS = 5_000;

/** Starts the forwarder in `ns`; resolves with its PID once its TAP is up with its address. */
export async function startFloor(lab: Lab, ns: string, forwarder: string, o: FloorOptions): Promise<number> {
  const child = lab.spawn(ns, forwarder, o.tap, o.local, o.peer, String(o.vni));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await stdoutLine(child, /^ready /m, `the C floor in ${ns}`, READY_TIMEOUT_MS);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} ${stderr.trim()}`.trim());
  }
  lab.ip(ns, 'link', 'set', o.tap, 'mtu', String(o.mtu));
  lab.ip(ns, 'addr', 'add', o.address, 'dev', o.tap);
  lab.ip(ns, 'link', 'set', o.tap, 'up');
  return child.pid!;
}
