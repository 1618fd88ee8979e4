// Programs a kernel vxlan device from the store, as flanneld does: flood-list remotes
// with `bridge fdb append 00:00:00:00:00:00`, the members' MACs with `bridge fdb
// replace ... static`, their overlay addresses with `ip neigh replace ... nud permanent`.
// Every entry it writes carries the kernel's `extern_learn` flag (NTF_EXT_LEARNED, the
// mark controllers such as EVPN daemons put on what they program): that is its owner tag,
// and it survives a restart of the agent. Entries without it were made by hand; they
// are left alone and reported as not programmed. The kernel keeps the flag per FDB entry,
// not per remote, so a flood-list remote is taken as the agent's when the agent wrote it
// or, at start, when it leads to a host whose MAC entry is marked.
import type { Logger } from '../ops/log.js';
import { runCommand, runJson } from '../ops/run-command.js';
import type { TableSink } from './membership.js';
import { dstKey, emptyDesired, noChanges, type Changes, type Desired, type Dst } from './reconcile.js';

const ZERO = '00:00:00:00:00:00';
const MARK = 'extern_learn';

interface FdbJson {
  mac: string;
  dst?: string;
  port?: number;
  state?: string;
  flags?: string[];
}

interface NeighJson {
  dst: string;
  lladdr?: string;
  state?: string[];
  extern_learn?: null;
}

export class KernelSink implements TableSink {
  /** Flood-list remotes this agent owns (`address port`). */
  private readonly flood = new Set<string>();

  constructor(
    private readonly device: string,
    /** The device's dstport: remotes on it are written without a port. */
    private readonly devicePort: number,
    private readonly log: Logger,
  ) {}

  private async fdbRows(): Promise<FdbJson[]> {
    return runJson<FdbJson[]>('bridge', ['fdb', 'show', 'dev', this.device]);
  }

  private async neighRows(): Promise<NeighJson[]> {
    return runJson<NeighJson[]>('ip', ['neigh', 'show', 'dev', this.device]);
  }

  /**
   * What an earlier run of the agent left marked on the device: the follower starts from
   * it, so that entries of members gone meanwhile are removed by the first pass.
   */
  async adopt(): Promise<Desired> {
    const held = emptyDesired();
    const fdb = await this.fdbRows();
    for (const row of fdb) {
      if (row.mac !== ZERO && row.dst !== undefined && row.flags?.includes(MARK)) held.fdb.set(row.mac, { address: row.dst, port: row.port ?? this.devicePort });
    }
    const hosts = new Set([...held.fdb.values()].map((dst) => dst.address));
    for (const row of fdb) {
      if (row.mac !== ZERO || row.dst === undefined || !hosts.has(row.dst)) continue;
      const dst = { address: row.dst, port: row.port ?? this.devicePort };
      held.flood.set(dstKey(dst), dst);
      this.flood.add(dstKey(dst));
    }
    for (const row of await this.neighRows()) if (MARK in row && row.lladdr !== undefined) held.neigh.set(row.dst, row.lladdr);
    return held;
  }

  private dstWords(dst: Dst): string[] {
    return ['dst', dst.address, ...(dst.port === this.devicePort ? [] : ['port', String(dst.port)])];
  }

  /** Runs one command; false (and a log line) when it fails. */
  private async exec(command: 'bridge' | 'ip', args: string[]): Promise<boolean> {
    try {
      await runCommand(command, args);
      return true;
    } catch (err) {
      this.log.warn({ command: [command, ...args].join(' '), reason: String((err as { stderr?: string }).stderr ?? err).trim() }, 'kernel entry not written');
      return false;
    }
  }

  async apply(changes: Changes): Promise<Changes> {
    const failed = noChanges();
    const dev = ['dev', this.device];
    // Who holds each MAC and address now: ours (marked), by hand (unmarked), or nobody.
    const fdbOwner = new Map<string, 'ours' | 'hand'>();
    const neighOwner = new Map<string, 'ours' | 'hand'>();
    if (changes.fdbSet.length + changes.fdbDel.length > 0) {
      for (const row of await this.fdbRows()) {
        if (row.mac === ZERO) continue;
        if (row.flags?.includes(MARK)) fdbOwner.set(row.mac, 'ours');
        else if (row.state === 'permanent' || row.state === 'static') fdbOwner.set(row.mac, 'hand');
      }
    }
    if (changes.neighSet.length + changes.neighDel.length > 0) {
      for (const row of await this.neighRows()) {
        if (MARK in row) neighOwner.set(row.dst, 'ours');
        else if (row.state?.includes('PERMANENT')) neighOwner.set(row.dst, 'hand');
      }
    }
    for (const dst of changes.floodDel) {
      if (!this.flood.has(dstKey(dst))) continue;
      if (await this.exec('bridge', ['fdb', 'del', ZERO, ...dev, ...this.dstWords(dst)])) this.flood.delete(dstKey(dst));
      else failed.floodDel.push(dst);
    }
    for (const [mac, dst] of changes.fdbDel) {
      if (fdbOwner.get(mac) === 'ours' && !(await this.exec('bridge', ['fdb', 'del', mac, ...dev]))) failed.fdbDel.push([mac, dst]);
    }
    for (const [ip, mac] of changes.neighDel) {
      if (neighOwner.get(ip) === 'ours' && !(await this.exec('ip', ['neigh', 'del', ip, ...dev]))) failed.neighDel.push([ip, mac]);
    }
    for (const dst of changes.floodAdd) {
      if (await this.exec('bridge', ['fdb', 'append', ZERO, ...dev, ...this.dstWords(dst), MARK])) this.flood.add(dstKey(dst));
      else failed.floodAdd.push(dst);
    }
    for (const [mac, dst] of changes.fdbSet) {
      const written = fdbOwner.get(mac) !== 'hand' && (await this.exec('bridge', ['fdb', 'replace', mac, ...dev, ...this.dstWords(dst), 'static', MARK]));
      if (!written) failed.fdbSet.push([mac, dst]);
    }
    for (const [ip, mac] of changes.neighSet) {
      const written = neighOwner.get(ip) !== 'hand' && (await this.exec('ip', ['neigh', 'replace', ip, 'lladdr', mac, ...dev, 'nud', 'permanent', MARK]));
      if (!written) failed.neighSet.push([ip, mac]);
    }
    return failed;
  }
}
