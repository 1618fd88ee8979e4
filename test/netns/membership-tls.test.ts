// Membership through an etcd that checks who writes: TLS with client certificates (made
// here with openssl) and user authentication with a role limited to the prefix. Two
// vxlan-tap hosts join with --etcd-cacert/--etcd-cert/--etcd-key and --etcd-user (the
// password from a file, and from the environment) and ping; a wrong password is refused
// and said, and a user without the role cannot write the prefix.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type VtepProcess } from '../../lab/lab.js';
import { isRoot, ping, waitFor } from './helpers.js';
import { allProgrammed, macOf, memberOf, members, overlay, underlay } from './membership-lab.js';

const URL = `https://${underlay(10)}:2379`;
const PASSWORD_VARIABLE = 'VXLAN_TAP_ETCD_PASSWORD';

describe.skipIf(!isRoot)('membership over TLS with client certificates and authentication', () => {
  const lab = new Lab('mtls');
  const dir = mkdtempSync(path.join(tmpdir(), 'vxt-mtls-'));
  const file = (name: string): string => path.join(dir, name);
  let sw: string;
  let hosts: string[];
  let etcd: ChildProcess;
  const vteps: VtepProcess[] = [];

  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  /** A key and a certificate signed by the test CA, for `usage` (serverAuth or clientAuth). */
  function certificate(name: string, subject: string, extensions: string): void {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${name}.pem`), '-days', '1', '-extfile', file(`${name}.ext`));
  }
  const ctl = (...args: string[]): string =>
    lab.exec(sw, 'etcdctl', '--endpoints', URL, '--cacert', file('ca.pem'), '--cert', file('client.pem'), '--key', file('client.key'), '--dial-timeout', '2s', ...args);
  const root = (...args: string[]): string => ctl('--user', 'root:rootpw', ...args);
  const tls = ['--etcd', URL, '--etcd-cacert', file('ca.pem'), '--etcd-cert', file('client.pem'), '--etcd-key', file('client.key'), '--etcd-user', 'vxt'];
  const tapHost = (n: number, ...extra: string[]): Promise<VtepProcess> =>
    lab.vtep(hosts[n - 1]!, '--vni', '42', '--tap', 'vxt0', '--mac', macOf(n), '--address', `${overlay(n)}/24`, '--local', underlay(n), ...tls, ...extra);

  beforeAll(async () => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '1', '-subj', '/CN=vxlan-tap test CA');
    certificate('server', '/CN=etcd', `subjectAltName=IP:${underlay(10)}\nextendedKeyUsage=serverAuth\n`);
    certificate('client', '/CN=vxt', 'extendedKeyUsage=clientAuth\n');
    writeFileSync(file('password'), 'vxtpw\n', { mode: 0o600 });
    writeFileSync(file('wrong'), 'nope\n', { mode: 0o600 });

    sw = lab.namespace('sw');
    hosts = [1, 2, 3].map((n) => lab.namespace(`h${n}`));
    lab.bridgeLinks(sw, hosts.map((ns, i) => ({ ns, address: `${underlay(i + 1)}/24` })));
    lab.ip(sw, 'addr', 'add', `${underlay(10)}/24`, 'dev', 'br0');
    const peer = `http://${underlay(10)}:2380`;
    etcd = lab.spawn(sw, 'etcd', '--name', 'e0', '--data-dir', file('data'),
      '--listen-client-urls', URL, '--advertise-client-urls', URL,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `e0=${peer}`,
      '--cert-file', file('server.pem'), '--key-file', file('server.key'), '--trusted-ca-file', file('ca.pem'), '--client-cert-auth',
      '--logger', 'zap', '--log-level', 'error');
    etcd.stdout!.resume();
    etcd.stderr!.resume();
    expect(await waitFor(() => {
      try {
        ctl('endpoint', 'health');
        return true;
      } catch {
        return false;
      }
    }, 15_000)).toBe(true);
    // Users: root, and vxt with read and write on the prefix only; then authentication on.
    ctl('user', 'add', 'root', '--new-user-password=rootpw');
    ctl('role', 'add', 'vxlan-tap');
    ctl('role', 'grant-permission', '--prefix=true', 'vxlan-tap', 'readwrite', '/vxlan-tap/');
    ctl('user', 'add', 'vxt', '--new-user-password=vxtpw');
    ctl('user', 'grant-role', 'vxt', 'vxlan-tap');
    ctl('user', 'add', 'other', '--new-user-password=otherpw');
    ctl('auth', 'enable');

    vteps.push(await tapHost(1, '--etcd-password-file', file('password')));
    process.env[PASSWORD_VARIABLE] = 'vxtpw';
    try {
      vteps.push(await tapHost(2));
    } finally {
      delete process.env[PASSWORD_VARIABLE];
    }
  });
  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('joins over TLS as the user: both hosts program each other and ping', async () => {
    expect(await allProgrammed(lab, hosts[0]!, [1, 2])).toBe(true);
    expect(await allProgrammed(lab, hosts[1]!, [1, 2])).toBe(true);
    expect(ping(lab, hosts[0]!, overlay(2), 2)).toBe(2);
    expect(ping(lab, hosts[1]!, overlay(1), 2)).toBe(2);
    expect(root('get', '--prefix', '--keys-only', '/vxlan-tap/')).toContain(`/vxlan-tap/default/members/${underlay(1)}`);
  });

  it('a wrong password is refused by etcd and said in the log; the host never joins', async () => {
    vteps.push(await tapHost(3, '--etcd-password-file', file('wrong')));
    expect(await waitFor(() => /"msg":"etcd unreachable: forwarding on the last known members, retrying"/.test(vteps[2]!.stderr()), 10_000)).toBe(true);
    expect(vteps[2]!.stderr()).toMatch(/authentication failed/);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(memberOf(members(lab, hosts[0]!), 3)).toBeUndefined();
  });

  it('a user without the role cannot write the prefix', () => {
    const record = JSON.stringify({ address: underlay(66), port: 4789, kind: 'vxlan-tap', vnis: [{ vni: 42, mac: macOf(2), addresses: [] }] });
    expect(() => ctl('--user', 'other:otherpw', 'put', `/vxlan-tap/default/members/${underlay(66)}`, record)).toThrow(/permission denied/);
  });
});
