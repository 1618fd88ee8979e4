// Outer IPv4 IDs on the wire under UDP GSO. The kernel gives a UDP_SEGMENT train one IP
// ID and numbers its datagrams upward from it, while the next train's ID is only one
// higher: consecutive trains' IDs overlap. With DF clear (the default) RFC 6864 wants
// them unique within the reassembly window, as the kernel's vxlan keeps them: vxlan-tap
// does with --outer-ids unique (such trains leave datagram by datagram); by default
// (overlap) it keeps GSO, at five times the speed, and the IDs repeat. The tap host's underlay cuts every train
// itself (gso_max_segs 1), so the capture at the kernel host sees each datagram.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isRoot, ping, tcpTransfer, vtepStats } from './helpers.js';

/** How many of `ids` repeat one of the `window` sent before it. */
function repeatsWithin(ids: number[], window: number): number {
  let repeats = 0;
  for (let i = 1; i < ids.length; i++) if (ids.slice(Math.max(0, i - window), i).includes(ids[i]!)) repeats++;
  return repeats;
}

describe.skipIf(!isRoot).each([
  ['unique', ['--outer-ids', 'unique']],
  ['overlap', []],
] as const)('outer IPv4 IDs with UDP GSO: --outer-ids %s', (mode, options) => {
  const lab = new Lab(`ipids-${mode}`);
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.pointToPoint());
    lab.ip(tapHost, 'link', 'set', 'dev', 'ul0', 'gso_max_segs', '1');
    vtep = await lab.vtep(tapHost, '--vni', '42', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24', ...options);
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
  });
  afterAll(() => lab.cleanup());

  it(mode === 'unique' ? 'repeats no ID within 100 datagrams to the peer' : 'keeps GSO, and IDs repeat as the kernel numbers trains', async () => {
    // Written raw, the outer headers only (decoding as it goes would drop packets under
    // load), and read once tcpdump exited.
    const dir = mkdtempSync(path.join(tmpdir(), 'vxt-ipids-'));
    const file = path.join(dir, 'wire.pcap');
    let ids: number[];
    try {
      const tcpdump = lab.spawn(kernelHost, 'tcpdump', '-i', 'ul0', '-n', '--immediate-mode', '-B', '65536', '-s', '42', '-w', file, 'udp dst port 4789 and src host 198.51.100.2');
      const exited = new Promise((resolve) => tcpdump.once('exit', resolve));
      await new Promise<void>((resolve) => tcpdump.stderr!.on('data', (chunk: Buffer) => /listening on/.test(chunk.toString()) && resolve()));
      const { sent, received } = await tcpTransfer(lab, kernelHost, '192.0.2.1', tapHost, 4);
      expect(received).toBe(sent);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the last datagrams land
      tcpdump.kill('SIGTERM');
      await exited;
      ids = lab.exec(kernelHost, 'tcpdump', '-r', file, '-n', '-v').split('\n').flatMap((line) => {
        const m = /^\S+ IP \(.*\bid (\d+), offset/.exec(line);
        return m ? [Number(m[1])] : [];
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // 4 MiB in segments of at most 1410 bytes.
    expect(ids.length).toBeGreaterThan(2900);
    const stats = vtepStats(lab, tapHost, '--tap', 'vxt0');
    if (mode === 'unique') {
      expect(repeatsWithin(ids, 100)).toBe(0);
    } else {
      expect(stats.underlay.gsoSends).toBeGreaterThan(0);
      expect(repeatsWithin(ids, 100)).toBeGreaterThan(0);
    }
  }, 60_000);

  it('stops cleanly', async () => {
    expect(await vtep.stop()).toBe(0);
  });
});
