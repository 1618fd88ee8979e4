// A kernel VTEP left on its default port (8472), vxlan-tap with --port 8472, --local
// and --dev: the recipe for joining an overlay that never set dstport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { capture, isRoot, ping } from './helpers.js';

describe.skipIf(!isRoot)('kernel default port, --local and --dev', () => {
  const lab = new Lab('port');
  let kernelHost: string;
  let tapHost: string;

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.hostPair());
    // A second address on the vxlan-tap host: --local must pick it as the source.
    lab.ip(tapHost, 'addr', 'add', '198.51.100.22/24', 'dev', 'ul0');
    lab.kernelVxlan(kernelHost, { vni: 42, port: 'kernel default', remote: '198.51.100.22', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/24' });
    await lab.vtep(tapHost, '--vni', '42', '--port', '8472', '--local', '198.51.100.22', '--dev', 'ul0', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it('finds the kernel on 8472 when dstport is left out', () => {
    const info = JSON.parse(lab.ip(kernelHost, '-d', '-j', 'link', 'show', 'vx0'))[0].linkinfo.info_data;
    expect(info.port).toBe(8472);
  });

  it('pings across, sending from --local to port 8472', async () => {
    const seen = await capture(lab, kernelHost, 'ul0', 'udp dst port 8472');
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
    const lines = await seen.stop();
    expect(lines.some((l) => /198\.51\.100\.22\.\d+ > 198\.51\.100\.1\.8472/.test(l))).toBe(true);
    expect(lines.some((l) => /198\.51\.100\.2\.\d+ > /.test(l))).toBe(false);
  });

  it('defaults the MTU from --dev: 1500 - 50', () => {
    expect(JSON.parse(lab.ip(tapHost, '-j', 'link', 'show', 'vxt0'))[0].mtu).toBe(1450);
  });

  it('rejects --dev naming no interface with exit 2', async () => {
    await expect(lab.vtep(tapHost, '--vni', '43', '--dev', 'nodev0', '--port', '4790')).rejects.toThrow(/exited with 2.*--dev nodev0: no such interface/);
  });
});
