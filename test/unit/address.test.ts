import { describe, expect, it } from 'vitest';
import { ADDRESS_LEN, addressBytes, formatAddress, isMulticastAddress, sameAddress } from '../../src/wire/address.js';

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

describe('addressBytes', () => {
  it.each([
    ['192.0.2.1', [...MAPPED, 192, 0, 2, 1]],
    ['203.0.113.255', [...MAPPED, 203, 0, 113, 255]],
    ['0.0.0.0', [...MAPPED, 0, 0, 0, 0]],
    ['239.1.1.1', [...MAPPED, 239, 1, 1, 1]],
    ['::ffff:192.0.2.1', [...MAPPED, 192, 0, 2, 1]],
    ['::ffff:c000:201', [...MAPPED, 192, 0, 2, 1]],
    ['2001:db8::1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:db8:0:0:1::1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
    ['2001:db8:0:0:0:0:0:1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:DB8::ABCD', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd]],
    ['2001:db8::', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['2001:db8:1:2:3:4:5:6', [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6]],
    ['::', new Array(16).fill(0)],
    ['ff02::1', [0xff, 0x02, ...new Array(13).fill(0), 1]],
  ])('%s', (text, expected) => {
    const bytes = addressBytes(text);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBe(ADDRESS_LEN);
    expect(Array.from(bytes)).toEqual(expected);
  });

  it('writes 16 bytes at an offset of an existing array and nothing around them', () => {
    const out = new Uint8Array(40).fill(0xaa);
    expect(addressBytes('192.0.2.7', out, 5)).toBe(out);
    addressBytes('2001:db8::9', out, 21);
    expect(Array.from(out)).toEqual([
      ...new Array(5).fill(0xaa),
      ...MAPPED,
      192, 0, 2, 7,
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9,
      ...new Array(3).fill(0xaa),
    ]);
  });

  it('overwrites whatever was in the 16 bytes before (IPv4 zeroes the first ten)', () => {
    const out = new Uint8Array(16).fill(0xff);
    addressBytes('198.51.100.2', out);
    expect(Array.from(out)).toEqual([...MAPPED, 198, 51, 100, 2]);
    out.fill(0xff);
    addressBytes('2001:db8::', out);
    expect(Array.from(out)).toEqual([0x20, 0x01, 0x0d, 0xb8, ...new Array(12).fill(0)]);
  });

  it.each(['', 'example', '192.0.2', '192.0.2.256', '2001:db8::g', '2001:db8:::1', '1:2:3:4:5:6:7:8:9'])('throws for %j', (text) => {
    expect(() => addressBytes(text)).toThrow(/not an IP address/);
  });
});

describe('formatAddress', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1::1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:0:0:1:0:0', '2001:db8:1::1:0:0'],
    ['2001:db8::', '2001:db8::'],
    ['2001:0db8:00ab::0001', '2001:db8:ab::1'],
    ['::', '::'],
    ['ff02::1', 'ff02::1'],
  ])('%s -> %s', (text, expected) => {
    expect(formatAddress(addressBytes(text), 0)).toBe(expected);
  });

  it('reads the address at an offset', () => {
    const buf = new Uint8Array(48).fill(0x77);
    addressBytes('203.0.113.9', buf, 3);
    addressBytes('2001:db8:5::7', buf, 19);
    expect(formatAddress(buf, 3)).toBe('203.0.113.9');
    expect(formatAddress(buf, 19)).toBe('2001:db8:5::7');
  });

  it('round-trips through addressBytes for IPv4 and compressed IPv6 forms', () => {
    for (const text of ['192.0.2.1', '198.51.100.200', '2001:db8::1', '2001:db8::1:0:0:1', '2001:db8:1:2:3:4:5:6', '::', '2001:db8::']) {
      const formatted = formatAddress(addressBytes(text), 0);
      expect(formatted).toBe(text);
      expect(Array.from(addressBytes(formatted))).toEqual(Array.from(addressBytes(text)));
    }
  });
});

describe('sameAddress', () => {
  it('compares all 16 bytes at the given offsets', () => {
    const buf = new Uint8Array(64);
    addressBytes('192.0.2.1', buf, 0);
    addressBytes('192.0.2.1', buf, 20);
    addressBytes('192.0.2.2', buf, 40);
    expect(sameAddress(buf, 0, buf, 20)).toBe(true);
    expect(sameAddress(buf, 0, buf, 40)).toBe(false);
    expect(sameAddress(addressBytes('192.0.2.1'), 0, buf, 20)).toBe(true);
  });

  it('treats an IPv4 address and its mapped IPv6 form as one, and IPv6 spellings as one', () => {
    expect(sameAddress(addressBytes('192.0.2.1'), 0, addressBytes('::ffff:192.0.2.1'), 0)).toBe(true);
    expect(sameAddress(addressBytes('2001:db8::1'), 0, addressBytes('2001:db8:0:0:0:0:0:1'), 0)).toBe(true);
  });

  it('tells apart addresses differing in one byte, and IPv4 from IPv6 ending in the same four bytes', () => {
    expect(sameAddress(addressBytes('2001:db8::1'), 0, addressBytes('2001:db8:100::1'), 0)).toBe(false);
    expect(sameAddress(addressBytes('2001:db8::1'), 0, addressBytes('2001:db8::2'), 0)).toBe(false);
    expect(sameAddress(addressBytes('192.0.2.1'), 0, addressBytes('2001:db8::ffff:c000:201'), 0)).toBe(false);
  });
});

describe('isMulticastAddress', () => {
  it.each([
    ['239.1.1.1', true],
    ['239.1.1.255', true],
    ['::ffff:239.1.1.1', true],
    ['ff02::1', true],
    ['192.0.2.1', false],
    ['203.0.113.255', false],
    ['0.0.0.0', false],
    // Limited broadcast: 240.0.0.0/4 and above are not multicast (224.0.0.0/4 is).
    ['255.255.255.255', false],
    ['2001:db8::1', false],
    ['::', false],
  ])('%s -> %s', (text, expected) => {
    expect(isMulticastAddress(addressBytes(text))).toBe(expected);
  });
});
