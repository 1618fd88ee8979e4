// MAC addresses: parsing, printing and the bit tests the data plane needs.

export const MAC_LEN = 6;

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** Parses "aa:bb:cc:dd:ee:ff"; returns undefined for anything else. */
export function parseMac(text: string): Uint8Array | undefined {
  if (!MAC_RE.test(text)) return undefined;
  return Uint8Array.from(text.split(':'), (h) => parseInt(h, 16));
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
