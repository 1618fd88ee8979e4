// `vxlan-tap check`, the pure part: what the probes found (and the /proc text they read)
// turned into findings, a recommendation and an exit code. No I/O here; see check.ts.

import { DEFAULT_MTU } from '../config/vtep-config.js';
import { ENCAP_OVERHEAD, MIN_MTU } from '../wire/vxlan.js';

export const TUN_PATH = '/dev/net/tun';

const OVERHEAD = { ipv4: ENCAP_OVERHEAD[4], ipv6: ENCAP_OVERHEAD[6] } as const;

const CAP_NET_ADMIN = 12n;

/** Creating a vxlan device in a throwaway namespace. */
export type KernelVxlanProbe =
  | { status: 'created' }
  | { status: 'refused'; reason: string } // no driver: "Unknown device type"
  | { status: 'unchecked'; reason: string }; // not root, no `ip`, no namespace, not permitted

export type TunProbe =
  | { status: 'present' }
  | { status: 'missing' }
  | { status: 'not-a-character-device' }
  | { status: 'unusable'; reason: string }; // there, but opening it failed

/** CapEff from /proc/self/status, or why it could not be read. */
export type CapabilityProbe = { capEff: bigint } | { unreadable: string };

export type UnderlayProbe =
  | { source: 'dev'; device: string; mtu: number }
  | { source: 'ipv4-default-route' | 'ipv6-default-route'; device: string; mtu: number | undefined }
  | { source: 'none' };

export interface Probes {
  kernelVxlan: KernelVxlanProbe;
  tun: TunProbe;
  capabilities: CapabilityProbe;
  underlay: UnderlayProbe;
}

export type IoMode = 'native' | 'dgram';
type Family = 'ipv4' | 'ipv6';

export interface CheckReport {
  kernelVxlan: { status: 'yes' | 'no' | 'unknown'; detail: string };
  tun: { path: string; status: TunProbe['status']; detail: string };
  capabilities: { netAdmin: boolean | null; io: IoMode[]; detail: string };
  underlay: { device: string | null; mtu: number | null; source: UnderlayProbe['source']; detail: string };
  /** Underlay MTU - 50 (IPv4) / - 70 (IPv6): both for --dev, the route's family for a default route. */
  overlayMtu: { ipv4?: number; ipv6?: number } | null;
  recommendation: { use: 'kernel-vxlan' | 'vxlan-tap' | 'nothing'; reason: string };
  /** What vxlan-tap lacks here; empty when it can run. */
  missing: string[];
  /** /dev/net/tun usable and CAP_NET_ADMIN: what the exit code says. */
  vxlanTapCanRun: boolean;
  exitCode: 0 | 1;
}

// --- parsers for what the probes read -------------------------------------------------

/** The effective capability set from the text of /proc/<pid>/status. */
export function parseCapEff(status: string): bigint | undefined {
  const hex = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status)?.[1];
  return hex === undefined ? undefined : BigInt(`0x${hex}`);
}

export function hasCapability(capEff: bigint, bit: bigint): boolean {
  return ((capEff >> bit) & 1n) === 1n;
}

const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

/**
 * The device of the IPv4 default route (destination and mask 0, up, not a reject
 * route) with the lowest metric, from the text of /proc/net/route.
 */
export function parseIpv4DefaultRoute(text: string): string | undefined {
  let best: { device: string; metric: number } | undefined;
  for (const line of text.split('\n').slice(1)) {
    const [device, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (device === undefined || mask === undefined || device === '*') continue;
    const flagBits = parseInt(flags!, 16);
    if (parseInt(destination!, 16) !== 0 || parseInt(mask, 16) !== 0) continue;
    if (!(flagBits & RTF_UP) || flagBits & RTF_REJECT) continue;
    const m = Number(metric);
    if (best === undefined || m < best.metric) best = { device, metric: m };
  }
  return best?.device;
}

/**
 * The device of the IPv6 default route (::/0, up, not a reject route such as the
 * kernel's unreachable default on lo) with the lowest metric, from /proc/net/ipv6_route.
 */
export function parseIpv6DefaultRoute(text: string): string | undefined {
  let best: { device: string; metric: number } | undefined;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [destination, prefixLength, , , , metric, , , flags, device] = fields;
    if (!/^0+$/.test(destination!) || parseInt(prefixLength!, 16) !== 0) continue;
    const flagBits = parseInt(flags!, 16);
    if (!(flagBits & RTF_UP) || flagBits & RTF_REJECT) continue;
    const m = parseInt(metric!, 16);
    if (best === undefined || m < best.metric) best = { device: device!, metric: m };
  }
  return best?.device;
}

