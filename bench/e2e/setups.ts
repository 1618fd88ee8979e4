// The setups the end-to-end benchmark compares, as data, and the one function that builds
// any of them: two namespaces joined by a veth pair, with a kernel vxlan, a vxlan-tap or
// nothing at each end. The client sits in namespace "a", the server in "b".
import { nicEnd, type Lab, type VethEnd, type VtepProcess } from '../../lab/lab.js';
import { runIn } from './child.js';

export type TunnelEnd = 'kernel' | 'vxlan-tap';

export interface Setup {
  label: string;
  /** Tunnel ends in a (client) and b (server); absent for the raw veth. */
  ends?: readonly [TunnelEnd, TunnelEnd];
  /** Extra vxlan-tap arguments. */
  vtepArgs?: readonly string[];
  /** An option of `vxlan-tap run` that vtepArgs use: without it in the built CLI, the row is skipped. */
  needsOption?: string;
  /** The row the others are compared with. */
  baseline?: boolean;
}

/** How long the busy-poll row keeps polling after a batch before it sleeps. */
const BUSY_POLL = ['--busy-poll', '50'] as const;

// --offload is on by default; the "off" rows show the per-packet path it replaces.
export function benchSetups(): Setup[] {
  const withOffload = (offload: 'on' | 'off'): string[] => ['--offload', offload];
  const tapToTap = (io: 'native' | 'dgram', offload: 'on' | 'off', extra: readonly string[] = []): Setup => ({
    label: ['vxlan-tap <-> vxlan-tap --io', io, '--offload', offload, ...extra].join(' '),
    ends: ['vxlan-tap', 'vxlan-tap'],
    vtepArgs: ['--io', io, ...withOffload(offload), ...extra],
  });
  const tapToKernel = (offload: 'on' | 'off'): Setup => ({
    label: `vxlan-tap <-> kernel vxlan --offload ${offload}`,
    ends: ['vxlan-tap', 'kernel'],
    vtepArgs: withOffload(offload),
  });
  return [
    { label: 'raw veth (no tunnel)' },
    { label: 'kernel vxlan <-> kernel vxlan', ends: ['kernel', 'kernel'], baseline: true },
    tapToKernel('on'),
    tapToKernel('off'),
    tapToTap('native', 'on'),
    { ...tapToTap('native', 'on', BUSY_POLL), needsOption: BUSY_POLL[0] },
    tapToTap('native', 'off'),
    tapToTap('dgram', 'on'),
    tapToTap('dgram', 'off'),
  ];
}

/** The underlay veth's two ends, alike for every setup: as NICs would be (lab's nicEnd). */
export function vethEnds(setup: Setup): [VethEnd, VethEnd] {
  const [a, b] = setup.ends ?? [];
  return [nicEnd(a === 'kernel' && b === 'vxlan-tap'), nicEnd(b === 'kernel' && a === 'vxlan-tap')];
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
}

const VNI = 42;
const SIDES = [
  { name: 'a', underlay: '198.51.100.1', overlay: '192.0.2.1' },
  { name: 'b', underlay: '198.51.100.2', overlay: '192.0.2.2' },
] as const;
const REACHABLE_ATTEMPTS = 10;

export async function buildSetup(lab: Lab, setup: Setup): Promise<Endpoints> {
  const namespaces = SIDES.map((side) => lab.namespace(side.name));
  lab.link(namespaces[0]!, `${SIDES[0].underlay}/24`, namespaces[1]!, `${SIDES[1].underlay}/24`, { ends: vethEnds(setup) });
  const vteps: RunningVtep[] = [];
  for (const [i, end] of (setup.ends ?? []).entries()) {
    const ns = namespaces[i]!;
    const self = SIDES[i]!;
    const peer = SIDES[1 - i]!;
    if (end === 'kernel') {
      lab.kernelVxlan(ns, { vni: VNI, remote: peer.underlay, local: self.underlay, dev: 'ul0', address: `${self.overlay}/24` });
    } else {
      // A stats line every second shows heap size and GC count during the transfer.
      const args = ['--vni', String(VNI), '--peer', peer.underlay, '--tap', 'vxtap0', '--address', `${self.overlay}/24`, '--stats-interval', '1'];
      vteps.push({ side: self.name, process: await lab.vtep(ns, ...args, ...(setup.vtepArgs ?? [])) });
    }
  }
  const endpoints: Endpoints = {
    client: namespaces[0]!,
    server: namespaces[1]!,
    serverAddress: setup.ends ? SIDES[1].overlay : SIDES[1].underlay,
    vteps,
  };
  await untilReachable(lab, endpoints);
  return endpoints;
}

/** ARP and MAC learning settle before anything is timed. */
async function untilReachable(lab: Lab, { client, serverAddress }: Endpoints): Promise<void> {
  for (let attempt = 0; attempt < REACHABLE_ATTEMPTS; attempt++) {
    const reply = await runIn(lab, client, 3_000, 'ping', '-c', '1', '-W', '1', serverAddress);
    if (reply.code === 0) return;
  }
  throw new Error(`${serverAddress} is not reachable from ${client}`);
}
