// The TAP's persistent MAC: from the machine ID and the TAP name, as systemd-networkd's
// MACAddressPolicy=persistent: the same inputs always give the same unicast, locally
// administered MAC; another machine, name or named network namespace gives another.
import { describe, expect, it } from 'vitest';
import { formatMac, isMulticastMac, persistentMac } from '../../src/wire/mac.js';

const MACHINE = '0123456789abcdef0123456789abcdef';
const OTHER_MACHINE = 'fedcba9876543210fedcba9876543210';

describe('persistentMac', () => {
  it('is a fixed function of the machine and the name', () => {
    // Pinned (HMAC-SHA-256 keyed by the machine ID over "vxlan-tap tap <name>", first six
    // bytes, bit 1 set and bit 0 cleared): a change here changes every deployed TAP's MAC.
    expect(formatMac(persistentMac(MACHINE, 'vx0'))).toBe('ae:99:36:21:92:8a');
    expect(formatMac(persistentMac(MACHINE, 'vx0'))).toBe(formatMac(persistentMac(MACHINE, 'vx0')));
  });

  it.each(['vx0', 'vx1', 'tap0', 'vxlan-tap-long'])('is unicast and locally administered for %s', (name) => {
    for (const machine of [MACHINE, OTHER_MACHINE]) {
      const mac = persistentMac(machine, name);
      expect(mac).toHaveLength(6);
      expect(isMulticastMac(mac, 0)).toBe(false);
      expect(mac[0]! & 0x02).toBe(0x02);
    }
  });

  it('differs between names, machines and named network namespaces', () => {
    const macs = new Set(
      ['vx0', 'vx1', 'vx2', 'tap0'].flatMap((name) =>
        [MACHINE, OTHER_MACHINE].flatMap((m) => [undefined, 'ns-a', 'ns-b'].map((ns) => formatMac(persistentMac(m, name, ns)))),
      ),
    );
    expect(macs.size).toBe(24);
  });

  it('is the same in the same named namespace', () => {
    expect(formatMac(persistentMac(MACHINE, 'vx0', 'ns-a'))).toBe(formatMac(persistentMac(MACHINE, 'vx0', 'ns-a')));
  });
});
