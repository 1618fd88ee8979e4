// --persist: each segment's learned and runtime FDB and neighbour entries saved at stop,
// next to its control socket, and put back at the next start. The file is written whole
// or not at all (a temporary file, fsync, rename), so a crash while saving leaves the
// last good state; a damaged file (cut short, or edited into a wrong shape) is named in
// one log line, kept aside as `<file>.bad`, and the VTEP starts with no learned state.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../ops/log.js';
import { controlPath } from '../control/servers.js';
import type { SegmentState } from '../segment-state.js';
import { FDB_STATES } from '../engine/fdb.js';
import { parseMac } from '../wire/mac.js';
import { MAX_VNI } from '../wire/vxlan.js';
import { applySnapshot, snapshotOf, type StateSnapshot } from './state-snapshot.js';

/** Where a VNI's state waits between a stop and the next start. */
export function savedStatePath(controlPath: string): string {
  return controlPath.replace(/\.sock$/, '') + '.state.json';
}

/** The state the last stop saved, back in the tables. */
export function restoreSavedState(segments: readonly SegmentState[], log: Logger): void {
  for (const segment of segments) {
    const snapshot = readStateFile(savedStatePath(controlPath(segment)), log);
    if (snapshot === undefined) continue;
    applySnapshot(segment, snapshot);
    log.info({ vni: segment.vni, fdb: snapshot.fdb.length, neigh: snapshot.neigh.length }, 'saved state restored');
  }
}

/**
 * A start without --persist: what an earlier --persist run saved for these TAPs is
 * theirs no more (the TAP goes at stop now), so it is removed rather than left behind.
 */
export function discardSavedState(segments: readonly SegmentState[], log: Logger): void {
  for (const segment of segments) {
    const file = savedStatePath(controlPath(segment));
    if (!existsSync(file)) continue;
    rmSync(file, { force: true });
    log.info({ vni: segment.vni, file }, 'removed the state an earlier --persist run saved');
  }
}

/** The state to restore at the next start. */
export function saveState(segments: readonly SegmentState[], log: Logger): void {
  for (const segment of segments) {
    try {
      writeStateFile(savedStatePath(controlPath(segment)), snapshotOf(segment));
    } catch (err) {
      log.error({ vni: segment.vni, reason: (err as Error).message }, 'cannot save the state');
    }
  }
}

/**
 * Writes `snapshot` to `file` so that a crash at any point leaves either the old file or
 * the new one whole: into `<file>.tmp`, synced, renamed over `file`, the folder synced.
 */
export function writeStateFile(file: string, snapshot: StateSnapshot): void {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(snapshot));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temporary, file);
  // The rename itself lasts once the folder is on disk.
  const folder = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

const mac = z.string().refine((text) => parseMac(text) !== undefined, 'must be a MAC');
const ip = z.string().refine((text) => isIP(text) !== 0, 'must be an IP address');
const whole = (min: number, max: number) => z.number().int().min(min).max(max);
const snapshotSchema = z.object({
  fdb: z.array(
    z.object({
      mac,
      dst: ip,
      port: whole(1, 65535),
      vni: whole(0, MAX_VNI),
      state: z.enum(FDB_STATES),
      age: z.number().min(0).optional(),
      owner: z.string().optional(),
      dev: z.string().optional(),
    }),
  ),
  neigh: z.array(z.object({ ip, lladdr: mac, router: z.boolean(), owner: z.string().optional(), dev: z.string().optional() })),
});

/** What is wrong with a saved state's text, or the snapshot it holds. */
function checkSnapshot(text: string): StateSnapshot | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'the file must hold a JSON object';
  const result = snapshotSchema.safeParse(json);
  if (result.success) return result.data as StateSnapshot;
  const issue = result.error.issues[0]!;
  const where = issue.path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
  return `${where}: ${issue.message}`;
}

/**
 * The saved snapshot, its file removed as it is read (a state is restored once);
 * undefined if there is none. A damaged file is renamed to `<file>.bad` (replacing an
 * older one) and reported in one line: the VTEP starts without it.
 */
export function readStateFile(file: string, log: Logger): StateSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const snapshot = checkSnapshot(text);
  if (typeof snapshot !== 'string') {
    rmSync(file, { force: true });
    return snapshot;
  }
  const keptAs = `${file}.bad`;
  try {
    renameSync(file, keptAs);
  } catch (err) {
    log.warn({ file, reason: snapshot, notKept: (err as Error).message }, `saved state ${file} is damaged (${snapshot}): starting without it`);
    return undefined;
  }
  log.warn({ file, reason: snapshot, keptAs }, `saved state ${file} is damaged (${snapshot}): kept as ${keptAs}, starting without it`);
  return undefined;
}
