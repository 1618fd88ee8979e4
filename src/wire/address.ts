// IP addresses in the 16-byte form the native layer uses: IPv6 as is, IPv4 mapped
// (::ffff:a.b.c.d), so one comparison covers both families.
import { isIPv4, isIPv6 } from 'node:net';

export const ADDRESS_LEN = 16;

/** Writes the 16-byte form of `text` into out[offset..] (a new array by default). */
export function addressBytes(text: string, out = new Uint8Array(ADDRESS_LEN), offset = 0): Uint8Array {
  if (isIPv4(text)) {
    out.fill(0, offset, offset + 10);
    out[offset + 10] = 0xff;
    out[offset + 11] = 0xff;
    // Digit by digit: a config file may hold 100,000 addresses, and a reload must stay fast.
    let at = offset + 12;
    out[at] = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x2e) out[++at] = 0;
      else out[at] = out[at]! * 10 + (c - 0x30);
    }
    return out;
  }
  if (!isIPv6(text)) throw new Error(`not an IP address: ${text}`);
  let groupsText = text;
  // A trailing dotted quad (::ffff:192.0.2.1) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    groupsText = text.slice(0, quad.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = groupsText.split('::');
  const split = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const headGroups = split(head);
  const tailGroups = tail === undefined ? [] : split(tail);
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[offset + i * 2] = v >> 8;
    out[offset + i * 2 + 1] = v & 0xff;
  });
  return out;
}

function isMappedIPv4(buf: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 10; i++) if (buf[offset + i] !== 0) return false;
  return buf[offset + 10] === 0xff && buf[offset + 11] === 0xff;
}

/** The text form of the 16-byte address at buf[offset]; compressed like inet_ntop. */
export function formatAddress(buf: Uint8Array, offset: number): string {
  if (isMappedIPv4(buf, offset)) return `${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((buf[offset + 2 * i]! << 8) | buf[offset + 2 * i + 1]!);
  // Longest run of two or more zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function sameAddress(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): boolean {
  for (let i = 0; i < ADDRESS_LEN; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

export function isMulticastAddress(bytes: Uint8Array): boolean {
  return isMappedIPv4(bytes, 0) ? (bytes[12]! & 0xf0) === 0xe0 : bytes[0] === 0xff;
}
