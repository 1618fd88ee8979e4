// The --persist state file: written whole or not at all (a temporary file, fsync, rename),
// and read back with every entry checked; a damaged file is set aside, never deleted.
import { linkSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStateFile, writeStateFile } from '../../src/lifecycle/persist.js';

const lines: { fields: Record<string, unknown>; msg: string }[] = [];
const log = { warn: (fields: Record<string, unknown>, msg: string) => void lines.push({ fields, msg }) } as never;

const snapshot = {
  fdb: [{ mac: '02:00:00:00:00:99', dev: 'vxt0', dst: '203.0.113.9', port: 4789, vni: 42, state: 'permanent' as const }],
  neigh: [{ ip: '192.0.2.9', lladdr: '02:00:00:00:00:99', router: false, dev: 'vxt0' }],
};

describe('--persist state file', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vxt-persist-'));
    file = path.join(dir, 'vxt0.state.json');
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the file by a rename, never rewriting it in place', () => {
    writeFileSync(file, '{"fdb":[],"neigh":[]}');
    // A hard link keeps the old inode: written in place, it would change too.
    linkSync(file, path.join(dir, 'old'));
    writeStateFile(file, snapshot);
    expect(readFileSync(path.join(dir, 'old'), 'utf8')).toBe('{"fdb":[],"neigh":[]}');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(snapshot);
    expect(readdirSync(dir).sort()).toEqual(['old', 'vxt0.state.json']);
  });

  it('reads back what it wrote and removes the file (a state is restored once)', () => {
    writeStateFile(file, snapshot);
    expect(readStateFile(file, log)).toEqual(snapshot);
    expect(readdirSync(dir)).toEqual([]);
    expect(readStateFile(file, log)).toBeUndefined();
    expect(lines).toEqual([]);
  });

  it.each([
    ['cut short', '{"fdb":[{"mac":"02:00:00:00:00:99","d', /not valid JSON/],
    ['not an object', '[]', /must hold a JSON object/],
    ['a bad MAC', JSON.stringify({ fdb: [{ ...snapshot.fdb[0], mac: 'zz' }], neigh: [] }), /fdb\[0\]\.mac/],
    ['a bad state', JSON.stringify({ fdb: [{ ...snapshot.fdb[0], state: 'x' }], neigh: [] }), /fdb\[0\]\.state/],
    ['a bad neighbour', JSON.stringify({ fdb: [], neigh: [{ ip: '192.0.2.1', lladdr: 1 }] }), /neigh\[0\]/],
  ])('a file %s: one line naming it and the problem, kept as .bad, no state', (_, text, problem) => {
    writeFileSync(file, text);
    expect(readStateFile(file, log)).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields['file']).toBe(file);
    expect(String(lines[0]!.fields['reason'])).toMatch(problem);
    expect(lines[0]!.fields['keptAs']).toBe(`${file}.bad`);
    expect(readFileSync(`${file}.bad`, 'utf8')).toBe(text);
    expect(readdirSync(dir)).toEqual(['vxt0.state.json.bad']);
  });
});
