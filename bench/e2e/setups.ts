// The setups the end-to-end benchmark compares, as data, and the one function that builds
// any of them: two namespaces joined by a veth pair, with a tunnel end or nothing at each
// end. The client sits in namespace "a", the server in "b".
import { nicEnd, runOffersOption, type Lab, type VethEnd, type VtepProcess } from '../../lab/lab.js';
import type { BenchLab } from './bench-lab.js';
import type { CPrograms } from './c-programs.js';
import { runIn } from './child.js';
import { startFloor } from './floor.js';
import { ovsMissing, startOvs } from './ovs.js';

const VNI = 42;
const VXLAN_PORT = 4789;
/** The overlay MTU of the floor and OVS ends: a kernel vxlan's on a 1500-byte underlay. */
const OVERLAY_MTU = 1450;

/**
 * What terminates the tunnel at one end: the kernel's vxlan, a vxlan-tap, the C floor
 * (bench/floor/forwarder.c) or Open vSwitch's userspace datapath.
 */
export type TunnelEnd = 'kernel' | 'vxlan-tap' | 'floor' | 'ovs';

export interface Setup {
  label: string;
  /** Tunnel ends in a (client) and b (server); absent for the raw veth. */
  ends?: readonly [TunnelEnd, TunnelEnd];
  /** Extra vxlan-tap arguments. */
  vtepArgs?: readonly string[];
  /** Node's own options for the vxlan-tap processes (NODE_OPTIONS). */
  nodeOptions?: string;
  /** An option of `vxlan-tap run` that vtepArgs use: without it in the built CLI, the row is skipped. */
  needsOption?: string;
  /** The row the others are compared with ("vs k"). */
  baseline?: boolean;
  /** The row the others are also compared with ("vs f"): the C floor against the kernel vxlan. */
  floor?: boolean;
}

/** What the kernel's outer IPv4 IDs cost: a DF-clear train leaves datagram by datagram. */
const UNIQUE_IDS = ['--outer-ids', 'unique'] as const;
/** How long the busy-poll row keeps polling after a batch before it sleeps. */
const BUSY_POLL = ['--busy-poll', '50'] as const;
/** Two data-path workers, each with its own TAP queue and socket; the other rows run one (the default). */
const TWO_THREADS = ['--threads', '2'] as const;
/** Long enough that a ping's reply (tens of µs behind its request) is read without a wake-up. */
const BUSY_POLL_REPLY = ['--busy-poll', '200'] as const;
/** Node's code on 2 MB pages (docs/operations.md, "Latency: Node's code on large pages"). */
const LARGE_PAGES = '--use-largepages=silent';

// --offload is on by default; the "off" rows show the per-packet path it replaces.
export function benchSetups(): Setup[] {
  const withOffload = (offload: 'on' | 'off'): string[] => ['--offload', offload];
  const tapToTap = (io: 'native' | 'dgram', offload: 'on' | 'off', extra: readonly string[] = []): Setup => ({
    label: ['vxlan-tap <-> vxlan-tap --io', io, '--offload', offload, ...extra].join(' '),
    ends: ['vxlan-tap', 'vxlan-tap'],
    vtepArgs: ['--io', io, ...withOffload(offload), ...extra],
  });
  const tapToKernel = (offload: 'on' | 'off', extra: readonly string[] = [], nodeOptions?: string): Setup => ({
    label: [`vxlan-tap <-> kernel vxlan --offload ${offload}`, ...extra, ...(nodeOptions ? [`(node ${nodeOptions})`] : [])].join(' '),
    ends: ['vxlan-tap', 'kernel'],
    vtepArgs: [...withOffload(offload), ...extra],
    ...(nodeOptions ? { nodeOptions } : {}),
  });
  return [
    { label: 'raw veth (no tunnel)' },
    { label: 'kernel vxlan <-> kernel vxlan', ends: ['kernel', 'kernel'], baseline: true },
    { label: 'C floor <-> kernel vxlan', ends: ['floor', 'kernel'], floor: true },
    { label: 'OVS userspace (netdev) <-> kernel vxlan', ends: ['ovs', 'kernel'] },
    tapToKernel('on'),
    { ...tapToKernel('on', TWO_THREADS), needsOption: TWO_THREADS[0] },
    tapToKernel('on', [], LARGE_PAGES),
    { ...tapToKernel('on', BUSY_POLL_REPLY), needsOption: BUSY_POLL_REPLY[0] },
    // Outer IPv4 IDs unique (as the kernel) cost UDP GSO for DF-clear trains.
    { ...tapToKernel('on', UNIQUE_IDS), needsOption: UNIQUE_IDS[0] },
    tapToKernel('off'),
    tapToTap('native', 'on'),
    { ...tapToTap('native', 'on', TWO_THREADS), needsOption: TWO_THREADS[0] },
    { ...tapToTap('native', 'on', BUSY_POLL), needsOption: BUSY_POLL[0] },
    tapToTap('native', 'off'),
    tapToTap('dgram', 'on'),
    tapToTap('dgram', 'off'),
  ];
}

