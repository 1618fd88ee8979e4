// MAC addresses: parsing, printing, the bit tests the data plane needs, and the stable
// MAC of a TAP.
import { createHmac } from 'node:crypto';

export const MAC_LEN = 6;

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Parses "aa:bb:cc:dd:ee:ff"; returns undefined for anything else. */
export function parseMac(text: string): Uint8Array | undefined {
  if (!MAC_RE.test(text)) return undefined;
  // By hand: a config file may hold 100,000 MACs, and a reload must stay fast.
  const mac = new Uint8Array(MAC_LEN);
  for (let i = 0; i < MAC_LEN; i++) mac[i] = parseInt(text.slice(i * 3, i * 3 + 2), 16);
  return mac;
}

export function formatMac(bytes: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < MAC_LEN; i++) parts.push(bytes[offset + i]!.toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** Group bit: broadcast and multicast destinations. */
export function isMulticastMac(buf: Uint8Array, offset: number): boolean {
  return (buf[offset]! & 1) === 1;
}

export function isZeroMac(buf: Uint8Array, offset: number): boolean {
  return (buf[offset]! | buf[offset + 1]! | buf[offset + 2]! | buf[offset + 3]! | buf[offset + 4]! | buf[offset + 5]!) === 0;
}

/** The first two bytes of a MAC as one small integer (the "high" half of a table key). */
export function macHigh(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

/** The last four bytes of a MAC as one 32-bit integer (the "low" half of a table key). */
export function macLow(buf: Uint8Array, offset: number): number {
  return (buf[offset + 2]! << 24) | (buf[offset + 3]! << 16) | (buf[offset + 4]! << 8) | buf[offset + 5]!;
}

/**
 * The MAC a device keeps across restarts, as systemd-networkd's MACAddressPolicy=persistent
 * gives one: a hash of the machine (its /etc/machine-id) and the device's name, with the
 * locally administered bit set and the group bit clear. The same machine and name always
 * give the same MAC, so peers' neighbour entries stay right when the VTEP restarts. A
 * device name is unique only within its network namespace, so a named namespace's name
 * is hashed too: two namespaces of one machine each with a vx0 get different MACs.
 */
export function persistentMac(machineId: string, deviceName: string, namespace?: string): Uint8Array {
  const device = namespace === undefined ? deviceName : `${deviceName} netns ${namespace}`;
  const mac = Uint8Array.from(createHmac('sha256', machineId).update(`vxlan-tap tap ${device}`).digest().subarray(0, MAC_LEN));
  mac[0] = (mac[0]! & 0xfe) | 0x02;
  return mac;
}
