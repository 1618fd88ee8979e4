// Defaults the kernel takes from the system, read the same way.
import { readFileSync } from 'node:fs';
import type { SystemDefaults } from './vtep-config.js';

const FALLBACK_PORT_RANGE = { min: 32768, max: 60999 };

export function readSystemDefaults(): SystemDefaults {
  try {
    const [min, max] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (min! > 0 && max! >= min!) return { localPortRange: { min: min!, max: max! } };
  } catch {
    // not Linux, or /proc not mounted: use the kernel's own default
  }
  return { localPortRange: FALLBACK_PORT_RANGE };
}
