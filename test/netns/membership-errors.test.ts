// How membership options, `agent` and `members` fail: bad input -> one line, exit 2,
// nothing created; runtime failure -> one line, exit 1, nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, linkNames, runCli } from './helpers.js';

const STORE = 'http://198.51.100.10:2379';

describe.skipIf(!isRoot)('membership errors', () => {
  const lab = new Lab('mbre');
  let ns: string;

  beforeAll(() => {
    ns = lab.namespace('e');
  });
  afterAll(() => lab.cleanup());

  /** Runs the CLI and checks it failed as it should: one line, the exit status, nothing left. */
  function fails(args: string[], status: number, message: RegExp): void {
    const result = runCli(ns, ...args);
    expect(result.status).toBe(status);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(linkNames(lab, ns)).toEqual(['lo']);
  }

  it.each([
    [['--vni', '1', '--network', 'blue'], /--network needs --etcd/],
    [['--vni', '1', '--etcd', '198.51.100.10:2379'], /--etcd must be etcd client URLs like http:\/\/192\.0\.2\.10:2379/],
    [['--vni', '1', '--etcd', STORE, '--etcd-ttl', '1'], /--etcd-ttl must be a whole number of seconds from 2 to 3600, not "1"/],
    [['--vni', '1', '--etcd', STORE, '--etcd-prefix', 'x'], /--etcd-prefix must start with "\/"/],
    [['agent', '--etcd', STORE], /--kernel <vxlan device> is required/],
    [['agent', '--kernel', 'vx0'], /--etcd is required/],
  ])('rejects %j with one line, exit 2', (args, message) => fails(args, 2, message));

  it.each([
    [['--vni', '1', '--tap', 'vxerr0', '--etcd', STORE], /no route to the etcd endpoint http:\/\/198\.51\.100\.10:2379 to take a source address from: give --local/],
    [['agent', '--kernel', 'vxnope', '--etcd', STORE], /--kernel vxnope: no such device/],
    [['agent', '--kernel', 'lo', '--etcd', STORE], /--kernel lo is not a vxlan device/],
  ])('fails on %j with one line, exit 1, nothing left behind', (args, message) => fails(args, 1, message));

  it('members on a VTEP without --etcd says so, exit 1', async () => {
    const vtep = await lab.vtep(ns, '--vni', '1', '--tap', 'plain0');
    try {
      const { status, stderr } = runCli(ns, 'members', '--tap', 'plain0');
      expect(status).toBe(1);
      expect(stderr).toBe('vxlan-tap: error: this VTEP runs without --etcd: it has no members\n');
    } finally {
      expect(await vtep.stop()).toBe(0);
    }
  });
});
