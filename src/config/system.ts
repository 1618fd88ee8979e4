// Defaults the kernel takes from the system, read the same way, and what identifies this
// machine and network namespace.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SystemDefaults } from './vtep-config.js';

const FALLBACK_PORT_RANGE = { min: 32768, max: 60999 };

function localPortRange(): { min: number; max: number } {
  try {
    const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (min! > 0 && max! >= min!) return { min: min!, max: max! };
  } catch {
    // not Linux, or /proc not mounted: use the kernel's own default
  }
  return FALLBACK_PORT_RANGE;
}

/** The MTU of an interface, or undefined when there is no such interface (or it reads oddly). */
export function deviceMtu(name: string): number | undefined {
  try {
    const mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
    return Number.isInteger(mtu) && mtu > 0 ? mtu : undefined;
  } catch {
    return undefined;
  }
}

export function readSystemDefaults(): SystemDefaults {
  return { localPortRange: localPortRange(), deviceMtu };
}

/** This machine's ID (/etc/machine-id, 32 hex digits), or undefined when it has none. */
export function readMachineId(): string | undefined {
  try {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    return /^[0-9a-f]{32}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The name of the named network namespace (/run/netns/NAME) this process is in, found as `ip netns identify` does. */
export function namedNetworkNamespace(): string | undefined {
  try {
    const own = statSync('/proc/self/ns/net');
    for (const name of readdirSync('/run/netns')) {
      const ns = statSync(path.join('/run/netns', name));
      if (ns.ino === own.ino && ns.dev === own.dev) return name;
    }
  } catch {
    // no named namespaces
  }
  return undefined;
}
