// The control plane of a running vxlan-tap, driven through the real CLI: fdb and neigh
// changes, stats, monitor, the ARP proxy and miss events (the flannel pattern, with a
// kernel VTEP on the other side), max-address and Prometheus metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { RX_DROP_REASONS, TX_DROP_REASONS } from '../../src/engine/counters.js';
import { capture, isRoot, ping, pingAsync, waitFor } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;
const KERNEL_MAC = '02:00:00:00:0a:01';

/** Pings (each waits up to 2 s for its reply) a controller gets to answer both misses. */
const PINGS_FOR_MISSES = 15;

describe.skipIf(!isRoot)('control plane', () => {
  const lab = new Lab('ctl');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  let tapMac: string;

  /** Runs `vxlan-tap <args> --tap vxt0` in the vxlan-tap host; returns stdout or throws with stderr. */
  const cli = (...args: string[]): string => lab.exec(tapHost, process.execPath, MAIN, ...args, '--tap', 'vxt0');
  const cliError = (...args: string[]): { status: number; stderr: string } => {
    try {
      cli(...args);
      return { status: 0, stderr: '' };
    } catch (err) {
      const e = err as { status: number; stderr: string };
      return { status: e.status, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.hostPair());
    // The flannel pattern: no learning, no flood list, a controller fills in entries.
    vtep = await lab.vtep(tapHost, '--vni', '42', '--tap', 'vxt0', '--address', '192.0.2.2/24', '--no-learning', '--proxy', '--l2miss', '--l3miss', '--max-address', '3', '--metrics', '127.0.0.1:9642');
    tapMac = JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vxt0'))[0].address;
    lab.kernelVxlan(kernelHost, { vni: 42, local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24', mac: KERNEL_MAC });
    lab.ip(kernelHost, 'link', 'set', 'vx0', 'type', 'vxlan', 'nolearning');
    lab.exec(kernelHost, 'bridge', 'fdb', 'add', tapMac, 'dev', 'vx0', 'dst', '198.51.100.2');
    lab.ip(kernelHost, 'neigh', 'add', '192.0.2.2', 'lladdr', tapMac, 'dev', 'vx0');
  });
  afterAll(() => lab.cleanup());

  it('answers misses through a controller that follows `monitor` (flannel pattern)', { timeout: 60_000 }, async () => {
    const monitor = lab.spawn(tapHost, process.execPath, MAIN, 'monitor', '--json', '--tap', 'vxt0');
    const seen: string[] = [];
    let pending = '';
    monitor.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const event = JSON.parse(pending.slice(0, nl)) as { event: string; ip?: string; mac?: string };
        pending = pending.slice(nl + 1);
        seen.push(event.event);
        // The controller's store knows the kernel host: answer from it (once; misses repeat
        // until the answer is in).
        if (event.event === 'l3miss' && event.ip === '192.0.2.1' && !seen.includes('neigh')) {
          seen.push('neigh');
          cli('neigh', 'add', '192.0.2.1', 'lladdr', KERNEL_MAC);
        }
        if (event.event === 'l2miss' && event.mac === KERNEL_MAC && !seen.includes('fdb')) {
          seen.push('fdb');
          cli('fdb', 'add', KERNEL_MAC, 'dst', '198.51.100.1');
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    // The first pings go into the misses; once both are answered, pings flow. Each answer
    // is a CLI run, which takes seconds on a loaded machine: ping until the second is in.
    for (let attempt = 0; attempt < PINGS_FOR_MISSES && !seen.includes('fdb'); attempt++) await pingAsync(lab, tapHost, '192.0.2.1', 1);
    expect(seen).toContain('l3miss');
    expect(seen).toContain('l2miss');
    expect(ping(lab, tapHost, '192.0.2.1', 3)).toBe(3);
    expect(cli('neigh', 'show')).toMatch(/192\.0\.2\.1 dev vxt0 lladdr 02:00:00:00:0a:01 PERMANENT/);
    expect(cli('fdb', 'show')).toMatch(/02:00:00:00:0a:01 dev vxt0 dst 198\.51\.100\.1 vni 42 self permanent/);
  });

  it('answers ARP locally and never tunnels it', async () => {
    lab.ip(tapHost, 'neigh', 'flush', 'dev', 'vxt0');
    const consumed = (): number => JSON.parse(cli('stats', '--json')).drops.proxyConsumed;
    const before = consumed();
    const arpOnWire = await capture(lab, tapHost, 'ul0', 'udp dst port 4789');
    expect(ping(lab, tapHost, '192.0.2.1', 2)).toBe(2);
    expect((await arpOnWire.stop()).filter((l) => /ARP/.test(l))).toEqual([]);
    // One request, answered at once: the kernel asks once.
    expect(consumed() - before).toBe(1);
  });

  it('answers IPv6 neighbour solicitations locally (ND proxy)', async () => {
    lab.ip(tapHost, 'addr', 'add', '2001:db8:42::2/64', 'dev', 'vxt0', 'nodad');
    lab.ip(kernelHost, 'addr', 'add', '2001:db8:42::1/64', 'dev', 'vx0', 'nodad');
    lab.ip(kernelHost, 'neigh', 'add', '2001:db8:42::2', 'lladdr', tapMac, 'dev', 'vx0');
    cli('neigh', 'add', '2001:db8:42::1', 'lladdr', KERNEL_MAC, 'router');
    const onWire = await capture(lab, tapHost, 'ul0', 'udp dst port 4789');
    expect(ping(lab, tapHost, '2001:db8:42::1', 2)).toBe(2);
    // Only the echo requests crossed; the solicitation was answered here.
    const crossed = await onWire.stop();
    expect(crossed.filter((l) => /neighbor solicitation/.test(l))).toEqual([]);
    expect(crossed.filter((l) => /ICMP6, echo request/.test(l)).length).toBe(2);
    const neighbour = JSON.parse(lab.ip(tapHost, '-j', 'neigh', 'show', '2001:db8:42::1', 'dev', 'vxt0'))[0];
    expect(neighbour.lladdr).toBe(KERNEL_MAC);
    expect(neighbour).toHaveProperty('router'); // iproute2 lists the R flag as a bare key
  });

  it('keeps counters that add up', () => {
    const s = JSON.parse(cli('stats', '--json'));
    expect(s.rxPackets).toBeGreaterThan(0);
    // Every reason the counters know, taken from their own list, so that none is missed.
    for (const reason of [...RX_DROP_REASONS, ...TX_DROP_REASONS]) expect(s.drops[reason], reason).toEqual(expect.any(Number));
    expect(s.rxDatagrams).toBe(s.rxPackets + RX_DROP_REASONS.reduce((sum: number, r: string) => sum + s.drops[r], 0));
    expect(s.txFrames).toBe(s.txEncapsulated + s.drops.noTarget + s.drops.proxyConsumed);
  });

  it('changes the FDB as bridge fdb does, with one-line errors', () => {
    cli('fdb', 'append', '00:00:00:00:00:00', 'dst', '198.51.100.7');
    expect(cli('fdb', 'show')).toMatch(/00:00:00:00:00:00 dev vxt0 dst 198\.51\.100\.7 vni 42 self permanent/);
    const exists = cliError('fdb', 'add', KERNEL_MAC, 'dst', '198.51.100.9');
    expect(exists.status).not.toBe(0);
    expect(exists.stderr.trim()).toBe('vxlan-tap: error: an entry for this MAC exists already');
    // The third entry reaches the limit of three; a fourth does not fit.
    cli('fdb', 'add', '02:00:00:00:0b:01', 'dst', '198.51.100.9', 'static');
    const full = cliError('fdb', 'add', '02:00:00:00:0b:02', 'dst', '198.51.100.9');
    expect(full.stderr.trim()).toBe('vxlan-tap: error: the FDB is full (max-address 3)');
    cli('fdb', 'replace', KERNEL_MAC, 'dst', '198.51.100.1', 'static');
    expect(cli('fdb', 'show')).toMatch(/02:00:00:00:0a:01 dev vxt0 dst 198\.51\.100\.1 vni 42 self static/);
    // Naming a dst takes it out of the (permanent) flood list too, as the manual says.
    expect(cli('fdb', 'flush', 'dst', '198.51.100.7').trim()).toBe('removed 1 entry');
    expect(cli('fdb', 'show')).not.toMatch(/198\.51\.100\.7/);
    expect(cliError('fdb', 'add', 'zz:zz', 'dst', '198.51.100.9').stderr).toMatch(/^vxlan-tap: error: mac must be a MAC/);
    expect(cli('fdb', 'flush', 'static')).toMatch(/removed 2 entries/);
    cli('fdb', 'add', KERNEL_MAC, 'dst', '198.51.100.1');
    expect(cliError('fdb', 'add', '02:00:00:00:0b:02', 'dst', '2001:db8::1').stderr).toMatch(/IPv6 but the underlay is IPv4/);
  });

  it('names the TAP in listings also when the VTEP is found by --control', () => {
    const socket = `/run/vxlan-tap/netns-${tapHost}/vxt0.sock`;
    const listed = lab.exec(tapHost, process.execPath, MAIN, 'fdb', 'show', '--control', socket);
    expect(listed).toMatch(/02:00:00:00:0a:01 dev vxt0 dst 198\.51\.100\.1/);
    expect(listed).not.toMatch(/ dev - /);
    expect(lab.exec(tapHost, process.execPath, MAIN, 'neigh', 'show', '--control', socket)).toMatch(/192\.0\.2\.1 dev vxt0 lladdr/);
  });

  it('reports no running VTEP in one line', () => {
    const r = (() => {
      try {
        lab.exec(tapHost, process.execPath, MAIN, 'stats', '--tap', 'nosuch0');
        return { status: 0, stderr: '' };
      } catch (err) {
        return err as { status: number; stderr: string };
      }
    })();
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^vxlan-tap: error: no running vxlan-tap at \/run\/vxlan-tap\/netns-.*\/nosuch0\.sock/);
  });

  it('serves Prometheus metrics', async () => {
    const scrape = "fetch('http://127.0.0.1:9642/metrics').then(r => r.text()).then(t => process.stdout.write(t))";
    const text = lab.exec(tapHost, process.execPath, '-e', scrape);
    const rx = /vxlan_tap_rx_packets_total\{vni="42",tap="vxt0"\} (\d+)/.exec(text);
    expect(Number(rx?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/vxlan_tap_drops_total\{vni="42",tap="vxt0",reason="proxyConsumed"\} [1-9]/);
    expect(text).toMatch(/vxlan_tap_fdb_entries\{vni="42",tap="vxt0"\} 1/);
    for (const reason of ['cut_off', 'refused', 'idle']) expect(text).toContain(`vxlan_tap_control_clients_closed_total{reason="${reason}"} 0`);
  });

  it('removes its control socket when it stops', async () => {
    expect(await vtep.stop()).toBe(0);
    expect(await waitFor(() => cliError('stats').status === 1)).toBe(true);
  });
});
