// Throwaway network labs on this machine: uniquely named namespaces joined by veth
// pairs, kernel vxlan devices, and vxlan-tap processes inside them. Used by `demo`, the
// namespace tests and the benchmark. cleanup() stops what it started (by PID) and
// deletes every namespace it made, whatever state things are in.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../src/io/package-root.js';
import { loadLabNative, type OffloadFeature } from './native.js';

/** The built CLI, whether this module runs from src/ (tests) or dist/ (demo). */
export const BUILT_MAIN = path.join(packageRoot(), 'dist/src/cli/main.js');
const READY_TIMEOUT_MS = 10_000;

/**
 * Whether the built CLI's `run` lists `option` in its help, so that a caller can leave out
 * what this build does not offer instead of failing on "unknown option".
 */
export function runOffersOption(option: string): boolean {
  const help = execFileSync(process.execPath, [BUILT_MAIN, 'run', '--help'], { encoding: 'utf8', timeout: 10_000 });
  return help.split(/[\s,]+/).includes(option);
}

let labCounter = 0;

/** How one end of a veth treats what passes it. */
export interface VethEnd {
  /**
   * Keep the veth's transmit checksum offload: checksums the sender leaves to "hardware"
   * stay unfinished, which only a kernel receiver accepts (a NIC would complete them).
   */
  txChecksum: boolean;
  /** Coalesce what arrives (GRO), as a NIC's driver does; a veth does it only when asked. */
  gro: boolean;
}

/** A plain wire: every checksum completed by the sender, nothing coalesced. */
const WIRE_END: VethEnd = { txChecksum: false, gro: false };

/**
 * A wire whose receiver coalesces. It also keeps one TCP flow in order: without GRO a
 * veth queues what it carries on the sending CPU's backlog, and a kernel TCP sender that
 * sends from two CPUs (its application's and the one taking its ACKs) reorders its own
 * flow there (over a thousand reordered segments in 4 s of iperf3 at 5 Gbit/s, against
 * under twenty with GRO: all of it goes through the veth's one NAPI queue then).
 */
export const ORDERED_WIRE_END: VethEnd = { txChecksum: false, gro: true };

/**
 * A veth end as a NIC would be: GRO on receive, checksums left to the "hardware" on send.
 * The one exception is forced by correctness: a kernel vxlan leaves its inner TCP/UDP
 * checksums to that hardware, which a veth is not, so where its peer is a userspace VTEP
 * (which reads them as they are) its end completes them in software, as a NIC would on
 * the wire. vxlan-tap completes every inner checksum itself: its end needs nothing.
 */
export function nicEnd(kernelVxlanToUserspace: boolean): VethEnd {
  return { txChecksum: !kernelVxlanToUserspace, gro: true };
}

export interface VtepProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface KernelVxlanOptions {
  name?: string;
  vni: number;
  /** 'kernel default': leave dstport out, as a user who never set it. */
  port?: number | 'kernel default';
  remote?: string;
  group?: string;
  local?: string;
  dev?: string;
  address?: string;
  mac?: string;
  /** Further `ip link add ... type vxlan` words, like nolearning or proxy. */
  extra?: string[];
}

export class Lab {
  readonly namespaces: string[] = [];
  private readonly processes: ChildProcess[] = [];
  private readonly prefix: string;

  constructor(tag: string) {
    this.prefix = `vxt-${tag}-${process.pid}-${++labCounter}`;
  }

  /** Creates a namespace with loopback up; returns its name. */
  namespace(name: string): string {
    const ns = `${this.prefix}-${name}`;
    execFileSync('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    // IPv6 addresses usable at once: no duplicate address detection on private wires.
    // (/proc/sys/net shows the namespace of whoever opens it; no sysctl program needed.)
    this.exec(ns, 'sh', '-c', 'for scope in all default; do echo 0 > /proc/sys/net/ipv6/conf/$scope/accept_dad; done');
    return ns;
  }