/** How the tunnel ends other than vxlan-tap are set up, for the report and the JSON. */
export const SETUP_NOTES: readonly string[] = [
  `C floor: bench/floor/forwarder.c built with cc -O2; a TAP without offloads (IFF_TAP | IFF_NO_PI, MTU ${OVERLAY_MTU}), one unconnected ` +
    'UDP socket, poll(), one read/sendto or recv/write per packet, one peer.',
  'OVS: ovs-vswitchd and ovsdb-server inside the namespace with private db/run/log files; bridge br-phy (datapath_type=netdev) ' +
    `holds the underlay veth (AF_PACKET) and address, bridge br-int (netdev, MTU ${OVERLAY_MTU}) the overlay address and a vxlan port ` +
    `(remote_ip, key ${VNI}, dst_port ${VXLAN_PORT}); userspace TSO off (the default).`,
  `Every tunnel: VNI ${VNI}, UDP port ${VXLAN_PORT}, one peer; kernel vxlan: ip link add ... type vxlan remote <peer> local <self> dev ul0.`,
];

/** Why `setup` cannot be measured with what is installed, or undefined when it can. */
export function unavailable(setup: Setup): string | undefined {
  if (setup.needsOption !== undefined && !runOffersOption(setup.needsOption)) {
    return `the built vxlan-tap has no ${setup.needsOption} option (not in \`vxlan-tap run --help\`)`;
  }
  return setup.ends?.includes('ovs') ? ovsMissing() : undefined;
}

/**
 * The underlay veth's two ends, alike for every setup: as NICs would be (lab's nicEnd). A
 * kernel vxlan's end completes checksums (tx off) where its peer is the C floor or OVS,
 * which pass inner checksums on as they are (OVS drops what it gets unfinished);
 * vxlan-tap completes what a kernel VTEP left unfinished, so its kernel peer keeps tx on.
 */
export function vethEnds(setup: Setup): [VethEnd, VethEnd] {
  const [a, b] = setup.ends ?? [];
  const needsFinishedChecksums = (end: TunnelEnd | undefined): boolean => end === 'floor' || end === 'ovs';
  return [nicEnd(a === 'kernel' && needsFinishedChecksums(b)), nicEnd(b === 'kernel' && needsFinishedChecksums(a))];
}

export interface RunningVtep {
  /** "a" (client side) or "b" (server side). */
  side: string;
  process: VtepProcess;
}

export interface Endpoints {
  client: string;
  server: string;
  serverAddress: string;
  vteps: RunningVtep[];
  /** Every userspace tunnel end's process (vxlan-tap, the C floor, ovs-vswitchd), for its CPU time. */
  pids: number[];
}

const SIDES = [
  { name: 'a', underlay: '198.51.100.1', overlay: '192.0.2.1' },
  { name: 'b', underlay: '198.51.100.2', overlay: '192.0.2.2' },
] as const;
const REACHABLE_ATTEMPTS = 10;

/**
 * Builds `setup` and resolves as soon as its last tunnel end is ready, before any packet
 * crossed it: the cold-start window starts there (untilReachable() comes after it).
 */
export async function buildSetup(lab: BenchLab, setup: Setup, programs: CPrograms): Promise<Endpoints> {
  const namespaces = SIDES.map((side) => lab.namespace(side.name));
  lab.link(namespaces[0]!, `${SIDES[0].underlay}/24`, namespaces[1]!, `${SIDES[1].underlay}/24`, { ends: vethEnds(setup) });
  const vteps: RunningVtep[] = [];
  const pids: number[] = [];
  for (const [i, end] of (setup.ends ?? []).entries()) {
    const ns = namespaces[i]!;
    const self = SIDES[i]!;
    const peer = SIDES[1 - i]!;
    const address = `${self.overlay}/24`;
    if (end === 'kernel') {
      lab.kernelVxlan(ns, { vni: VNI, port: VXLAN_PORT, remote: peer.underlay, local: self.underlay, dev: 'ul0', address });
    } else if (end === 'floor') {
      pids.push(await startFloor(lab, ns, programs.forwarder, { tap: 'floor0', local: self.underlay, peer: peer.underlay, vni: VNI, address, mtu: OVERLAY_MTU }));
    } else if (end === 'ovs') {
      const underlay = `${self.underlay}/24`;
      pids.push(await startOvs(lab, ns, { underlayDev: 'ul0', underlay, remote: peer.underlay, vni: VNI, port: VXLAN_PORT, overlay: address, mtu: OVERLAY_MTU }));
    } else {
      // A stats line every second shows heap size and GC count during the transfer.
      const args = ['--vni', String(VNI), '--peer', peer.underlay, '--tap', 'vxtap0', '--address', address, '--stats-interval', '1'];
      const runner = setup.nodeOptions === undefined ? [] : ['env', `NODE_OPTIONS=${setup.nodeOptions}`];
      const vtep = { side: self.name, process: await lab.vtepVia(ns, runner, ...args, ...(setup.vtepArgs ?? [])) };
      vteps.push(vtep);
      pids.push(vtep.process.child.pid!);
    }
  }
  return {
    client: namespaces[0]!,
    server: namespaces[1]!,
    serverAddress: setup.ends ? SIDES[1].overlay : SIDES[1].underlay,
    vteps,
    pids,
  };
}

/** ARP and MAC learning settle before anything else is timed. */
export async function untilReachable(lab: Lab, { client, serverAddress }: Endpoints): Promise<void> {
  for (let attempt = 0; attempt < REACHABLE_ATTEMPTS; attempt++) {
    const reply = await runIn(lab, client, 3_000, 'ping', '-c', '1', '-W', '1', serverAddress);
    if (reply.code === 0) return;
  }
  throw new Error(`${serverAddress} is not reachable from ${client}`);
}
