// The --config file: JSON holding the underlay settings and one entry per VNI, shaped by
// configFileSchema. Read at start and again on SIGHUP; every error names the bad field,
// e.g. "vnis[1].vni".
import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseHostPort, parseLogLevel, parseStatsInterval } from './parse.js';
import { configFileSchema, fdbEntrySchema, neighEntrySchema, validate, type FdbEntryInput, type NeighEntryInput } from './schema.js';
import { buildMembership } from './membership.js';
import { buildSegment, buildUnderlay, checkSegments, type RawSegment, type SystemDefaults, type VtepConfig } from './vtep-config.js';

// File fields named differently from the raw setting (the option) they feed.
const LIST_FIELDS: Record<string, string> = { peer: 'peers', address: 'addresses' };
// Top-level fields, named in messages as they are.
const TOP_LEVEL_FIELDS = new Set(Object.keys(configFileSchema.shape));

/** The name of a setting in the file: `dev` at the top, `vnis[1].peers` in a VNI. */
function segmentName(i: number, setting: string): string {
  if (TOP_LEVEL_FIELDS.has(setting)) return setting;
  return `vnis[${i}].${LIST_FIELDS[setting] ?? setting}`;
}

/** Nesting of the file's JSON: a real file nests 5 deep (vnis[].fdb[] entries). */
export const MAX_CONFIG_DEPTH = 32;
/** Values in the file: 100,000 FDB entries take about 600,000. */
export const MAX_CONFIG_ELEMENTS = 2_000_000;
/** Objects and lists in the file, the dearest values to hold: one per FDB or neighbour entry. */
export const MAX_CONFIG_CONTAINERS = 400_000;

/**
 * Refuses, before JSON.parse builds anything, a text nested deeper than MAX_CONFIG_DEPTH
 * or holding more than MAX_CONFIG_ELEMENTS values or MAX_CONFIG_CONTAINERS objects and
 * lists: a file under the size cap could otherwise take many times its size in memory
 * (15 M nested "[" took 1.5 GB). One pass, no allocation; strings are skipped, so
 * brackets in them do not count.
 */
export function checkJsonBounds(text: string): void {
  let depth = 0;
  let elements = 1;
  let containers = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: to its closing quote, escapes skipped.
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_CONFIG_DEPTH) throw new ConfigError(`the JSON is nested deeper than ${MAX_CONFIG_DEPTH} levels`);
      if (++containers > MAX_CONFIG_CONTAINERS) throw new ConfigError(`the JSON holds more than ${MAX_CONFIG_CONTAINERS.toLocaleString('en-US')} objects and lists`);
      if (++elements > MAX_CONFIG_ELEMENTS) break;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c && ++elements > MAX_CONFIG_ELEMENTS) break;
  }
  if (elements > MAX_CONFIG_ELEMENTS) throw new ConfigError(`the JSON holds more than ${MAX_CONFIG_ELEMENTS.toLocaleString('en-US')} values`);
}

/** More VNIs than any host serves (one TAP each): the rest of the file is not read. */
export const MAX_CONFIG_VNIS = 4096;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The file checked against configFileSchema, with each VNI's fdb and neigh lists read
 * entry by entry up to the first bad one. (Checked whole, a list of a million bad entries
 * would collect a million problems: gigabytes, for the first one only.)
 */