  /** Runs `ip -n ns ...args` and returns its stdout. */
  ip(ns: string, ...args: string[]): string {
    return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs a command inside the namespace and returns its stdout. */
  exec(ns: string, command: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts a command inside the namespace in the background; cleanup() ends it. */
  spawn(ns: string, command: string, ...args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.push(child);
    return child;
  }

  /**
   * A veth pair between two namespaces, each end named `dev`, with addresses, up. Each end
   * behaves as `ends` says; by default as a wire that completes every checksum (see
   * wireChecksums) and coalesces nothing on receive.
   */
  link(nsA: string, addressA: string, nsB: string, addressB: string, options: { dev?: string; ends?: readonly [VethEnd, VethEnd] } = {}): void {
    const dev = options.dev ?? 'ul0';
    this.ip(nsA, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', dev, 'netns', nsB);
    const ends = options.ends ?? [WIRE_END, WIRE_END];
    for (const [i, [ns, address]] of ([[nsA, addressA], [nsB, addressB]] as const).entries()) this.underlayEnd(ns, dev, address, ends[i]!);
  }

  /**
   * A veth hands the other namespace packets whose checksums are still to be filled in by
   * "hardware". A kernel vxlan leaves the inner TCP/UDP checksum to it, so a userspace
   * receiver would read it unfinished. Turning off tx checksum offload makes the sender
   * complete every checksum in software, as a real NIC completes it on the wire.
   */
  wireChecksums(ns: string, dev: string): void {
    this.offload(ns, dev, 'tx', false);
  }

  /** A device's offload feature, as `ethtool -k` shows it; set first when `on` is given (`ethtool -K`). */
  offload(ns: string, dev: string, feature: OffloadFeature, on?: boolean): boolean {
    return loadLabNative().offloadFeature(`/run/netns/${ns}`, dev, feature, on);
  }

  private underlayEnd(ns: string, dev: string, address: string, end: VethEnd = WIRE_END): void {
    this.ip(ns, 'addr', 'add', address, 'dev', dev);
    if (!end.txChecksum) this.wireChecksums(ns, dev);
    if (end.gro) this.offload(ns, dev, 'gro', true);
    this.ip(ns, 'link', 'set', dev, 'up');
  }

  /** Two hosts on one veth: `kernelHost` at 198.51.100.1 and `tapHost` at 198.51.100.2. */
  hostPair(ends?: readonly [VethEnd, VethEnd]): { kernelHost: string; tapHost: string } {
    const kernelHost = this.namespace('k');
    const tapHost = this.namespace('t');
    this.link(kernelHost, '198.51.100.1/24', tapHost, '198.51.100.2/24', { ends });
    return { kernelHost, tapHost };
  }

  /**
   * The classic point to point, kernel side ready: a host pair whose kernel host has
   * vx0 (VNI 42, port 4789, remote the tap host) with overlay address 192.0.2.1/24.
   * `ends`: how the veth's ends behave (plain wires by default).
   */
  pointToPoint(ends?: readonly [VethEnd, VethEnd]): { kernelHost: string; tapHost: string } {
    const hosts = this.hostPair(ends);
    this.kernelVxlan(hosts.kernelHost, { vni: 42, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24' });
    return hosts;
  }

  /** A Linux bridge in `ns` with one veth to each of the other namespaces (an underlay switch). */
  bridgeLinks(ns: string, members: { ns: string; address: string }[], dev = 'ul0'): void {
    // No IGMP snooping: the switch floods group traffic like a plain hub would.
    this.ip(ns, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    this.ip(ns, 'link', 'set', 'br0', 'up');
    members.forEach((member, i) => {
      const port = `p${i}`;
      this.ip(ns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', member.ns);
      this.ip(ns, 'link', 'set', port, 'master', 'br0');
      this.ip(ns, 'link', 'set', port, 'up');
      this.underlayEnd(member.ns, dev, member.address);
    });
  }

  /** The kernel's own vxlan device in `ns`, up, with an overlay address. */
  kernelVxlan(ns: string, o: KernelVxlanOptions): string {
    const name = o.name ?? 'vx0';
    const args = ['link', 'add', name, 'type', 'vxlan', 'id', String(o.vni)];
    if (o.port !== 'kernel default') args.push('dstport', String(o.port ?? 4789));
    if (o.remote) args.push('remote', o.remote);
    if (o.group) args.push('group', o.group);
    if (o.local) args.push('local', o.local);
    if (o.dev) args.push('dev', o.dev);
    args.push(...(o.extra ?? []));
    this.ip(ns, ...args);
    if (o.mac) this.ip(ns, 'link', 'set', name, 'address', o.mac);
    if (o.address) this.ip(ns, 'addr', 'add', o.address, 'dev', name);
    this.ip(ns, 'link', 'set', name, 'up');
    return name;
  }

  /** Starts `vxlan-tap run ...args` in `ns` and resolves once it logs "ready". */
  vtep(ns: string, ...args: string[]): Promise<VtepProcess> {
    return this.vtepVia(ns, [], ...args);
  }

  /** vtep(), started through `runner` (a command that runs the rest, like setpriv ...). */
  async vtepVia(ns: string, runner: string[], ...args: string[]): Promise<VtepProcess> {
    const [command, ...rest] = [...runner, process.execPath, BUILT_MAIN, ...args];
    const child = this.spawn(ns, command!, ...rest);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vxlan-tap did not get ready in ${ns}: ${stderr}`)), READY_TIMEOUT_MS);
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/"msg":"ready"/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`vxlan-tap exited with ${code} in ${ns}: ${stderr.trim()}`));
      });
    });
    return {
      child,
      stderr: () => stderr,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        return exited;
      },
    };
  }

  async cleanup(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    for (const ns of this.namespaces.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  }
}
