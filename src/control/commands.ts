// What the control socket can be asked, and how each request is carried out on one
// segment (VNI) of the running VTEP. Requests and results are plain JSON objects.
import type { z } from 'zod';
import { ConfigError, cutLongValues } from '../config/errors.js';
import type { IpAddress } from '../config/parse.js';
import { fdbDeleteSchema, fdbEntrySchema, fdbFlushSchema, neighDeleteSchema, neighEntrySchema, validate } from '../config/schema.js';
import { FdbError, type FdbEntry, type FdbState } from '../engine/fdb.js';
import { NeighError, type NeighEntry } from '../engine/neigh.js';
import { makeRemote } from '../engine/remote.js';
import type { SegmentTables } from './segment-tables.js';
import { SlicedList } from './json-lines.js';
import { parseMac, formatMac } from '../wire/mac.js';

export interface ControlRequest {
  cmd: string;
  [field: string]: unknown;
}

/** A request that cannot be carried out; its message goes back to the client as is. */
export class RequestError extends Error {
  constructor(message: string) {
    super(cutLongValues(message));
  }
}

/** One remote of one entry, as `bridge fdb show` prints a line per remote. */
export interface FdbRow {
  mac: string;
  /** The TAP, as `bridge fdb show` names the device. */
  dev: string;
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
  /** The TAP, as `ip neigh show` names the device. */
  dev: string;
}

/** What a request is carried out on: one segment's tables, and the underlay's defaults. */
export interface ControlContext {
  segment: SegmentTables;
  /** The underlay's default port and family, for entries that leave them out. */
  port: number;
  family: 4 | 6;
  stats(): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** A request's fields (all but `cmd`) checked against `schema`; a problem names the field. */
function fields<S extends z.ZodType>(schema: S, request: ControlRequest): z.output<S> {
  const { cmd: _cmd, ...rest } = request;
  try {
    return validate(schema, rest);
  } catch (err) {
    if (err instanceof ConfigError) throw new RequestError(err.message);
    throw err;
  }
}

/** The address, if it is of the underlay's family. */
function underlayAddress(dst: IpAddress, ctx: ControlContext): string {
  if (dst.family !== ctx.family) throw new RequestError(`dst ${dst.address} is IPv${dst.family} but the underlay is IPv${ctx.family}`);
  return dst.address;
}

function remoteOf(entry: { dst: IpAddress; port?: number; vni?: number }, ctx: ControlContext) {
  return makeRemote(underlayAddress(entry.dst, ctx), entry.port ?? ctx.port, entry.vni === ctx.segment.vni ? undefined : entry.vni);
}

/** `fdb show` rows of `entries` (all of the segment's by default), one per remote. */
export function fdbRows(segment: SegmentTables, now: number, entries: FdbEntry[] = segment.fdb.entries()): FdbRow[] {
  return entries.flatMap((entry) =>
    entry.remotes.map((remote) => ({
      mac: formatMac(entry.mac),
      dst: remote.address,
      port: remote.port,
      vni: remote.vni ?? segment.vni,
      dev: segment.tapName,
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

/** `neigh show` rows of `entries` (all of the segment's by default). */
export function neighRows(segment: SegmentTables, entries: NeighEntry[] = segment.neighbours.list()): NeighRow[] {
  return entries.map((n): NeighRow => ({ ip: n.ip, lladdr: formatMac(n.mac), router: n.router, dev: segment.tapName, ...(n.owner === undefined ? {} : { owner: n.owner }) }));
}

/**
 * The long listings (`fdb.show`, `neigh.show`) as lists made a slice at a time from the
 * tables as they are now; undefined for the other requests.
 */
export function slicedListing(request: ControlRequest, segment: SegmentTables): SlicedList | undefined {
  if (request.cmd === 'fdb.show') {
    const entries = segment.fdb.entries();
    const now = Date.now();
    return new SlicedList(entries.length, (from, to) => fdbRows(segment, now, entries.slice(from, to)));
  }
  if (request.cmd === 'neigh.show') {
    const entries = segment.neighbours.list();
    return new SlicedList(entries.length, (from, to) => neighRows(segment, entries.slice(from, to)));
  }
  return undefined;
}

/** Entries an `fdb flush` looks at in one go: about a millisecond's work. */
const FLUSH_SLICE = 1024;

/** Runs `work` a slice per turn of the event loop, forwarding in between; resolves with its result. */
async function inTurns<T>(work: Generator<void, T>): Promise<T> {
  for (let step = work.next(); ; step = work.next()) {
    if (step.done === true) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Carries out one request (all but `monitor`, which streams) and returns its result (or a promise of it). */
export function runCommand(request: ControlRequest, ctx: ControlContext): unknown {
  const { fdb, neighbours } = ctx.segment;
  const now = Date.now();
  switch (request.cmd) {
    case 'fdb.show':
      return fdbRows(ctx.segment, now);
    case 'fdb.add':
    case 'fdb.append':
    case 'fdb.replace': {
      const entry = fields(fdbEntrySchema, request);
      const mac = parseMac(entry.mac)!;
      const remote = remoteOf(entry, ctx);
      const op = request.cmd.slice(4) as 'add' | 'append' | 'replace';
      fdbCall(() => fdb[op](mac, remote, entry.state ?? 'permanent', now));
      return fdbRows(ctx.segment, now, [fdb.get(mac)!]);
    }
    case 'fdb.del': {
      const entry = fields(fdbDeleteSchema, request);
      const mac = parseMac(entry.mac)!;
      const { dst } = entry;
      const remote = dst === undefined ? undefined : remoteOf({ ...entry, dst }, ctx);
      if (!fdb.delete(mac, remote)) throw new RequestError(`no such entry: ${entry.mac}${remote ? ` dst ${remote.address}` : ''}`);
      return null;
    }
    case 'fdb.flush': {
      const filter = fields(fdbFlushSchema, request);
      const flush = {
        dst: filter.dst === undefined ? undefined : underlayAddress(filter.dst, ctx),
        port: filter.port,
        vni: filter.vni,
        state: filter.state,
        defaultVni: ctx.segment.vni,
      };
      return inTurns(fdb.flush(flush, FLUSH_SLICE));
    }
    case 'neigh.show':
      return neighRows(ctx.segment);
    case 'neigh.add': {
      const entry = fields(neighEntrySchema, request);
      fdbCall(() => neighbours.add(entry.ip.address, entry.lladdr, entry.router ?? false));
      return null;
    }
    case 'neigh.del': {
      const { ip } = fields(neighDeleteSchema, request);
      if (!neighbours.delete(ip.address)) throw new RequestError(`no neighbour entry for ${ip.address}`);
      return null;
    }
    case 'stats':
      return ctx.stats();
    default:
      throw new RequestError(`unknown command "${request.cmd}"`);
  }
}
