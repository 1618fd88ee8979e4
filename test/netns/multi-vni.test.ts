// Several VNIs in one process from --config: one TAP per VNI, one UDP socket shared,
// demultiplexed by VNI, against kernel VTEPs on the other host; traffic and floods never
// cross VNIs. And SIGHUP: the flood list changes without losing learned entries or pings.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { capture, isRoot, ping, waitFor } from './helpers.js';

const MAIN = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

describe.skipIf(!isRoot)('several VNIs from a config file', () => {
  const lab = new Lab('vnis');
  let kernelHost: string;
  let tapHost: string;
  let vtep: VtepProcess;
  let configPath: string;

  const FILE_FDB = [{ mac: '02:00:00:00:00:77', dst: '198.51.100.1', state: 'static' }];
  const config = (peers: string[], neighbour = '192.0.2.77', fdb = FILE_FDB) => ({
    local: '198.51.100.2',
    statsInterval: 1,
    vnis: [
      {
        vni: 100,
        tap: 'vx100',
        peers,
        addresses: ['192.0.2.2/25'],
        fdb,
        neigh: [{ ip: neighbour, lladdr: '02:00:00:00:00:77' }],
      },
      { vni: 200, tap: 'vx200', peers, addresses: ['192.0.2.130/25'] },
    ],
  });

  beforeAll(async () => {
    ({ kernelHost, tapHost } = lab.hostPair());
    lab.ip(kernelHost, 'addr', 'add', '198.51.100.9/24', 'dev', 'ul0');
    lab.kernelVxlan(kernelHost, { name: 'vx100', vni: 100, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.1/25' });
    lab.kernelVxlan(kernelHost, { name: 'vx200', vni: 200, port: 4789, remote: '198.51.100.2', local: '198.51.100.1', dev: 'ul0', address: '192.0.2.129/25' });
    configPath = `/tmp/${lab.namespaces[0]}.json`;
    writeFileSync(configPath, JSON.stringify(config(['198.51.100.1'])));
    vtep = await lab.vtep(tapHost, '--config', configPath);
  });
  afterAll(async () => {
    await lab.cleanup();
    await import('node:fs').then((fs) => fs.rmSync(configPath, { force: true }));
  });

  it('creates one TAP per VNI, both announced ready', async () => {
    const readyLines = (): string[] => vtep.stderr().split('\n').filter((l) => /"msg":"ready"/.test(l));
    await waitFor(() => readyLines().length === 2);
    const ready = readyLines().map((l) => JSON.parse(l));
    expect(ready.map((r) => [r.vni, r.tap])).toEqual([[100, 'vx100'], [200, 'vx200']]);
  });

  it('carries each VNI to its own kernel device', () => {
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
    expect(ping(lab, tapHost, '192.0.2.129')).toBe(3);
    expect(ping(lab, kernelHost, '192.0.2.2')).toBe(3);
    expect(ping(lab, kernelHost, '192.0.2.130')).toBe(3);
  });

  it('never lets a flood of one VNI out of the other TAP', async () => {
    const other = await capture(lab, tapHost, 'vx200', 'arp');
    const own = await capture(lab, tapHost, 'vx100', 'arp');
    // An ARP for an address nobody has: flooded in VNI 100 only.
    expect(ping(lab, kernelHost, '192.0.2.99', 1)).toBe(0);
    const seenInOther = await other.stop();
    const seenInOwn = await own.stop();
    expect(seenInOwn.some((l) => /who-has 192\.0\.2\.99/.test(l))).toBe(true);
    expect(seenInOther.some((l) => /who-has 192\.0\.2\.99/.test(l))).toBe(false);
  });

  it('applies a new flood list on SIGHUP without losing a ping or a learned entry', async () => {
    const flood = lab.spawn(tapHost, 'ping', '-c', '40', '-i', '0.05', '-W', '1', '192.0.2.1');
    let out = '';
    flood.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const done = new Promise<void>((resolve) => flood.once('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, 500));
    // Add a second peer (another address of the kernel host): the first peer stays, so
    // nothing may be lost.
    writeFileSync(configPath, JSON.stringify(config(['198.51.100.1', '198.51.100.9'])));
    vtep.child.kill('SIGHUP');
    await done;
    expect(out).toMatch(/40 packets transmitted, 40 received/);
    expect(vtep.stderr()).toMatch(/"msg":"reloaded"/);
    // The new peer gets floods now: an ARP for an unknown address goes to both.
    const toNewPeer = await capture(lab, kernelHost, 'ul0', 'udp dst port 4789 and dst host 198.51.100.9');
    expect(ping(lab, tapHost, '192.0.2.98', 1)).toBe(0);
    expect((await toNewPeer.stop()).some((l) => /who-has 192\.0\.2\.98/.test(l))).toBe(true);
  });

  it('keeps configured, runtime and learned entries straight across a reload', async () => {
    const cli = (...args: string[]): string => lab.exec(tapHost, process.execPath, MAIN, ...args, '--tap', 'vx100');
    expect(cli('fdb', 'show')).toMatch(/02:00:00:00:00:77 dev vx100 dst 198\.51\.100\.1 vni 100 self static/);
    expect(cli('neigh', 'show')).toMatch(/192\.0\.2\.77 dev vx100 lladdr 02:00:00:00:00:77/);
    const kernelMac = JSON.parse(lab.ip(kernelHost, '-j', 'link', 'show', 'vx100'))[0].address as string;
    expect(cli('fdb', 'show')).toMatch(new RegExp(`${kernelMac} dev vx100 dst 198\\.51\\.100\\.1 vni 100 self dynamic`));
    cli('fdb', 'append', '00:00:00:00:00:00', 'dst', '198.51.100.5');
    // The file's entry, changed at runtime, then dropped by the file: it goes.
    cli('fdb', 'replace', '02:00:00:00:00:77', 'dst', '198.51.100.6', 'static');
    writeFileSync(configPath, JSON.stringify(config(['198.51.100.1'], '192.0.2.78', [])));
    vtep.child.kill('SIGHUP');
    expect(await waitFor(() => /"msg":"reloaded"[^\n]*\n[^]*"msg":"reloaded"/.test(vtep.stderr()))).toBe(true);
    const fdb = cli('fdb', 'show');
    expect(fdb).not.toMatch(/198\.51\.100\.9/); // the peer the file no longer lists
    expect(fdb).toMatch(/00:00:00:00:00:00 dev vx100 dst 198\.51\.100\.5/); // added at runtime
    expect(fdb).toMatch(new RegExp(`${kernelMac} dev vx100 dst 198\\.51\\.100\\.1`)); // learned
    expect(fdb).not.toMatch(/02:00:00:00:00:77/); // the file's entry, changed at runtime, no longer listed
    const neighbours = cli('neigh', 'show');
    expect(neighbours).toMatch(/192\.0\.2\.78 dev vx100/);
    expect(neighbours).not.toMatch(/192\.0\.2\.77 /);
  });

  it('rejects an invalid file on SIGHUP and keeps running as before', async () => {
    writeFileSync(configPath, '{"vnis": [{"vni": 16777216}]}');
    vtep.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 300));
    expect(vtep.stderr()).toMatch(/"msg":"reload rejected; running configuration kept"/);
    expect(vtep.stderr()).toMatch(/vnis\[0\]\.vni must be from 0 to 16777215/);
    expect(ping(lab, tapHost, '192.0.2.1')).toBe(3);
  });
});
