import { describe, expect, it } from 'vitest';
import {
  buildReport,
  formatJson,
  formatText,
  parseCapEff,
  parseIpv4DefaultRoute,
  parseIpv6DefaultRoute,
  type CapabilityProbe,
  type KernelVxlanProbe,
  type Probes,
  type TunProbe,
} from '../../src/cli/check-report.js';

const NET_ADMIN = 1n << 12n;
const NET_RAW = 1n << 13n;

const KERNEL: Record<string, KernelVxlanProbe> = {
  created: { status: 'created' },
  refused: { status: 'refused', reason: 'Error: Unknown device type.' },
  unchecked: { status: 'unchecked', reason: 'needs root, to create a throwaway network namespace' },
};
const TUN: Record<string, TunProbe> = {
  present: { status: 'present' },
  missing: { status: 'missing' },
  notChar: { status: 'not-a-character-device' },
  unusable: { status: 'unusable', reason: 'EACCES: permission denied' },
};
const CAPS: Record<string, CapabilityProbe> = {
  both: { capEff: NET_ADMIN | NET_RAW },
  adminOnly: { capEff: NET_ADMIN },
  rawOnly: { capEff: NET_RAW },
  none: { capEff: 0n },
  allButThem: { capEff: 0x1ffffffffffn & ~(NET_ADMIN | NET_RAW) }, // root with both dropped
  unreadable: { unreadable: 'ENOENT' },
};

const probes = (kernel: string, tun: string, caps: string, underlay: Probes['underlay'] = { source: 'none' }): Probes => ({
  kernelVxlan: KERNEL[kernel]!,
  tun: TUN[tun]!,
  capabilities: CAPS[caps]!,
  underlay,
});

describe('parseCapEff', () => {
  it('reads the effective set, not the others', () => {
    const status = 'Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\n';
    expect(parseCapEff(status)).toBe(0x3000n);
  });
  it('reads a full root set', () => {
    expect(parseCapEff('CapEff:\t000001fffeffffff\n')).toBe(0x1fffeffffffn);
  });
  it('is undefined without a CapEff line', () => {
    expect(parseCapEff('Name:\tnode\nCapPrm:\t0000000000003000\n')).toBeUndefined();
  });
});

describe('parseIpv4DefaultRoute', () => {
  const header = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
  it('finds the device of 0.0.0.0/0', () => {
    const text = `${header}eth1\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n`;
    expect(parseIpv4DefaultRoute(text)).toBe('eth0');
  });
  it('takes the lowest metric of several defaults', () => {
    const text = `${header}wlan0\t00000000\t010200C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\neth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n`;
    expect(parseIpv4DefaultRoute(text)).toBe('eth0');
  });
  it('ignores a destination 0 with a non-zero mask, routes that are down, and reject routes', () => {
    const text =
      `${header}eth2\t00000000\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n` +
      `eth3\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n` +
      `eth4\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n`;
    expect(parseIpv4DefaultRoute(text)).toBeUndefined();
  });
  it('is undefined for an empty table', () => {
    expect(parseIpv4DefaultRoute(header)).toBeUndefined();
    expect(parseIpv4DefaultRoute('')).toBeUndefined();
  });
});

describe('parseIpv6DefaultRoute', () => {
  const zero = '0'.repeat(32);
  const line = (dest: string, plen: string, metric: string, flags: string, dev: string): string =>
    `${dest} ${plen} ${zero} 00 ${zero} ${metric} 00000001 00000000 ${flags} ${dev}\n`;
  const unreachableOnLo = line(zero, '00', 'ffffffff', '00200200', 'lo'); // the kernel's own reject route
  it('finds the device of ::/0 and skips the unreachable default on lo', () => {
    const text = line('fd00'.padEnd(32, '0'), '40', '00000100', '00000001', 'eth0') + line(zero, '00', '00000400', '00000003', 'eth0') + unreachableOnLo;
    expect(parseIpv6DefaultRoute(text)).toBe('eth0');
  });
  it('takes the lowest metric (hexadecimal) of several defaults', () => {
    const text = line(zero, '00', '00000400', '00000003', 'eth0') + line(zero, '00', '000000ff', '00000003', 'eth1');
    expect(parseIpv6DefaultRoute(text)).toBe('eth1');
  });
  it('is undefined when only reject routes are there', () => {
    expect(parseIpv6DefaultRoute(unreachableOnLo)).toBeUndefined();
    // `ip -6 route add unreachable default` as the kernel lists it, and a reject route flagged up
    expect(parseIpv6DefaultRoute(line(zero, '00', '00000400', '00200200', 'lo'))).toBeUndefined();
    expect(parseIpv6DefaultRoute(line(zero, '00', '00000400', '00000201', 'eth0'))).toBeUndefined();
  });
});

