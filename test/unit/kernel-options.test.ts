// The kernel's vxlan options that are decided without the wire: --srcport with the
// kernel's meaning (the max is exclusive: udp_flow_src_port spreads over [min, max)),
// --udpcsum / --no-udpcsum and --udp6zerocsumtx / --udp6zerocsumrx as options and file
// keys, and --l3miss kept to what the kernel reports: a proxied request for an address
// nobody is listed for, not the host's own (its own addresses, its probes from 0.0.0.0
// or ::).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { buildVtepConfig, type RawRunOptions, type SystemDefaults } from '../../src/config/vtep-config.js';
import { Engine, DEFAULT_OUTER_HEADER, type EngineEvent } from '../../src/engine/engine.js';
import { Fdb, ZERO_MAC } from '../../src/engine/fdb.js';
import { NeighTable } from '../../src/engine/neigh.js';
import { makeRemote } from '../../src/engine/remote.js';
import { addressBytes } from '../../src/wire/address.js';
import { BROADCAST, encapOne, ETHERTYPE_ARP, ETHERTYPE_IPV6, ethernetFrame, eventText, ipv4Frame, ipv6Packet, mac, OWN_MAC, PROTO_UDP } from './frames.js';

const SYSTEM: SystemDefaults = { localPortRange: { min: 40000, max: 40999 }, deviceMtu: () => undefined };
const build = (extra: Partial<RawRunOptions> = {}) => buildVtepConfig({ vni: '42', ...extra }, SYSTEM);

function engine(options: { outer?: Partial<typeof DEFAULT_OUTER_HEADER>; ownAddresses?: string[]; l3miss?: boolean } = {}) {
  const fdb = new Fdb({ learnedPort: 4789, ageingMs: 300_000 });
  fdb.append(ZERO_MAC, makeRemote('198.51.100.2', 4789), 'permanent', 0);
  const events: EngineEvent[] = [];
  const e = new Engine(
    { vni: 42, ownMac: mac(OWN_MAC), learning: true, outer: { ...DEFAULT_OUTER_HEADER, ...options.outer }, proxy: true, l3miss: options.l3miss ?? true, ownAddresses: options.ownAddresses },
    fdb,
    new NeighTable(),
    (event) => events.push(event),
  );
  return { engine: e, events };
}

describe('--srcport min-max: the max is exclusive, as the kernel spreads flows over [min, max)', () => {
  it('never picks the max when the engine spreads flows over the range itself', () => {
    const { engine: e } = engine({ outer: { srcPortMin: 40000, srcPortMax: 40004 } });
    const ports = new Set<number>();
    for (let port = 1000; port < 1400; port++) {
      const { sent } = encapOne(e, ipv4Frame({ protocol: PROTO_UDP, srcPort: port }));
      ports.add(sent.field(0, 'srcPort'));
    }
    expect([...ports].sort()).toEqual([40000, 40001, 40002, 40003]);
  });

  it('keeps the numbers as given in the configuration (the kernel\'s srcport MIN MAX)', () => {
    expect(build({ srcport: '40000-40004' }).underlay.outer).toMatchObject({ srcPortMin: 40000, srcPortMax: 40004 });
  });
});

describe('--udpcsum, --udp6zerocsumtx, --udp6zerocsumrx', () => {
  it('default to the kernel\'s: IPv4 checksums on, IPv6 zero checksums neither sent nor accepted', () => {
    const { underlay } = build();
    expect([underlay.udpChecksum ?? true, underlay.udp6ZeroChecksumTx ?? false, underlay.udp6ZeroChecksumRx ?? false]).toEqual([true, false, false]);
  });

  it('are read from the options', () => {
    expect(build({ udpcsum: false }).underlay.udpChecksum).toBe(false);
    expect(build({ local: '2001:db8::1', udp6zerocsumtx: true, udp6zerocsumrx: true }).underlay).toMatchObject({ udp6ZeroChecksumTx: true, udp6ZeroChecksumRx: true });
  });

  it('are read from the config file', () => {
    const config = parseConfigFile(JSON.stringify({ local: '2001:db8::1', udpcsum: false, udp6zerocsumtx: true, udp6zerocsumrx: true, vnis: [{ vni: 42 }] }), SYSTEM);
    expect(config.underlay).toMatchObject({ udpChecksum: false, udp6ZeroChecksumTx: true, udp6ZeroChecksumRx: true });
  });

  it('need native I/O', () => {
    expect(() => build({ io: 'dgram', udpcsum: false })).toThrow(ConfigError);
    expect(() => build({ io: 'dgram', udp6zerocsumrx: true })).toThrow(/--udp6zerocsumrx needs native I\/O/);
  });
});

const arpRequest = (spa: string, tpa: string): Uint8Array => {
  const body = new Uint8Array(28);
  body.set([0, 1, 8, 0, 6, 4, 0, 1]);
  body.set(mac(OWN_MAC), 8);
  body.set(spa.split('.').map(Number), 14);
  body.set(tpa.split('.').map(Number), 24);
  return ethernetFrame({ dst: BROADCAST, src: OWN_MAC, etherType: ETHERTYPE_ARP, payload: body });
};

const solicitation = (src: string, target: string): Uint8Array => {
  const packet = ipv6Packet({ src, dst: 'ff02::1:ff00:1', nextHeader: 58, hopLimit: 255, l4Length: 24 });
  packet.set([135, 0, 0, 0, 0, 0, 0, 0], 40);
  packet.set(addressBytes(target), 48);
  return ethernetFrame({ dst: '33:33:ff:00:00:01', src: OWN_MAC, etherType: ETHERTYPE_IPV6, payload: packet });
};

describe('--l3miss: proxied requests for addresses nobody is listed for, not the host\'s own', () => {
  it('reports a request for another address', () => {
    const { engine: e, events } = engine({ ownAddresses: ['192.0.2.2', '2001:db8:42::2'] });
    encapOne(e, arpRequest('192.0.2.2', '192.0.2.1'));
    encapOne(e, solicitation('2001:db8:42::2', '2001:db8:42::1'));
    expect(events.map(eventText)).toEqual(['l3miss 192.0.2.1', 'l3miss 2001:db8:42::1']);
  });

  it('does not report a request for the TAP\'s own address (gratuitous ARP, an NS for itself)', () => {
    const { engine: e, events } = engine({ ownAddresses: ['192.0.2.2', '2001:db8:42::2'] });
    encapOne(e, arpRequest('192.0.2.2', '192.0.2.2'));
    encapOne(e, solicitation('2001:db8:42::2', '2001:db8:42::2'));
    expect(events).toEqual([]);
    expect(e.counters.drops.proxyConsumed).toBe(2);
  });

  it('does not report the host\'s probes (ARP from 0.0.0.0, duplicate address detection from ::)', () => {
    const { engine: e, events } = engine();
    encapOne(e, arpRequest('0.0.0.0', '192.0.2.7'));
    encapOne(e, solicitation('::', '2001:db8:42::7'));
    expect(events).toEqual([]);
  });
});