// --- findings ---------------------------------------------------------------------------

function kernelFinding(probe: KernelVxlanProbe): CheckReport['kernelVxlan'] {
  switch (probe.status) {
    case 'created':
      return { status: 'yes', detail: 'a vxlan device was created in a throwaway network namespace' };
    case 'refused':
      return { status: 'no', detail: `the kernel refused to create a vxlan device: ${probe.reason}` };
    case 'unchecked':
      return { status: 'unknown', detail: `not checked: ${probe.reason}` };
  }
}

function tunFinding(probe: TunProbe): CheckReport['tun'] {
  const detail =
    probe.status === 'present'
      ? 'present (character device)'
      : probe.status === 'missing'
        ? 'missing (load the tun module: modprobe tun)'
        : probe.status === 'not-a-character-device'
          ? 'not a character device'
          : `present but cannot be opened: ${probe.reason}`;
  return { path: TUN_PATH, status: probe.status, detail };
}

function capabilityFinding(probe: CapabilityProbe): CheckReport['capabilities'] {
  if ('unreadable' in probe) {
    return { netAdmin: null, io: [], detail: `unknown: cannot read CapEff from /proc/self/status (${probe.unreadable})` };
  }
  // Both I/O modes use plain UDP sockets; the TAP device is what needs the capability.
  const netAdmin = hasCapability(probe.capEff, CAP_NET_ADMIN);
  const io: IoMode[] = netAdmin ? ['native', 'dgram'] : [];
  const detail = netAdmin ? 'CAP_NET_ADMIN yes: --io native and --io dgram can run' : 'CAP_NET_ADMIN no: vxlan-tap needs it';
  return { netAdmin, io, detail };
}

function underlayFinding(probe: UnderlayProbe): Pick<CheckReport, 'underlay' | 'overlayMtu'> {
  if (probe.source === 'none') {
    return { underlay: { device: null, mtu: null, source: 'none', detail: 'unknown: no default route (give --dev <ifname>)' }, overlayMtu: null };
  }
  const where = probe.source === 'dev' ? 'from --dev' : `the ${probe.source === 'ipv4-default-route' ? 'IPv4' : 'IPv6'} default route`;
  if (probe.mtu === undefined) {
    return {
      underlay: { device: probe.device, mtu: null, source: probe.source, detail: `unknown (${probe.device}, ${where}: its MTU cannot be read)` },
      overlayMtu: null,
    };
  }
  // An explicit device may carry either family; a default route has its own.
  const families: Family[] = probe.source === 'dev' ? ['ipv4', 'ipv6'] : probe.source === 'ipv4-default-route' ? ['ipv4'] : ['ipv6'];
  const overlayMtu: { ipv4?: number; ipv6?: number } = {};
  for (const family of families) overlayMtu[family] = probe.mtu - OVERHEAD[family];
  return { underlay: { device: probe.device, mtu: probe.mtu, source: probe.source, detail: `${probe.mtu} (${probe.device}, ${where})` }, overlayMtu };
}