describe('buildReport: recommendation and exit code', () => {
  // Every combination: vxlan-tap runs with a usable /dev/net/tun and CAP_NET_ADMIN (exit 0);
  // the kernel's vxlan is recommended whenever it could be created.
  const combos = Object.keys(KERNEL).flatMap((k) => Object.keys(TUN).flatMap((t) => Object.keys(CAPS).map((c) => [k, t, c] as const)));
  it.each(combos)('kernel %s, tun %s, caps %s', (kernel, tun, caps) => {
    const report = buildReport(probes(kernel, tun, caps));
    const canRun = tun === 'present' && (caps === 'both' || caps === 'adminOnly');
    expect(report.vxlanTapCanRun).toBe(canRun);
    expect(report.exitCode).toBe(canRun ? 0 : 1);
    expect(report.recommendation.use).toBe(kernel === 'created' ? 'kernel-vxlan' : canRun ? 'vxlan-tap' : 'nothing');
    expect(report.missing.length === 0).toBe(canRun);
    if (tun !== 'present') expect(report.recommendation.reason).toContain('/dev/net/tun');
    if (!canRun && tun === 'present') expect(report.recommendation.reason).toContain('CAP_NET_ADMIN');
    if (kernel === 'unchecked') expect(report.recommendation.reason).toContain('not checked (needs root');
  });

  it('kernel vxlan available, vxlan-tap able too: the kernel, because it is faster', () => {
    const report = buildReport(probes('created', 'present', 'both'));
    expect(report.recommendation).toEqual({
      use: 'kernel-vxlan',
      reason:
        "the kernel's vxlan (ip link add ... type vxlan): this kernel can create it, and it forwards in the kernel, faster than a userspace VTEP; vxlan-tap can run here too",
    });
    expect(report.exitCode).toBe(0);
  });

  it('kernel vxlan available, no tun: the kernel, and why vxlan-tap could not run (exit 1)', () => {
    const report = buildReport(probes('created', 'missing', 'both'));
    expect(report.recommendation.use).toBe('kernel-vxlan');
    expect(report.recommendation.reason).toMatch(/vxlan-tap could not run here: it needs \/dev\/net\/tun \(load the tun module: modprobe tun\)$/);
    expect(report.exitCode).toBe(1);
  });

  it('no kernel vxlan, tun and both capabilities: vxlan-tap with --io native', () => {
    const report = buildReport(probes('refused', 'present', 'both'));
    expect(report.recommendation).toEqual({
      use: 'vxlan-tap',
      reason: 'vxlan-tap with --io native: this kernel cannot create a vxlan device, and /dev/net/tun and CAP_NET_ADMIN are here',
    });
    expect(report.exitCode).toBe(0);
  });

  it('no kernel vxlan, NET_ADMIN without NET_RAW: vxlan-tap with --io native (plain UDP sockets need no NET_RAW)', () => {
    const report = buildReport(probes('refused', 'present', 'adminOnly'));
    expect(report.recommendation.use).toBe('vxlan-tap');
    expect(report.recommendation.reason).toMatch(/^vxlan-tap with --io native: /);
    expect(report.capabilities.io).toEqual(['native', 'dgram']);
    expect(report.exitCode).toBe(0);
  });

  it('no kernel vxlan, no tun, no NET_ADMIN: neither, naming both things missing', () => {
    const report = buildReport(probes('refused', 'missing', 'rawOnly'));
    expect(report.recommendation).toEqual({
      use: 'nothing',
      reason:
        'neither can run here: this kernel cannot create a vxlan device, and for vxlan-tap it needs /dev/net/tun (load the tun module: modprobe tun) and CAP_NET_ADMIN (run as root, or grant it)',
    });
    expect(report.exitCode).toBe(1);
  });

  it('not root, no capabilities: vxlan-tap cannot run, the kernel was not checked', () => {
    const report = buildReport(probes('unchecked', 'present', 'none'));
    expect(report.kernelVxlan).toEqual({ status: 'unknown', detail: 'not checked: needs root, to create a throwaway network namespace' });
    expect(report.recommendation.use).toBe('nothing');
    expect(report.recommendation.reason).toBe(
      'vxlan-tap cannot run here: it needs CAP_NET_ADMIN (run as root, or grant it); ' +
        "whether the kernel's vxlan can be created was not checked (needs root, to create a throwaway network namespace)",
    );
    expect(report.exitCode).toBe(1);
  });

  it('not root but granted the capabilities: vxlan-tap, the kernel unchecked', () => {
    const report = buildReport(probes('unchecked', 'present', 'both'));
    expect(report.recommendation.use).toBe('vxlan-tap');
    expect(report.recommendation.reason).toMatch(/^vxlan-tap with --io native: it can run here; whether the kernel's vxlan \(faster, in-kernel\) can be created was not checked/);
    expect(report.exitCode).toBe(0);
  });

  it('root with NET_ADMIN and NET_RAW dropped cannot run vxlan-tap', () => {
    const report = buildReport(probes('refused', 'present', 'allButThem'));
    expect(report.capabilities).toMatchObject({ netAdmin: false, io: [] });
    expect(report.exitCode).toBe(1);
  });

  it('unreadable capabilities count as missing', () => {
    const report = buildReport(probes('refused', 'present', 'unreadable'));
    expect(report.capabilities).toMatchObject({ netAdmin: null, io: [] });
    expect(report.missing).toEqual(['CAP_NET_ADMIN (the capabilities could not be read)']);
    expect(report.exitCode).toBe(1);
  });

  it('a /dev/net/tun that cannot be opened is named with the reason', () => {
    const report = buildReport(probes('refused', 'unusable', 'both'));
    expect(report.tun.detail).toBe('present but cannot be opened: EACCES: permission denied');
    expect(report.missing).toEqual(['a usable /dev/net/tun (EACCES: permission denied)']);
  });
});

describe('buildReport: MTUs', () => {
  it('IPv4 default route: underlay MTU and overlay = MTU - 50', () => {
    const report = buildReport(probes('created', 'present', 'both', { source: 'ipv4-default-route', device: 'eth0', mtu: 1500 }));
    expect(report.underlay).toEqual({ device: 'eth0', mtu: 1500, source: 'ipv4-default-route', detail: '1500 (eth0, the IPv4 default route)' });
    expect(report.overlayMtu).toEqual({ ipv4: 1450 });
  });

  it('IPv6 default route: overlay = MTU - 70', () => {
    const report = buildReport(probes('created', 'present', 'both', { source: 'ipv6-default-route', device: 'eth0', mtu: 9000 }));
    expect(report.overlayMtu).toEqual({ ipv6: 8930 });
    expect(formatText(report)).toMatch(/^overlay MTU: +8930 over IPv6 \(9000 - 70\)$/m);
  });

  it('--dev: both families, the device named', () => {
    const report = buildReport(probes('created', 'present', 'both', { source: 'dev', device: 'lo', mtu: 65536 }));
    expect(report.overlayMtu).toEqual({ ipv4: 65486, ipv6: 65466 });
    const text = formatText(report);
    expect(text).toMatch(/^underlay MTU: +65536 \(lo, from --dev\)$/m);
    expect(text).toMatch(/^overlay MTU: +65486 over IPv4 \(65536 - 50\), 65466 over IPv6 \(65536 - 70\)$/m);
  });

  it('no default route: says so, overlay unknown', () => {
    const report = buildReport(probes('created', 'present', 'both'));
    expect(report.underlay).toMatchObject({ device: null, mtu: null, source: 'none' });
    expect(report.overlayMtu).toBeNull();
    expect(formatText(report)).toMatch(/^underlay MTU: +unknown: no default route \(give --dev <ifname>\)$/m);
  });

  it('a default route device whose MTU cannot be read', () => {
    const report = buildReport(probes('created', 'present', 'both', { source: 'ipv4-default-route', device: 'eth9', mtu: undefined }));
    expect(report.underlay.mtu).toBeNull();
    expect(report.overlayMtu).toBeNull();
  });

  it('an underlay too small for an overlay is flagged', () => {
    const report = buildReport(probes('created', 'present', 'both', { source: 'ipv4-default-route', device: 'sl0', mtu: 100 }));
    expect(report.overlayMtu).toEqual({ ipv4: 50 });
    expect(formatText(report)).toMatch(/50 over IPv4 \(100 - 50; below the minimum 68\)/);
  });
});

describe('formatText and formatJson', () => {
  const report = buildReport(probes('created', 'present', 'both', { source: 'ipv4-default-route', device: 'eth0', mtu: 1500 }));

  it('prints one aligned line per finding', () => {
    expect(formatText(report)).toBe(
      [
        "kernel vxlan:   yes (a vxlan device was created in a throwaway network namespace)",
        '/dev/net/tun:   present (character device)',
        'capabilities:   CAP_NET_ADMIN yes: --io native and --io dgram can run',
        'underlay MTU:   1500 (eth0, the IPv4 default route)',
        'overlay MTU:    1450 over IPv4 (1500 - 50)',
        "recommendation: the kernel's vxlan (ip link add ... type vxlan): this kernel can create it, and it forwards in the kernel, faster than a userspace VTEP; vxlan-tap can run here too",
        '',
      ].join('\n'),
    );
  });

  it('prints one JSON object with the same facts', () => {
    const json = formatJson(report);
    expect(json.endsWith('}\n')).toBe(true);
    expect(JSON.parse(json)).toEqual({
      kernelVxlan: { status: 'yes', detail: 'a vxlan device was created in a throwaway network namespace' },
      tun: { path: '/dev/net/tun', status: 'present', detail: 'present (character device)' },
      capabilities: { netAdmin: true, io: ['native', 'dgram'], detail: 'CAP_NET_ADMIN yes: --io native and --io dgram can run' },
      underlay: { device: 'eth0', mtu: 1500, source: 'ipv4-default-route', detail: '1500 (eth0, the IPv4 default route)' },
      overlayMtu: { ipv4: 1450 },
      recommendation: report.recommendation,
      missing: [],
      vxlanTapCanRun: true,
      exitCode: 0,
    });
  });
});
