// Two vxlan-tap processes peering with each other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../lab/lab.js';
import { isRoot, ping, tcpTransfer } from './helpers.js';

describe.skipIf(!isRoot).each([
  ['native', 'on'],
  ['dgram', 'on'],
  ['native', 'off'],
  ['dgram', 'off'],
])('vxlan-tap <-> vxlan-tap (--io %s --offload %s)', (io, offload) => {
  const lab = new Lab(`t2t-${io}-${offload}`);
  let a: string;
  let b: string;

  beforeAll(async () => {
    a = lab.namespace('a');
    b = lab.namespace('b');
    lab.link(a, '198.51.100.1/24', b, '198.51.100.2/24');
    await lab.vtep(a, '--io', io!, '--offload', offload!, '--vni', '7', '--peer', '198.51.100.2', '--tap', 'vxt0', '--address', '192.0.2.1/24');
    await lab.vtep(b, '--io', io!, '--offload', offload!, '--vni', '7', '--peer', '198.51.100.1', '--tap', 'vxt0', '--address', '192.0.2.2/24');
  });
  afterAll(() => lab.cleanup());

  it('pings both ways', () => {
    expect(ping(lab, a, '192.0.2.2')).toBe(3);
    expect(ping(lab, b, '192.0.2.1')).toBe(3);
  });

  it('carries an 8 MB TCP transfer intact', async () => {
    const { sent, received } = await tcpTransfer(lab, b, '192.0.2.2', a, 8);
    expect(received).toBe(sent);
  });
});
