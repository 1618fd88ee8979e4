// Membership from a real etcd (Debian's etcd-server), flannel style: vxlan-tap hosts and a
// kernel vxlan run by `vxlan-tap agent` register under leases and program each other's
// flood list, FDB and neighbours. Every test starts its own etcd inside a namespace it
// made and removes it afterwards.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_DIR } from '../../src/control/server.js';
import type { Lab, VtepProcess } from '../../lab/lab.js';
import type { EtcdStore } from '../../lab/etcd.js';
import { capture, isRoot, ping, pingAsync, waitFor } from './helpers.js';
import { allProgrammed, fdbShow, kernelHost, macOf, MAIN, memberOf, members, overlay, overlayLab, tapHost, underlay } from './membership-lab.js';

describe.skipIf(!isRoot)('membership: two vxlan-tap hosts and a kernel agent on one etcd', () => {
  let lab: Lab;
  let hosts: string[];
  let etcd: EtcdStore;
  const vteps: VtepProcess[] = [];

  beforeAll(async () => {
    ({ lab, hosts, etcd } = await overlayLab('mbr', 4));
    // Host 1 names its underlay address; host 2 takes the source of its route to etcd.
    vteps.push(await tapHost(lab, hosts, etcd, 1, '--local', underlay(1), '--proxy'));
    vteps.push(await tapHost(lab, hosts, etcd, 2, '--proxy'));
    vteps.push(await kernelHost(lab, hosts, etcd, 3));
  });
  afterAll(async () => {
    await lab?.cleanup();
    await etcd?.cleanup();
  });

  it('joins: every host lists all three members and has programmed the other two', async () => {
    expect(await allProgrammed(lab, hosts[0]!, [1, 2, 3])).toBe(true);
    expect(await allProgrammed(lab, hosts[1]!, [1, 2, 3])).toBe(true);
    expect(await allProgrammed(lab, hosts[2]!, [1, 2, 3], 'vx0')).toBe(true);
    expect(vteps[1]!.stderr()).toMatch(/"address":"198\.51\.100\.2","from":"route to etcd"/);
    // The store fills the flood list: no warning that broadcasts have nowhere to go.
    expect(vteps[0]!.stderr()).not.toMatch(/nowhere to go/);
  });

  it('every pair pings, both ways', () => {
    for (const [a, b] of [[1, 2], [1, 3], [2, 3], [2, 1], [3, 1], [3, 2]] as const) {
      expect(ping(lab, hosts[a - 1]!, overlay(b), 2), `${a} -> ${b}`).toBe(2);
    }
  });

  it('programs flood list, static FDB entry and neighbour on vxlan-tap, and the same on the kernel device', () => {
    const fdb = fdbShow(lab, hosts[0]!);
    expect(fdb).toContain(`00:00:00:00:00:00 dev vxt0 dst ${underlay(2)}`);
    expect(fdb).toContain(`00:00:00:00:00:00 dev vxt0 dst ${underlay(3)}`);
    expect(fdb).toContain(`${macOf(2)} dev vxt0 dst ${underlay(2)} vni 42 self static (membership)`);
    expect(fdb).toContain(`${macOf(3)} dev vxt0 dst ${underlay(3)} vni 42 self static (membership)`);
    const neigh = lab.exec(hosts[0]!, process.execPath, MAIN, 'neigh', 'show', '--tap', 'vxt0');
    expect(neigh).toContain(`${overlay(2)} dev vxt0 lladdr ${macOf(2)} PERMANENT (membership)`);
    expect(neigh).toContain(`${overlay(3)} dev vxt0 lladdr ${macOf(3)}`);
    const kernelFdb = lab.exec(hosts[2]!, 'bridge', 'fdb', 'show', 'dev', 'vx0');
    expect(kernelFdb).toContain(`${macOf(1)} dst ${underlay(1)} self extern_learn static`);
    expect(kernelFdb).toContain(`00:00:00:00:00:00 dst ${underlay(2)} self extern_learn permanent`);
    expect(lab.exec(hosts[2]!, 'ip', 'neigh', 'show', 'dev', 'vx0')).toContain(`${overlay(2)} lladdr ${macOf(2)} extern_learn PERMANENT`);
  });

  it('members shows each member with its MAC, addresses, kind and lease time left', () => {
    const report = members(lab, hosts[0]!);
    expect(report.network).toBe('default');
    expect(report.connected).toBe(true);
    const kernel = memberOf(report, 3)!;
    expect(kernel).toMatchObject({ kind: 'kernel', port: 4789, programmed: 'yes', vnis: [{ vni: 42, mac: macOf(3), addresses: [overlay(3)] }] });
    expect(kernel.leaseSeconds).toBeGreaterThan(0);
    expect(kernel.leaseSeconds).toBeLessThanOrEqual(10);
    expect(memberOf(report, 1)).toMatchObject({ self: true, programmed: 'self', kind: 'vxlan-tap' });
    const text = lab.exec(hosts[0]!, process.execPath, MAIN, 'members', '--tap', 'vxt0');
    expect(text).toContain(`${underlay(3)} port 4789 kernel lease`);
    expect(text).toContain(`    vni 42 mac ${macOf(3)} addresses ${overlay(3)}`);
  });

  it('with --proxy, a fresh ARP resolution puts no ARP frame on the underlay', async () => {
    lab.ip(hosts[0]!, 'neigh', 'flush', 'dev', 'vxt0');
    const underlayCapture = await capture(lab, hosts[0]!, 'ul0', 'udp', 'port', '4789');
    expect(await pingAsync(lab, hosts[0]!, overlay(2), 1)).toBe(1);
    const lines = await underlayCapture.stop();
    expect(lines.filter((l) => /ARP/.test(l))).toEqual([]);
    expect(lines.filter((l) => /ICMP echo (request|reply)/.test(l))).toHaveLength(2);
    expect(lab.ip(hosts[0]!, 'neigh', 'show', overlay(2), 'dev', 'vxt0')).toContain(macOf(2));
  });

  it('a second claim of a MAC is logged and loses to the older one; entries made by hand stay', async () => {
    const cli = (...args: string[]): string => lab.exec(hosts[0]!, process.execPath, MAIN, ...args, '--tap', 'vxt0');
    const record = (n: number, mac: string) => JSON.stringify({ address: underlay(n), port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac, addresses: [overlay(n)] }] });
    cli('neigh', 'add', overlay(77), 'lladdr', '02:00:00:00:00:77');
    cli('fdb', 'add', '02:00:00:00:00:98', 'dst', underlay(2));
    // Under a lease: a record without one is not trusted.
    const lease = /lease ([0-9a-f]+) granted/.exec(etcd.ctl('lease', 'grant', '600'))![1]!;
    etcd.ctl('put', `--lease=${lease}`, `/vxlan-tap/default/members/${underlay(99)}`, record(99, macOf(2)));
    etcd.ctl('put', `--lease=${lease}`, `/vxlan-tap/default/members/${underlay(98)}`, record(98, '02:00:00:00:00:98'));
    expect(await waitFor(() => /two members claim one MAC/.test(vteps[0]!.stderr()))).toBe(true);
    expect(await waitFor(() => memberOf(members(lab, hosts[0]!), 98)?.programmed === 'partly')).toBe(true);
    const fdb = fdbShow(lab, hosts[0]!);
    expect(fdb).toContain(`${macOf(2)} dev vxt0 dst ${underlay(2)} vni 42 self static (membership)`);
    expect(fdb).toContain(`02:00:00:00:00:98 dev vxt0 dst ${underlay(2)} vni 42 self permanent\n`);
    for (const n of [98, 99]) etcd.ctl('del', `/vxlan-tap/default/members/${underlay(n)}`);
    expect(await waitFor(() => !fdbShow(lab, hosts[0]!).includes(underlay(99)) && !fdbShow(lab, hosts[0]!).includes(underlay(98)))).toBe(true);
    expect(fdbShow(lab, hosts[0]!)).toContain(`02:00:00:00:00:98 dev vxt0 dst ${underlay(2)} vni 42 self permanent\n`);
    expect(cli('neigh', 'show')).toContain(`${overlay(77)} dev vxt0 lladdr 02:00:00:00:00:77 PERMANENT\n`);
    cli('fdb', 'del', '02:00:00:00:00:98');
  });

  it('a host killed with SIGKILL is gone from the others within its TTL + 2 s', async () => {
    const ttl = 2;
    const doomed = await tapHost(lab, hosts, etcd, 4, '--local', underlay(4), '--etcd-ttl', String(ttl));
    expect(await allProgrammed(lab, hosts[0]!, [1, 2, 3, 4])).toBe(true);
    doomed.child.kill('SIGKILL');
    // A killed process leaves its control socket behind; this test's namespace folder goes.
    rmSync(path.join(CONTROL_DIR, `netns-${hosts[3]}`), { recursive: true, force: true });
    const gone = await waitFor(() => memberOf(members(lab, hosts[0]!), 4) === undefined && !fdbShow(lab, hosts[0]!).includes(macOf(4)), (ttl + 2) * 1000);
    expect(gone).toBe(true);
    expect(await waitFor(() => !lab.exec(hosts[2]!, 'bridge', 'fdb', 'show', 'dev', 'vx0').includes(underlay(4)), 2000)).toBe(true);
  });

  it('a graceful stop is gone at once, long before its 10 s lease would expire', async () => {
    expect(await vteps[1]!.stop()).toBe(0);
    expect(await waitFor(() => memberOf(members(lab, hosts[0]!), 2) === undefined, 1500)).toBe(true);
    expect(fdbShow(lab, hosts[0]!)).not.toContain(macOf(2));
    expect(await waitFor(() => !lab.exec(hosts[2]!, 'ip', 'neigh', 'show', 'dev', 'vx0').includes(overlay(2)), 1500)).toBe(true);
    expect(ping(lab, hosts[0]!, overlay(3), 1)).toBe(1);
  });

  it('a restarted agent removes what it wrote for members gone meanwhile, and keeps what was made by hand', async () => {
    // Now: host 1 (vxlan-tap) and host 3 (agent). The agent stops; host 2 comes back and
    // host 1 leaves while it is away.
    const kernelFdb = (): string => lab.exec(hosts[2]!, 'bridge', 'fdb', 'show', 'dev', 'vx0');
    lab.exec(hosts[2]!, 'bridge', 'fdb', 'add', '02:00:00:00:00:55', 'dev', 'vx0', 'dst', underlay(55));
    lab.ip(hosts[2]!, 'neigh', 'add', overlay(55), 'lladdr', '02:00:00:00:00:55', 'dev', 'vx0');
    expect(await vteps[2]!.stop()).toBe(0);
    expect(kernelFdb()).toContain(`${macOf(1)} dst ${underlay(1)} self extern_learn static`);
    vteps[1] = await tapHost(lab, hosts, etcd, 2, '--proxy');
    expect(await vteps[0]!.stop()).toBe(0);
    vteps[2] = await lab.vtep(hosts[2]!, 'agent', '--kernel', 'vx0', '--etcd', etcd.urls);
    expect(await allProgrammed(lab, hosts[2]!, [2, 3], 'vx0')).toBe(true);
    expect(await waitFor(() => !kernelFdb().includes(underlay(1)))).toBe(true);
    expect(kernelFdb()).toContain(`${macOf(2)} dst ${underlay(2)} self extern_learn static`);
    expect(kernelFdb()).toContain(`02:00:00:00:00:55 dst ${underlay(55)} self permanent`);
    const neigh = lab.exec(hosts[2]!, 'ip', 'neigh', 'show', 'dev', 'vx0');
    expect(neigh).not.toContain(overlay(1));
    expect(neigh).toContain(`${overlay(55)} lladdr 02:00:00:00:00:55 PERMANENT`);
    expect(ping(lab, hosts[2]!, overlay(2), 2)).toBe(2);
  });
});
