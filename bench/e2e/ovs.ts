// The peer row's tunnel end: Open vSwitch's userspace datapath (datapath_type=netdev), a
// mature C userspace VTEP. Its two daemons run inside the namespace with every file of
// theirs (database, sockets, pidfiles, logs) in a temporary directory, so that an Open
// vSwitch of the machine's own, if any, is never touched; the lab's cleanup stops them by
// the PIDs in their pidfiles and deletes the directory.
//
// The configuration: bridge br-phy holds the underlay veth (OVS reads and writes it with
// AF_PACKET) and the underlay address; bridge br-int holds the overlay address and a vxlan
// port to the one remote. OVS takes its tunnel route from the namespace's routes and
// resolves the remote's address itself. userspace-tso-enable stays off (its default): in
// OVS 3.1 it drops TSO frames to a vxlan port.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { BenchLab } from './bench-lab.js';
import { runIn } from './child.js';

export const OVS_PACKAGE = 'openvswitch-switch';
const DAEMONS = ['ovs-vswitchd', 'ovsdb-server'] as const;
const TOOLS = ['ovsdb-tool', 'ovs-vsctl', ...DAEMONS];
const COMMAND_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

const onPath = (command: string): boolean => (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, command)));

/** The database schema installed with Open vSwitch, as ovsdb-tool names its default. */
function installedSchema(): string | undefined {
  const help = execFileSync('ovsdb-tool', ['--help'], { encoding: 'utf8', timeout: 10_000 });
  const schema = /default SCHEMA is (\S+?)\.?$/m.exec(help)?.[1];
  return schema !== undefined && existsSync(schema) ? schema : undefined;
}

/** One line saying what is missing and how to install it, or undefined when OVS can run. */
export function ovsMissing(): string | undefined {
  const missing = TOOLS.filter((tool) => !onPath(tool));
  if (missing.length > 0) return `needs ${missing.join(', ')}: apt-get install ${OVS_PACKAGE}`;
  if (installedSchema() === undefined) return `ovsdb-tool names no installed vswitch schema: apt-get install --reinstall ${OVS_PACKAGE}`;
  return undefined;
}

export interface OvsOptions {
  /** The underlay veth end in `ns`: its address moves to br-phy. */
  underlayDev: string;
  /** Underlay address with prefix length, and the remote VTEP's underlay address. */
  underlay: string;
  remote: string;
  vni: number;
  port: number;
  /** The overlay address with prefix length (on br-int), and the overlay MTU. */
  overlay: string;
  mtu: number;
}

const isRunning = (pid: number, name: string): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.includes(`(${name})`) && !/^\S+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

/** SIGTERM to each daemon named by a pidfile in `dir` (if it is still that daemon), SIGKILL if it lingers. */
async function stopDaemons(dir: string): Promise<void> {
  for (const name of DAEMONS) {
    const file = path.join(dir, `${name}.pid`);
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
    if (!Number.isInteger(pid) || !isRunning(pid, name)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isRunning(pid, name) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (isRunning(pid, name)) process.kill(pid, 'SIGKILL');
  }
}

/** Starts OVS in `ns` as one tunnel end; resolves with ovs-vswitchd's PID once its bridges are configured. */
export async function startOvs(lab: BenchLab, ns: string, o: OvsOptions): Promise<number> {
  const schema = installedSchema();
  if (schema === undefined) throw new Error(ovsMissing() ?? 'no vswitch schema');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vxlan-tap-bench-ovs-'));
  lab.atCleanup(async () => {
    await stopDaemons(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string): string => path.join(dir, name);
  // Every default path of OVS's (run, log, database, configuration) points into `dir`.
  const env = ['OVS_RUNDIR', 'OVS_LOGDIR', 'OVS_DBDIR', 'OVS_SYSCONFDIR'].map((name) => `${name}=${dir}`);
  const run = async (command: string, ...args: string[]): Promise<void> => {
    const result = await runIn(lab, ns, COMMAND_TIMEOUT_MS, 'env', ...env, command, ...args);
    if (result.code !== 0) throw new Error(`${command} ${args[0] ?? ''}: ${result.stderr.trim() || `exit ${result.code}`}`);
  };
  const daemon = (name: string): string[] => [
    `--pidfile=${file(`${name}.pid`)}`,
    `--unixctl=${file(`${name}.ctl`)}`,
    `--log-file=${file(`${name}.log`)}`,
    '--detach',
    '--no-chdir',
  ];
  const db = `unix:${file('db.sock')}`;
  const vsctl = (...args: string[]): Promise<void> => run('ovs-vsctl', `--db=${db}`, `--timeout=${COMMAND_TIMEOUT_MS / 1000}`, ...args);

  await run('ovsdb-tool', 'create', file('conf.db'), schema);
  await run('ovsdb-server', file('conf.db'), `--remote=punix:${file('db.sock')}`, ...daemon('ovsdb-server'));
  await vsctl('--no-wait', 'init');
  await run('ovs-vswitchd', db, ...daemon('ovs-vswitchd'));
  lab.ip(ns, 'addr', 'flush', 'dev', o.underlayDev);
  // Without --no-wait, ovs-vsctl returns once ovs-vswitchd has applied the change.
  await vsctl('add-br', 'br-phy', '--', 'set', 'bridge', 'br-phy', 'datapath_type=netdev', '--', 'add-port', 'br-phy', o.underlayDev);
  await vsctl(
    ...['add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev', '--', 'set', 'interface', 'br-int', `mtu_request=${o.mtu}`],
    ...['--', 'add-port', 'br-int', 'vxlan0', '--', 'set', 'interface', 'vxlan0', 'type=vxlan'],
    ...[`options:remote_ip=${o.remote}`, `options:key=${o.vni}`, `options:dst_port=${o.port}`],
  );
  for (const [dev, address] of [['br-phy', o.underlay], ['br-int', o.overlay]] as const) {
    lab.ip(ns, 'addr', 'add', address, 'dev', dev);
    lab.ip(ns, 'link', 'set', dev, 'up');
  }
  return Number(readFileSync(file('ovs-vswitchd.pid'), 'utf8').trim());
}
