// Membership an attacker with write access to the prefix cannot turn: records are checked
// before they are programmed (the key names the address, usable unicast addresses, inside
// --etcd-underlay, under a lease, small, at most --etcd-max-members), a member defends its
// own key, a conflict's loser is out of the flood list, and --peer refuses what is no host.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, VtepProcess } from '../../lab/lab.js';
import type { EtcdStore } from '../../lab/etcd.js';
import { rssKb } from '../../lab/process-watch.js';
import { isRoot, ping, runCli, waitFor } from './helpers.js';
import { allProgrammed, fdbShow, macOf, memberOf, members, overlay, overlayLab, tapHost, underlay } from './membership-lab.js';

const FOLDER = '/vxlan-tap/default/members/';

describe.skipIf(!isRoot)('membership: records are checked before they are trusted', () => {
  let lab: Lab;
  let hosts: string[];
  let etcd: EtcdStore;
  const vteps: VtepProcess[] = [];
  let lease: string;

  beforeAll(async () => {
    ({ lab, hosts, etcd } = await overlayLab('mtrust', 3));
    for (const n of [1, 2]) vteps.push(await tapHost(lab, hosts, etcd, n, '--local', underlay(n)));
    // A lease for the records the attacker writes, so that only what the test checks is wrong with them.
    lease = /lease ([0-9a-f]+) granted/.exec(etcd.ctl('lease', 'grant', '600'))![1]!;
  });
  afterAll(async () => {
    await lab?.cleanup();
    await etcd?.cleanup();
  });

  const record = (address: string, mac: string, addresses: string[] = []) => JSON.stringify({ address, port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac, addresses }] });
  const put = (key: string, value: string, withLease = true): string => etcd.ctl('put', ...(withLease ? [`--lease=${lease}`] : []), `${FOLDER}${key}`, value);
  const ignoredLine = (n: number, key: string, reason: string): Promise<boolean> =>
    waitFor(() => vteps[n - 1]!.stderr().split('\n').some((l) => l.includes(`"key":"${FOLDER}${key}"`) && l.includes(reason) && l.includes('"msg":"member record ignored"')));

  it('ignores a hijack (h2\'s key pointing elsewhere) and h2 writes its record back', async () => {
    expect(await allProgrammed(lab, hosts[0]!, [1, 2])).toBe(true);
    put(underlay(2), record(underlay(66), macOf(2), [overlay(2)]));
    expect(await ignoredLine(1, underlay(2), "the key does not name the record's address 198.51.100.66")).toBe(true);
    expect(await waitFor(() => /another writer changed this member's record/.test(vteps[1]!.stderr()))).toBe(true);
    expect(await waitFor(() => JSON.parse(etcd.ctl('get', '--print-value-only', `${FOLDER}${underlay(2)}`)).address === underlay(2))).toBe(true);
    expect(await allProgrammed(lab, hosts[0]!, [1, 2])).toBe(true);
    expect(fdbShow(lab, hosts[0]!)).toContain(`${macOf(2)} dev vxt0 dst ${underlay(2)} vni 42 self static (membership)`);
    expect(fdbShow(lab, hosts[0]!)).not.toContain(underlay(66));
    expect(ping(lab, hosts[0]!, overlay(2), 2)).toBe(2);
  });

  it('writes its record back when another writer deletes it', async () => {
    etcd.ctl('del', `${FOLDER}${underlay(2)}`);
    expect(await waitFor(() => /another writer deleted this member's record: written back/.test(vteps[1]!.stderr()))).toBe(true);
    expect(await waitFor(() => etcd.ctl('get', '--print-value-only', `${FOLDER}${underlay(2)}`).includes(macOf(2)))).toBe(true);
    expect(await allProgrammed(lab, hosts[0]!, [1, 2])).toBe(true);
  });

  it('ignores a record without a lease, which would never expire', async () => {
    put(underlay(77), record(underlay(77), '02:00:00:00:00:77'), false);
    expect(await ignoredLine(1, underlay(77), 'no lease')).toBe(true);
    expect(memberOf(members(lab, hosts[0]!), 77)).toBeUndefined();
    expect(fdbShow(lab, hosts[0]!)).not.toContain(underlay(77));
  });

  it.each(['255.255.255.255', '0.0.0.0', '127.0.0.1', '224.0.0.1'])('ignores the underlay address %s', async (address) => {
    put(address, record(address, '02:00:00:00:00:78'));
    expect(await ignoredLine(1, address, `address ${address} is not a usable unicast address`)).toBe(true);
    expect(fdbShow(lab, hosts[0]!)).not.toContain(address);
  });

  it('ignores an overlay address that is no host, and a record of 70,000 addresses, memory flat', async () => {
    put(underlay(79), record(underlay(79), '02:00:00:00:00:79', ['255.255.255.255']));
    expect(await ignoredLine(1, underlay(79), 'overlay address 255.255.255.255 is not a usable unicast address')).toBe(true);
    const before = rssKb(vteps[0]!.child.pid!);
    const huge = record(underlay(80), '02:00:00:00:00:80', Array.from({ length: 70_000 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`));
    // Too long for a command-line argument: etcdctl reads the value from its input.
    execFileSync('ip', ['netns', 'exec', etcd.ns, 'etcdctl', '--endpoints', etcd.urls, 'put', `--lease=${lease}`, `${FOLDER}${underlay(80)}`], { input: huge });
    expect(await ignoredLine(1, underlay(80), 'larger than 16384 bytes')).toBe(true);
    expect(rssKb(vteps[0]!.child.pid!) - before).toBeLessThan(30 * 1024);
    const report = members(lab, hosts[0]!);
    expect(report.ignored).toEqual(expect.arrayContaining([expect.objectContaining({ key: `${FOLDER}${underlay(80)}` })]));
  });

  it('leaves a conflict\'s loser out of the flood list as well as the FDB', async () => {
    put(underlay(99), record(underlay(99), macOf(2), [overlay(99)]));
    expect(await waitFor(() => /two members claim one MAC/.test(vteps[0]!.stderr()))).toBe(true);
    expect(memberOf(members(lab, hosts[0]!), 99)?.programmed).toBe('no');
    expect(fdbShow(lab, hosts[0]!)).not.toContain(underlay(99));
    etcd.ctl('del', `${FOLDER}${underlay(99)}`);
  });

  it('with --etcd-underlay and --etcd-max-members, takes the oldest members inside the network only, and says so once', async () => {
    put('203.0.113.5', record('203.0.113.5', '02:00:00:00:00:85'));
    for (const n of [101, 102, 103]) put(underlay(n), record(underlay(n), `02:00:00:00:01:0${n - 100}`));
    const third = await tapHost(lab, hosts, etcd, 3, '--local', underlay(3), '--etcd-underlay', '198.51.100.0/24', '--etcd-max-members', '4');
    vteps.push(third);
    expect(await ignoredLine(3, '203.0.113.5', 'address 203.0.113.5 is outside --etcd-underlay 198.51.100.0/24')).toBe(true);
    // h1 takes it (no --etcd-underlay there).
    expect(await waitFor(() => fdbShow(lab, hosts[0]!).includes('203.0.113.5'))).toBe(true);
    expect(await waitFor(() => members(lab, hosts[2]!).overLimit === 2)).toBe(true);
    const fdb = fdbShow(lab, hosts[2]!);
    for (const n of [1, 2, 101]) expect(fdb).toContain(`00:00:00:00:00:00 dev vxt0 dst ${underlay(n)}`);
    for (const n of [102, 103]) expect(fdb).not.toContain(underlay(n));
    const limitLines = (): number => third.stderr().split('\n').filter((l) => l.includes('more members than --etcd-max-members')).length;
    expect(await waitFor(() => limitLines() === 1)).toBe(true);
    put(underlay(104), record(underlay(104), '02:00:00:00:01:04'));
    expect(await waitFor(() => members(lab, hosts[2]!).overLimit === 3)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the log lines written meanwhile arrive
    expect(limitLines()).toBe(1);
  });

  it.each(['0.0.0.0', '255.255.255.255', '127.0.0.1', '::', '::1'])('--peer %s is refused: one line, exit 2', (address) => {
    const r = runCli(hosts[0]!, '--vni', '7', '--tap', 'vxbad0', '--peer', address);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`vxlan-tap: error: --peer must be a usable unicast address, not ${address}\n`);
  });
});