/** What vxlan-tap lacks here, in words; empty when it can run. */
function missingForVxlanTap(tun: TunProbe, caps: CheckReport['capabilities']): string[] {
  const missing: string[] = [];
  if (tun.status === 'missing') missing.push(`${TUN_PATH} (load the tun module: modprobe tun)`);
  if (tun.status === 'not-a-character-device') missing.push(`${TUN_PATH} to be a character device`);
  if (tun.status === 'unusable') missing.push(`a usable ${TUN_PATH} (${tun.reason})`);
  if (caps.netAdmin === null) missing.push('CAP_NET_ADMIN (the capabilities could not be read)');
  else if (!caps.netAdmin) missing.push('CAP_NET_ADMIN (run as root, or grant it)');
  return missing;
}

function recommend(kernel: KernelVxlanProbe, missing: string[]): CheckReport['recommendation'] {
  const needs = `it needs ${missing.join(' and ')}`;
  switch (kernel.status) {
    case 'created':
      return {
        use: 'kernel-vxlan',
        reason:
          "the kernel's vxlan (ip link add ... type vxlan): this kernel can create it, and it forwards in the kernel, " +
          `faster than a userspace VTEP; ${missing.length === 0 ? 'vxlan-tap can run here too' : `vxlan-tap could not run here: ${needs}`}`,
      };
    case 'refused':
      return missing.length === 0
        ? { use: 'vxlan-tap', reason: `vxlan-tap with --io native: this kernel cannot create a vxlan device, and ${TUN_PATH} and CAP_NET_ADMIN are here` }
        : { use: 'nothing', reason: `neither can run here: this kernel cannot create a vxlan device, and for vxlan-tap ${needs}` };
    case 'unchecked':
      return missing.length === 0
        ? {
            use: 'vxlan-tap',
            reason:
              `vxlan-tap with --io native: it can run here; whether the kernel's vxlan (faster, in-kernel) can be created ` +
              `was not checked (${kernel.reason})`,
          }
        : {
            use: 'nothing',
            reason: `vxlan-tap cannot run here: ${needs}; whether the kernel's vxlan can be created was not checked (${kernel.reason})`,
          };
  }
}

export function buildReport(probes: Probes): CheckReport {
  const capabilities = capabilityFinding(probes.capabilities);
  const missing = missingForVxlanTap(probes.tun, capabilities);
  return {
    kernelVxlan: kernelFinding(probes.kernelVxlan),
    tun: tunFinding(probes.tun),
    capabilities,
    ...underlayFinding(probes.underlay),
    recommendation: recommend(probes.kernelVxlan, missing),
    missing,
    vxlanTapCanRun: missing.length === 0,
    exitCode: missing.length === 0 ? 0 : 1,
  };
}

// --- output -------------------------------------------------------------------------------

function overlayText(report: CheckReport): string {
  const { overlayMtu, underlay } = report;
  if (overlayMtu === null) {
    return underlay.source === 'none' ? `unknown (without --dev, vxlan-tap uses ${DEFAULT_MTU[4]} over IPv4, ${DEFAULT_MTU[6]} over IPv6)` : 'unknown';
  }
  return (['ipv4', 'ipv6'] as const)
    .filter((family) => overlayMtu[family] !== undefined)
    .map((family) => {
      const mtu = overlayMtu[family]!;
      const low = mtu < MIN_MTU ? `; below the minimum ${MIN_MTU}` : '';
      return `${mtu} over ${family === 'ipv4' ? 'IPv4' : 'IPv6'} (${underlay.mtu} - ${OVERHEAD[family]}${low})`;
    })
    .join(', ');
}

/** The report as printed: one line per finding. */
export function formatText(report: CheckReport): string {
  const lines: [string, string][] = [
    ['kernel vxlan', `${report.kernelVxlan.status} (${report.kernelVxlan.detail})`],
    [report.tun.path, report.tun.detail],
    ['capabilities', report.capabilities.detail],
    ['underlay MTU', report.underlay.detail],
    ['overlay MTU', overlayText(report)],
    ['recommendation', report.recommendation.reason],
  ];
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  return lines.map(([label, text]) => `${`${label}:`.padEnd(width)}${text}\n`).join('');
}

/** The report as --json prints it: one object with the same facts. */
export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
