// The shapes of what users hand us, each defined once (with zod): an FDB entry, a
// neighbour entry and the config file. The config file parser, the control protocol and
// the `fdb`/`neigh` words of the command line all validate with these. Leaf values are
// read by the parsers of parse.ts; every error names its field by its path, such as
// vnis[1].fdb[0].mac in a file or dst in a request.
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { parseIp, parseMacAddress, parsePort, parseUnicastMac, parseVni } from './parse.js';
import { FDB_STATES, type FdbState } from '../engine/fdb.js';

/** Stands for the field's name in a message until the issue's path names it. */
const FIELD = '\u0000';

/** A JSON string or number, read as text by `parse` (which blames the name it is given). */
function leaf<T>(parse: (text: string, name: string) => T) {
  return z.unknown().transform((value, ctx): T => {
    const problem = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (value === undefined) return problem(`${FIELD} is required`);
    if (typeof value !== 'string' && typeof value !== 'number') return problem(`${FIELD} must be a string or a number`);
    try {
      return parse(String(value), FIELD);
    } catch (err) {
      if (err instanceof ConfigError) return problem(err.message);
      throw err;
    }
  });
}

/** An object with exactly these fields: others are refused by name. */
function record<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${FIELD} (known: ${known})` : `${FIELD} must be an object`),
  });
}

const text = z.union([z.string(), z.number()], { error: `${FIELD} must be a string or a number` }).transform(String);
const flag = z.boolean({ error: `${FIELD} must be true or false` });
const textList = z.custom<string[]>((v) => Array.isArray(v) && v.every((s) => typeof s === 'string'), { error: `${FIELD} must be a list of strings` });

const address = leaf((value, name) => parseIp(name, value));
const anyMac = leaf((value, name) => parseMacAddress(name, value));
const unicastMac = leaf((value, name) => parseUnicastMac(name, value));
const port = leaf(parsePort);
const vni = leaf(parseVni);
const state = leaf((value, name): FdbState => {
  if (!(FDB_STATES as readonly string[]).includes(value)) throw new ConfigError(`${name} must be permanent, static or dynamic, not "${value}"`);
  return value as FdbState;
});

/** `bridge fdb add MAC dst IP [port N] [vni N] [STATE]`: a MAC (any: the all-zeros list, groups) behind a remote. */
export const fdbEntrySchema = record({ mac: anyMac, dst: address, port: port.optional(), vni: vni.optional(), state: state.optional() });
/** `fdb del MAC [dst IP [port N] [vni N]]`: the whole entry, or one of its remotes. */
export const fdbDeleteSchema = fdbEntrySchema.omit({ state: true }).partial({ dst: true, port: true, vni: true });
/** `fdb flush [dst IP] [port N] [vni N] [STATE]`: every field a filter. */
export const fdbFlushSchema = fdbEntrySchema.omit({ mac: true }).partial();
/** `ip neigh add IP lladdr MAC [router]`. */
export const neighEntrySchema = record({ ip: address, lladdr: unicastMac, router: flag.optional() });
export const neighDeleteSchema = neighEntrySchema.pick({ ip: true });

export type FdbEntryInput = z.output<typeof fdbEntrySchema>;
export type NeighEntryInput = z.output<typeof neighEntrySchema>;

/** The settings of one VNI in the config file; names as the run options', `peers` and `addresses` being lists. */
const vniSchema = record({
  vni: text.optional(),
  peers: textList.optional(),
  group: text.optional(),
  tap: text.optional(),
  mtu: text.optional(),
  mac: text.optional(),
  addresses: textList.optional(),
  bridge: text.optional(),
  learning: flag.optional(),
  ageing: text.optional(),
  maxAddress: text.optional(),
  proxy: flag.optional(),
  l2miss: flag.optional(),
  l3miss: flag.optional(),
  control: text.optional(),
  fdb: z.array(fdbEntrySchema, { error: `${FIELD} must be a list of { mac, dst, port?, vni?, state? }` }).optional(),
  neigh: z.array(neighEntrySchema, { error: `${FIELD} must be a list of { ip, lladdr, router? }` }).optional(),
});

const URLS = `${FIELD} must be a URL or a list of URLs`;

/** The config file: the underlay settings shared by every VNI, membership, and the VNIs. */
export const configFileSchema = record({
  port: text.optional(),
  local: text.optional(),
  dev: text.optional(),
  io: text.optional(),
  ttl: text.optional(),
  tos: text.optional(),
  df: text.optional(),
  srcport: text.optional(),
  offload: text.optional(),
  busyPoll: text.optional(),
  threads: text.optional(),
  acceptFrom: text.optional(),
  flowlabel: text.optional(),
  outerIds: text.optional(),
  udpcsum: flag.optional(),
  udp6zerocsumtx: flag.optional(),
  udp6zerocsumrx: flag.optional(),
  persist: flag.optional(),
  logLevel: text.optional(),
  statsInterval: text.optional(),
  metrics: text.optional(),
  // Membership (etcd): several endpoints as one comma-separated string or a list.
  etcd: z
    .union([z.string(), z.array(z.string()).min(1, { error: URLS })], { error: URLS })
    .transform((v) => (Array.isArray(v) ? v.join(',') : v))
    .optional(),
  network: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdPrefix: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdTtl: text.optional(),
  etcdUnderlay: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdMaxMembers: text.optional(),
  etcdCacert: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdCert: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdKey: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdUser: z.string({ error: `${FIELD} must be a string` }).optional(),
  etcdPasswordFile: z.string({ error: `${FIELD} must be a string` }).optional(),
  vnis: z.array(vniSchema, { error: `${FIELD} must be a non-empty list of VNI entries` }).min(1, { error: `${FIELD} must be a non-empty list of VNI entries` }),
});

export type ConfigFile = z.output<typeof configFileSchema>;

/** vnis[1].fdb[0].mac, as a path is written in JavaScript. */
function pathName(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** Validates `value`; the first problem is thrown as a ConfigError that names its field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  throw new ConfigError(issue.message.replaceAll(FIELD, pathName(path)).trim());
}
