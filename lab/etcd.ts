// A throwaway etcd store (one member or a cluster) inside a lab namespace, for the
// membership tests and benchmark. Each member listens on its own test address, keeps its
// data in a temporary folder, and is ended by its PID; cleanup() ends every member and
// removes the folders, whatever state things are in.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Lab } from './lab.js';

const HEALTHY_TIMEOUT_MS = 15_000;

interface EtcdMember {
  name: string;
  address: string;
  dataDir: string;
  child?: ChildProcess;
}

export class EtcdStore {
  private readonly members: EtcdMember[];

  /** Members named e0, e1, ... at `addresses` in namespace `ns` (client port 2379, peer 2380). */
  constructor(
    private readonly lab: Lab,
    readonly ns: string,
    addresses: string[],
  ) {
    this.members = addresses.map((address, i) => ({ name: `e${i}`, address, dataDir: mkdtempSync(path.join(tmpdir(), 'vxt-etcd-')) }));
  }

  /** The client URLs, comma-separated, as --etcd takes them. */
  get urls(): string {
    return this.members.map((m) => `http://${m.address}:2379`).join(',');
  }

  private member(name: string): EtcdMember {
    const member = this.members.find((m) => m.name === name);
    if (member === undefined) throw new Error(`no etcd member ${name}`);
    return member;
  }

  /** Starts every member (or the one named; its data kept from before) and waits until the store answers. */
  async start(name?: string): Promise<void> {
    const cluster = this.members.map((m) => `${m.name}=http://${m.address}:2380`).join(',');
    for (const m of name === undefined ? this.members : [this.member(name)]) {
      m.child = this.lab.spawn(this.ns, 'etcd',
        '--name', m.name,
        '--data-dir', m.dataDir,
        '--listen-client-urls', `http://${m.address}:2379`,
        '--advertise-client-urls', `http://${m.address}:2379`,
        '--listen-peer-urls', `http://${m.address}:2380`,
        '--initial-advertise-peer-urls', `http://${m.address}:2380`,
        '--initial-cluster', cluster,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `vxt-${process.pid}`,
        '--heartbeat-interval', '50',
        '--election-timeout', '500',
        '--logger', 'zap',
        '--log-level', 'error',
      );
      m.child.stdout!.resume();
      m.child.stderr!.resume();
    }
    for (const end = Date.now() + HEALTHY_TIMEOUT_MS; ; await new Promise((r) => setTimeout(r, 100))) {
      try {
        this.ctl('endpoint', 'health');
        return;
      } catch (err) {
        if (Date.now() > end) throw new Error(`etcd did not become healthy: ${(err as Error).message}`);
      }
    }
  }

  /** Ends a member with `signal` and waits for it to exit. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.member(name).child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  /** Runs etcdctl against the live members and returns its stdout. */
  ctl(...args: string[]): string {
    const live = this.members.filter((m) => m.child !== undefined && m.child.exitCode === null && m.child.signalCode === null);
    const endpoints = live.map((m) => `http://${m.address}:2379`).join(',');
    return this.lab.exec(this.ns, 'etcdctl', '--endpoints', endpoints, '--dial-timeout', '2s', ...args);
  }

  async cleanup(): Promise<void> {
    for (const m of this.members) await this.stop(m.name, 'SIGKILL');
    for (const m of this.members) rmSync(m.dataDir, { recursive: true, force: true });
  }
}
