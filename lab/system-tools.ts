// The programs that the demo, the tests and the benchmark run, and the Debian package of
// each, so that whatever is missing is named in one line before any work starts.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const DEBIAN_PACKAGE = {
  ip: 'iproute2',
  bridge: 'iproute2',
  ping: 'iputils-ping',
  tcpdump: 'tcpdump',
  iperf3: 'iperf3',
  'systemd-analyze': 'systemd',
  kill: 'procps',
  'g++': 'g++',
  make: 'make',
  python3: 'python3',
  etcd: 'etcd-server',
  etcdctl: 'etcd-client',
  openssl: 'openssl',
  setpriv: 'util-linux',
} as const;

export type Tool = keyof typeof DEBIAN_PACKAGE;

export const DEMO_TOOLS: readonly Tool[] = ['ip', 'ping'];
/** What every run of the tests needs: checking the service unit (whose reload runs kill), building the packed addon. */
export const TEST_TOOLS: readonly Tool[] = ['systemd-analyze', 'kill', 'g++', 'make', 'python3'];
/** What the namespace tests (root) need on top; the membership tests run their own etcd. */
export const NETNS_TEST_TOOLS: readonly Tool[] = ['ip', 'bridge', 'ping', 'tcpdump', 'iperf3', 'etcd', 'etcdctl', 'openssl', 'setpriv'];
export const BENCH_TOOLS: readonly Tool[] = ['ip', 'ping', 'iperf3'];
export const MEMBERSHIP_BENCH_TOOLS: readonly Tool[] = ['ip', 'etcd', 'etcdctl'];

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir || '.', command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The Debian packages holding the tools that are not on the PATH, each once. */
export function missingPackages(tools: readonly Tool[]): string[] {
  return [...new Set(tools.filter((tool) => !onPath(tool)).map((tool) => DEBIAN_PACKAGE[tool]))];
}

/**
 * One line naming what is missing and how to install it ("demo needs ping: apt-get install
 * iputils-ping" for `needs` "demo needs"), or undefined when nothing is.
 */
export function missingToolsLine(needs: string, tools: readonly Tool[]): string | undefined {
  const packages = missingPackages(tools);
  if (packages.length === 0) return undefined;
  const missing = tools.filter((tool) => !onPath(tool));
  return `${needs} ${missing.join(', ')}: apt-get install ${packages.join(' ')}`;
}
