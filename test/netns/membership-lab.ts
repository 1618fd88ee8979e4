// Shared by the membership namespace tests: an underlay switch with etcd on it, hosts
// running vxlan-tap or a kernel vxlan with `vxlan-tap agent`, and what they report.
import { afterAll, beforeAll } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { EtcdStore } from '../../lab/etcd.js';
import type { MembersReport } from '../../src/membership/membership.js';
import { waitFor } from './helpers.js';

export const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
export const VNI = '42';
export const underlay = (n: number): string => `198.51.100.${n}`;
export const overlay = (n: number): string => `192.0.2.${n}`;
export const macOf = (n: number): string => `02:00:00:00:00:0${n}`;

/**
 * An underlay switch namespace holding the etcd members (198.51.100.10, .11, ...) and a
 * host namespace per underlay address 198.51.100.1, .2, ... on it.
 */
export async function overlayLab(tag: string, hostCount: number, etcdCount = 1): Promise<{ lab: Lab; hosts: string[]; etcd: EtcdStore }> {
  const lab = new Lab(tag);
  const sw = lab.namespace('sw');
  const hosts = Array.from({ length: hostCount }, (_, i) => lab.namespace(`h${i + 1}`));
  lab.bridgeLinks(sw, hosts.map((ns, i) => ({ ns, address: `${underlay(i + 1)}/24` })));
  const etcdAddresses = Array.from({ length: etcdCount }, (_, i) => underlay(10 + i));
  for (const address of etcdAddresses) lab.ip(sw, 'addr', 'add', `${address}/24`, 'dev', 'br0');
  const etcd = new EtcdStore(lab, sw, etcdAddresses);
  try {
    await etcd.start();
  } catch (err) {
    await lab.cleanup();
    await etcd.cleanup();
    throw err;
  }
  return { lab, hosts, etcd };
}

/** vxlan-tap on host n (1-based) with TAP vxt0, its MAC and overlay address fixed by n. */
export function tapHost(lab: Lab, hosts: string[], etcd: EtcdStore, n: number, ...extra: string[]): Promise<VtepProcess> {
  const args = ['--vni', VNI, '--tap', 'vxt0', '--mac', macOf(n), '--address', `${overlay(n)}/24`, '--etcd', etcd.urls, ...extra];
  return lab.vtep(hosts[n - 1]!, ...args);
}

/** A kernel vxlan (no learning, ARP proxy, as flannel makes it) on host n, run by `agent`. */
export function kernelHost(lab: Lab, hosts: string[], etcd: EtcdStore, n: number): Promise<VtepProcess> {
  const ns = hosts[n - 1]!;
  lab.kernelVxlan(ns, { vni: Number(VNI), local: underlay(n), dev: 'ul0', address: `${overlay(n)}/24`, mac: macOf(n), extra: ['nolearning', 'proxy'] });
  return lab.vtep(ns, 'agent', '--kernel', 'vx0', '--etcd', etcd.urls);
}

export function members(lab: Lab, ns: string, dev = 'vxt0'): MembersReport {
  return JSON.parse(lab.exec(ns, process.execPath, MAIN, 'members', '--tap', dev, '--json')) as MembersReport;
}

/** The member at underlay host n as host `ns` sees it, if it sees it. */
export const memberOf = (report: MembersReport, n: number) => report.members.find((m) => m.address === underlay(n));

/** Waits until `ns` lists exactly `expected` (underlay host numbers) and has programmed every other one. */
export function allProgrammed(lab: Lab, ns: string, expected: number[], dev = 'vxt0', timeoutMs = 10_000): Promise<boolean> {
  return waitFor(() => {
    const report = members(lab, ns, dev);
    return report.members.length === expected.length && expected.every((n) => ['yes', 'self'].includes(memberOf(report, n)?.programmed ?? ''));
  }, timeoutMs);
}

export const fdbShow = (lab: Lab, ns: string): string => lab.exec(ns, process.execPath, MAIN, 'fdb', 'show', '--tap', 'vxt0');

export interface TwoTapLab {
  lab: Lab;
  hosts: string[];
  etcd: EtcdStore;
  /** vxlan-tap on hosts 1 and 2. */
  vteps: VtepProcess[];
}

/**
 * Registers the hooks of a describe block: before its tests, an overlay lab with vxlan-tap
 * on hosts 1 and 2 (each with --local); after them, everything removed. The fields are
 * filled in by the time the tests run.
 */
export function twoTapLab(tag: string, hostCount: number, etcdCount = 1): TwoTapLab {
  const built = {} as TwoTapLab;
  beforeAll(async () => {
    Object.assign(built, await overlayLab(tag, hostCount, etcdCount));
    built.vteps = [];
    for (const n of [1, 2]) built.vteps.push(await tapHost(built.lab, built.hosts, built.etcd, n, '--local', underlay(n)));
  });
  afterAll(async () => {
    await built.lab?.cleanup();
    await built.etcd?.cleanup();
  });
  return built;
}
