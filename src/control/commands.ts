// What the control socket can be asked, and how each request is carried out on one
// segment (VNI) of the running VTEP. Requests and results are plain JSON objects.
import { ConfigError } from '../config/errors.js';
import { parseIp, parseUnicastMac } from '../config/parse.js';
import { FdbError, type FdbEntry, type FdbState, type FlushFilter } from '../engine/fdb.js';
import { NeighError } from '../engine/neigh.js';
import { makeRemote } from '../engine/remote.js';
import type { Segment } from '../segment.js';
import { parseMac, formatMac } from '../vxlan/mac.js';
import { MAX_VNI } from '../vxlan/header.js';

export interface ControlRequest {
  cmd: string;
  [field: string]: unknown;
}

/** A request that cannot be carried out; its message goes back to the client as is. */
export class RequestError extends Error {}

/** One remote of one entry, as `bridge fdb show` prints a line per remote. */
export interface FdbRow {
  mac: string;
  dst: string;
  port: number;
  vni: number;
  state: FdbState;
  /** Seconds since a frame from this MAC arrived (dynamic entries). */
  age?: number;
  /** 'membership' for entries the etcd sync wrote. */
  owner?: string;
}

export interface NeighRow {
  ip: string;
  lladdr: string;
  router: boolean;
  owner?: string;
}

/** What a segment offers the control socket, besides its FDB and neighbour table. */
export interface ControlContext {
  segment: Segment;
  /** The underlay's default port and family, for entries that leave them out. */
  port: number;
  family: 4 | 6;
  stats(): Record<string, unknown>;
}

const STATES: readonly FdbState[] = ['permanent', 'static', 'dynamic'];

function text(request: ControlRequest, field: string, required: true): string;
function text(request: ControlRequest, field: string, required?: false): string | undefined;
function text(request: ControlRequest, field: string, required = false): string | undefined {
  const value = request[field];
  if (value === undefined) {
    if (required) throw new RequestError(`${field} is required`);
    return undefined;
  }
  if (typeof value !== 'string' && typeof value !== 'number') throw new RequestError(`${field} must be a string or number`);
  return String(value);
}

function integer(request: ControlRequest, field: string, max: number, min = 0): number | undefined {
  const value = text(request, field);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max || Number(value) < min) {
    throw new RequestError(`${field} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return Number(value);
}

/** Turns config-style validation errors into request errors. */
function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ConfigError) throw new RequestError(err.message);
    throw err;
  }
}

function macOf(request: ControlRequest): Uint8Array {
  const value = text(request, 'mac', true);
  const mac = parseMac(value);
  if (mac === undefined) throw new RequestError(`mac must be a MAC like 02:00:00:00:00:01, not "${value}"`);
  return mac;
}

function stateOf(request: ControlRequest): FdbState | undefined {
  const state = text(request, 'state');
  if (state !== undefined && !STATES.includes(state as FdbState)) throw new RequestError(`state must be permanent, static or dynamic, not "${state}"`);
  return state as FdbState | undefined;
}

function dstOf(request: ControlRequest, ctx: ControlContext, required: boolean): string | undefined {
  const value = required ? text(request, 'dst', true) : text(request, 'dst');
  if (value === undefined) return undefined;
  const ip = checked(() => parseIp('dst', value));
  if (ip.family !== ctx.family) throw new RequestError(`dst ${ip.address} is IPv${ip.family} but the underlay is IPv${ctx.family}`);
  return ip.address;
}

function remoteOf(request: ControlRequest, ctx: ControlContext) {
  const vni = integer(request, 'vni', MAX_VNI);
  return makeRemote(dstOf(request, ctx, true)!, integer(request, 'port', 65535, 1) ?? ctx.port, vni === ctx.segment.config.vni ? undefined : vni);
}

function rows(entries: FdbEntry[], ctx: ControlContext, now: number): FdbRow[] {
  return entries.flatMap((entry) =>
    entry.remotes.map((remote) => ({
      mac: formatMac(entry.mac),
      dst: remote.address,
      port: remote.port,
      vni: remote.vni ?? ctx.segment.config.vni,
      state: entry.state,
      ...(entry.state === 'dynamic' ? { age: Math.floor((now - entry.updated) / 1000) } : {}),
      ...(remote.owner === undefined ? {} : { owner: remote.owner }),
    })),
  );
}

function fdbCall(call: () => unknown): void {
  try {
    call();
  } catch (err) {
    if (err instanceof FdbError || err instanceof NeighError) throw new RequestError(err.message);
    throw err;
  }
}

/** Carries out one request (all but `monitor`, which streams) and returns its result. */
export function runCommand(request: ControlRequest, ctx: ControlContext): unknown {
  const { fdb, neighbours } = ctx.segment.engine;
  const now = Date.now();
  switch (request.cmd) {
    case 'fdb.show':
      return rows(fdb.entries(), ctx, now);
    case 'fdb.add':
    case 'fdb.append':
    case 'fdb.replace': {
      const mac = macOf(request);
      const remote = remoteOf(request, ctx);
      const state = stateOf(request) ?? 'permanent';
      const op = request.cmd.slice(4) as 'add' | 'append' | 'replace';
      fdbCall(() => fdb[op](mac, remote, state, now));
      return rows([fdb.get(mac)!], ctx, now);
    }
    case 'fdb.del': {
      const mac = macOf(request);
      const remote = request['dst'] === undefined ? undefined : remoteOf(request, ctx);
      if (!fdb.delete(mac, remote)) throw new RequestError(`no such entry: ${formatMac(mac)}${remote ? ` dst ${remote.address}` : ''}`);
      return null;
    }
    case 'fdb.flush': {
      const filter: FlushFilter = {
        dst: dstOf(request, ctx, false),
        port: integer(request, 'port', 65535, 1),
        vni: integer(request, 'vni', MAX_VNI),
        state: stateOf(request),
        defaultVni: ctx.segment.config.vni,
      };
      return { removed: fdb.flush(filter) };
    }
    case 'neigh.show':
      return neighbours.list().map((n): NeighRow => ({ ip: n.ip, lladdr: formatMac(n.mac), router: n.router, ...(n.owner === undefined ? {} : { owner: n.owner }) }));
    case 'neigh.add': {
      const ip = checked(() => parseIp('ip', text(request, 'ip', true)));
      const mac = checked(() => parseUnicastMac('lladdr', text(request, 'lladdr', true)));
      fdbCall(() => neighbours.add(ip.address, mac, request['router'] === true));
      return null;
    }
    case 'neigh.del': {
      const ip = checked(() => parseIp('ip', text(request, 'ip', true)));
      if (!neighbours.delete(ip.address)) throw new RequestError(`no neighbour entry for ${ip.address}`);
      return null;
    }
    case 'stats':
      return ctx.stats();
    default:
      throw new RequestError(`unknown command "${request.cmd}"`);
  }
}
