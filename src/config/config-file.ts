// The --config file: JSON holding the underlay settings and one entry per VNI, shaped by
// configFileSchema. Read at start and again on SIGHUP; every error names the bad field,
// e.g. "vnis[1].vni".
import { closeSync, openSync, readSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { parseHostPort, parseLogLevel, parseStatsInterval } from './parse.js';
import { configFileSchema, validate } from './schema.js';
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

export function parseConfigFile(text: string, system: SystemDefaults): VtepConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError('the file must hold a JSON object');
  const { vnis, etcd, network, etcdPrefix, etcdTtl, ...rawUnderlay } = validate(configFileSchema, json);
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
    membership: buildMembership({ etcd, network, etcdPrefix, etcdTtl }, (field) => field),
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
