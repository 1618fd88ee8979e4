// Membership when etcd goes away: forwarding goes on with the last known members, and
// what changed meanwhile is programmed once the store is back; a three-member etcd
// cluster that loses a member keeps the overlay working.
import { describe, expect, it } from 'vitest';
import { isRoot, ping, pingAsync, waitFor } from './helpers.js';
import { allProgrammed, memberOf, members, overlay, tapHost, twoTapLab, underlay } from './membership-lab.js';

const OUTAGE_MS = 10_000;

describe.skipIf(!isRoot)('membership: etcd stopped for 10 s', () => {
  const o = twoTapLab('mbro', 3);

  it('keeps forwarding between known members, logs the outage once, and programs a member that joined meanwhile', async () => {
    const { lab, hosts, etcd } = o;
    expect(await allProgrammed(lab, hosts[0]!, [1, 2])).toBe(true);
    await etcd.stop('e0');
    const outageEnds = Date.now() + OUTAGE_MS;
    // Joins while the store is away: it registers once etcd is back.
    const late = await tapHost(lab, hosts, etcd, 3, '--local', underlay(3));
    expect(await pingAsync(lab, hosts[0]!, overlay(2), 5, '1')).toBe(5);
    expect(await pingAsync(lab, hosts[1]!, overlay(1), 2)).toBe(2);
    const report = members(lab, hosts[0]!);
    expect(report.connected).toBe(false);
    expect(memberOf(report, 2)?.programmed).toBe('yes');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageEnds - Date.now())));
    await etcd.start('e0');
    expect(await allProgrammed(lab, hosts[0]!, [1, 2, 3], 'vxt0', 15_000)).toBe(true);
    expect(await allProgrammed(lab, hosts[2]!, [1, 2, 3])).toBe(true);
    expect(ping(lab, hosts[0]!, overlay(3), 2)).toBe(2);
    expect(o.vteps[0]!.stderr().match(/etcd unreachable/g)).toHaveLength(1);
    // Programming follows the snapshot; the line follows once the watch is back too.
    expect(await waitFor(() => /etcd reachable again: resynced/.test(o.vteps[0]!.stderr()))).toBe(true);
    expect(await waitFor(() => /etcd reachable again: resynced/.test(late.stderr()))).toBe(true);
  });
});

describe.skipIf(!isRoot)('membership: a three-member etcd cluster loses a member', () => {
  const o = twoTapLab('mbrc', 3, 3);

  it('keeps the overlay working: a member joining after the loss is programmed and reached', async () => {
    const { lab, hosts, etcd } = o;
    expect(await allProgrammed(lab, hosts[0]!, [1, 2])).toBe(true);
    await etcd.stop('e0', 'SIGKILL');
    await tapHost(lab, hosts, etcd, 3, '--local', underlay(3));
    expect(await allProgrammed(lab, hosts[0]!, [1, 2, 3], 'vxt0', 15_000)).toBe(true);
    expect(await allProgrammed(lab, hosts[2]!, [1, 2, 3], 'vxt0', 15_000)).toBe(true);
    expect(ping(lab, hosts[0]!, overlay(3), 2)).toBe(2);
    expect(ping(lab, hosts[2]!, overlay(2), 2)).toBe(2);
  });
});