function validateBounded(file: Record<string, unknown>) {
  const list = file['vnis'];
  if (Array.isArray(list) && list.length > MAX_CONFIG_VNIS) throw new ConfigError(`vnis must list at most ${MAX_CONFIG_VNIS} VNIs, not ${list.length}`);
  if (!Array.isArray(list)) return validate(configFileSchema, file);
  const bare = list.map((v: unknown) => (isObject(v) ? { ...v, fdb: undefined, neigh: undefined } : v));
  const checked = validate(configFileSchema, { ...file, vnis: bare });
  /** The file with only VNI i's `field` list, cut after entry `end`: its first problem is that entry's. */
  const blame = (i: number, field: 'fdb' | 'neigh', value: unknown): never => {
    validate(configFileSchema, { ...file, vnis: bare.map((v, k) => (k === i ? { ...(v as object), [field]: value } : v)) });
    throw new ConfigError(`vnis[${i}].${field} is not valid`);
  };
  const entries = <T>(i: number, field: 'fdb' | 'neigh', schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T[] | undefined => {
    const value = (list[i] as Record<string, unknown>)[field];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return blame(i, field, value);
    const out: T[] = [];
    for (let j = 0; j < value.length; j++) {
      const entry = schema.safeParse(value[j]);
      if (!entry.success) return blame(i, field, value.slice(0, j + 1));
      out.push(entry.data);
    }
    return out;
  };
  checked.vnis.forEach((vni, i) => {
    const fdb = entries<FdbEntryInput>(i, 'fdb', fdbEntrySchema);
    const neigh = entries<NeighEntryInput>(i, 'neigh', neighEntrySchema);
    if (fdb !== undefined) vni.fdb = fdb;
    if (neigh !== undefined) vni.neigh = neigh;
  });
  return checked;
}

export function parseConfigFile(text: string, system: SystemDefaults): VtepConfig {
  checkJsonBounds(text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('the file must hold a JSON object');
  const { vnis, etcd, network, etcdPrefix, etcdTtl, etcdUnderlay, etcdMaxMembers, etcdCacert, etcdCert, etcdKey, etcdUser, etcdPasswordFile, ...rawUnderlay } = validateBounded(
    json as Record<string, unknown>,
  );
  const rawSegments = vnis.map(({ peers, addresses, fdb: _fdb, neigh: _neigh, ...rest }): RawSegment => ({ ...rest, peer: peers, address: addresses }));
  const underlay = buildUnderlay(rawUnderlay, rawSegments, system, (setting) => setting, segmentName);
  const segments = rawSegments.map((raw, i) => {
    const segment = buildSegment(raw, underlay, (setting) => segmentName(i, setting));
    const { fdb = [], neigh = [] } = vnis[i]!;
    segment.fdb = fdb.map((e, j) => {
      if (e.dst.family !== underlay.family) throw new ConfigError(`vnis[${i}].fdb[${j}].dst ${e.dst.address} is IPv${e.dst.family} but the underlay is IPv${underlay.family}`);
      return { mac: e.mac, dst: e.dst.address, port: e.port, vni: e.vni, state: e.state ?? 'permanent' };
    });
    segment.neigh = neigh.map((n) => ({ ip: n.ip.address, lladdr: n.lladdr, router: n.router ?? false }));
    return segment;
  });
  checkSegments(segments, segmentName);
  return {
    underlay,
    segments,
    logLevel: rawUnderlay.logLevel === undefined ? 'info' : parseLogLevel(rawUnderlay.logLevel, 'logLevel'),
    statsIntervalSeconds: rawUnderlay.statsInterval === undefined ? 0 : parseStatsInterval(rawUnderlay.statsInterval, 'statsInterval'),
    metrics: rawUnderlay.metrics === undefined ? undefined : parseHostPort(rawUnderlay.metrics, 'metrics'),
    membership: buildMembership({ etcd, network, etcdPrefix, etcdTtl, etcdUnderlay, etcdMaxMembers, etcdCacert, etcdCert, etcdKey, etcdUser, etcdPasswordFile }, (field) => field),
  };
}

/** Far above any real file (100,000 FDB entries take about 8 MB), far below memory. */
export const MAX_CONFIG_BYTES = 32 * 1024 * 1024;

/** Reads at most MAX_CONFIG_BYTES: --config /dev/zero must end, not read forever. */
function readBounded(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1024 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > MAX_CONFIG_BYTES) throw new ConfigError(`--config ${path} is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MB`);
    }
    // A UTF-8 byte order mark (as some Windows editors write) is not part of the JSON.
    return Buffer.concat(chunks, length).toString('utf8').replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
}

export function loadConfigFile(path: string, system: SystemDefaults): VtepConfig {
  let text: string;
  try {
    text = readBounded(path);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read --config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseConfigFile(text, system);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`--config ${path}: ${err.message}`);
    throw err;
  }
}
