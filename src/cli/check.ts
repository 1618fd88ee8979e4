// `vxlan-tap check`: can this machine run a VTEP, the kernel's or ours? The probes (I/O)
// live here; turning their results into findings and a recommendation is check-report.ts.
import { closeSync, constants, openSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../config/errors.js';
import { parseInterfaceName } from '../config/parse.js';
import { deviceMtu } from '../config/system.js';
import {
  buildReport,
  formatJson,
  formatText,
  parseCapEff,
  parseIpv4DefaultRoute,
  parseIpv6DefaultRoute,
  TUN_PATH,
  type CapabilityProbe,
  type KernelVxlanProbe,
  type TunProbe,
  type UnderlayProbe,
} from './check-report.js';
import { examples } from './help-text.js';

import { runCommand as run } from '../ops/run-command.js';
const IP_TIMEOUT_MS = 10_000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

interface CheckOptions {
  dev?: string;
  json?: boolean;
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; stderr?: unknown; message?: unknown };
  const stderr = typeof e.stderr === 'string' ? e.stderr.trim().split('\n')[0] : '';
  return stderr || String(e.message ?? err);
}

/**
 * Creates a vxlan device in a fresh namespace of its own, then deletes the namespace,
 * whatever happened. A signal arriving meanwhile is held until the namespace is gone.
 */
async function probeKernelVxlan(): Promise<KernelVxlanProbe> {
  if (process.getuid?.() !== 0) return { status: 'unchecked', reason: 'needs root, to create a throwaway network namespace' };
  const ns = `vxt-check-${process.pid}`;
  let held: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals): void => void (held ??= signal);
  for (const signal of SIGNALS) process.on(signal, hold);
  try {
    try {
      await run('ip', ['netns', 'add', ns], { timeout: IP_TIMEOUT_MS });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return { status: 'unchecked', reason: 'the ip command (iproute2) is not installed' };
      return { status: 'unchecked', reason: `cannot create a network namespace: ${errorText(err)}` };
    }
    try {
      await run('ip', ['-n', ns, 'link', 'add', 'vxchk', 'type', 'vxlan', 'id', '1', 'dstport', '4789'], { timeout: IP_TIMEOUT_MS });
      return { status: 'created' };
    } catch (err) {
      const reason = errorText(err);
      // Only a kernel without the driver answers this way; anything else proves nothing.
      if (/unknown device type|not supported/i.test(reason)) return { status: 'refused', reason };
      if (/not permitted/i.test(reason)) return { status: 'unchecked', reason: `creating a device is not permitted (needs CAP_NET_ADMIN): ${reason}` };
      return { status: 'unchecked', reason: `creating a vxlan device failed: ${reason}` };
    } finally {
      await run('ip', ['netns', 'del', ns], { timeout: IP_TIMEOUT_MS }).catch(() => {});
    }
  } finally {
    await new Promise((resolve) => setImmediate(resolve)); // let a pending signal reach `hold`
    for (const signal of SIGNALS) process.off(signal, hold);
    if (held !== undefined) process.kill(process.pid, held);
  }
}

/** /dev/net/tun: there, a character device, and openable (opening alone creates nothing). */
function probeTun(): TunProbe {
  try {
    if (!statSync(TUN_PATH).isCharacterDevice()) return { status: 'not-a-character-device' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'unusable', reason: (err as Error).message };
  }
  try {
    closeSync(openSync(TUN_PATH, constants.O_RDWR));
    return { status: 'present' };
  } catch (err) {
    return { status: 'unusable', reason: (err as Error).message };
  }
}

function probeCapabilities(): CapabilityProbe {
  try {
    const capEff = parseCapEff(readFileSync('/proc/self/status', 'utf8'));
    return capEff === undefined ? { unreadable: 'no CapEff line' } : { capEff };
  } catch (err) {
    return { unreadable: (err as Error).message };
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The --dev device (bad or unknown: ConfigError, exit 2), else the default route's. */
function probeUnderlay(dev: string | undefined): UnderlayProbe {
  if (dev !== undefined) {
    const device = parseInterfaceName('--dev', dev);
    const mtu = deviceMtu(device);
    if (mtu === undefined) throw new ConfigError(`--dev ${device}: no such interface`);
    return { source: 'dev', device, mtu };
  }
  const v4 = parseIpv4DefaultRoute(readOrEmpty('/proc/net/route'));
  if (v4 !== undefined) return { source: 'ipv4-default-route', device: v4, mtu: deviceMtu(v4) };
  const v6 = parseIpv6DefaultRoute(readOrEmpty('/proc/net/ipv6_route'));
  if (v6 !== undefined) return { source: 'ipv6-default-route', device: v6, mtu: deviceMtu(v6) };
  return { source: 'none' };
}

async function runCheck(options: CheckOptions): Promise<void> {
  const underlay = probeUnderlay(options.dev); // first: a bad --dev fails before anything is created
  const report = buildReport({ kernelVxlan: await probeKernelVxlan(), tun: probeTun(), capabilities: probeCapabilities(), underlay });
  process.stdout.write(options.json ? formatJson(report) : formatText(report));
  process.exitCode = report.exitCode;
}

export function addCheckCommand(program: Command): void {
  program
    .command('check')
    .description('can this machine run the kernel vxlan or vxlan-tap? MTUs and a recommendation (exit 1: vxlan-tap cannot run)')
    .option('--dev <ifname>', 'underlay device whose MTU to report (default: the default route\'s device)')
    .option('--json', 'print one JSON object instead of lines')
    .addHelpText('after', examples('vxlan-tap check', 'vxlan-tap check --dev eth0 --json'))
    .action(runCheck);
}
