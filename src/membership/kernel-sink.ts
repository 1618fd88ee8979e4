// Programs a kernel vxlan device from the store, as flanneld does: flood-list remotes
// with `bridge fdb append 00:00:00:00:00:00`, the members' MACs with `bridge fdb
// replace ... static`, their overlay addresses with `ip neigh replace ... nud permanent`.
// The kernel keeps no owner on an entry, so the sink remembers what it wrote and changes
// only that; an entry someone made by hand (permanent or static, not written here) is
// left alone and reported as not programmed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import type { TableSink } from './membership.js';
import { dstKey, noChanges, type Changes, type Dst } from './reconcile.js';

const run = promisify(execFile);
const ZERO = '00:00:00:00:00:00';

interface FdbJson {
  mac: string;
  dst?: string;
  state?: string;
}

interface NeighJson {
  dst: string;
  state?: string[];
}

export class KernelSink implements TableSink {
  /** What this sink wrote: flood remotes, MAC -> dst, address -> MAC. */
  private readonly flood = new Set<string>();
  private readonly fdb = new Map<string, string>();
  private readonly neigh = new Set<string>();

  constructor(
    private readonly device: string,
    /** The device's dstport: remotes on it are written without a port. */
    private readonly devicePort: number,
    private readonly log: Logger,
  ) {}

  private dstWords(dst: Dst): string[] {
    return ['dst', dst.address, ...(dst.port === this.devicePort ? [] : ['port', String(dst.port)])];
  }

  /** Runs one command; false (and a log line) when it fails. */
  private async exec(command: 'bridge' | 'ip', args: string[]): Promise<boolean> {
    try {
      await run(command, args);
      return true;
    } catch (err) {
      this.log.warn({ command: [command, ...args].join(' '), reason: String((err as { stderr?: string }).stderr ?? err).trim() }, 'kernel entry not written');
      return false;
    }
  }

  async apply(changes: Changes): Promise<Changes> {
    const failed = noChanges();
    const dev = ['dev', this.device];
    const handMadeFdb = new Set<string>();
    const handMadeNeigh = new Set<string>();
    if (changes.fdbSet.length > 0) {
      const rows = JSON.parse((await run('bridge', ['-j', 'fdb', 'show', ...dev])).stdout) as FdbJson[];
      for (const row of rows) if ((row.state === 'permanent' || row.state === 'static') && row.mac !== ZERO && this.fdb.get(row.mac) !== row.dst) handMadeFdb.add(row.mac);
    }
    if (changes.neighSet.length > 0) {
      const rows = JSON.parse((await run('ip', ['-j', 'neigh', 'show', ...dev])).stdout) as NeighJson[];
      for (const row of rows) if (row.state?.includes('PERMANENT') && !this.neigh.has(row.dst)) handMadeNeigh.add(row.dst);
    }
    for (const dst of changes.floodDel) {
      if (!this.flood.has(dstKey(dst))) continue;
      if (await this.exec('bridge', ['fdb', 'del', ZERO, ...dev, ...this.dstWords(dst)])) this.flood.delete(dstKey(dst));
      else failed.floodDel.push(dst);
    }
    for (const [mac, dst] of changes.fdbDel) {
      if (this.fdb.get(mac) !== dst.address) continue;
      if (await this.exec('bridge', ['fdb', 'del', mac, ...dev, ...this.dstWords(dst)])) this.fdb.delete(mac);
      else failed.fdbDel.push([mac, dst]);
    }
    for (const [ip, mac] of changes.neighDel) {
      if (!this.neigh.has(ip)) continue;
      if (await this.exec('ip', ['neigh', 'del', ip, ...dev])) this.neigh.delete(ip);
      else failed.neighDel.push([ip, mac]);
    }
    for (const dst of changes.floodAdd) {
      if (await this.exec('bridge', ['fdb', 'append', ZERO, ...dev, ...this.dstWords(dst)])) this.flood.add(dstKey(dst));
      else failed.floodAdd.push(dst);
    }
    for (const [mac, dst] of changes.fdbSet) {
      if (!handMadeFdb.has(mac) && (await this.exec('bridge', ['fdb', 'replace', mac, ...dev, ...this.dstWords(dst), 'static']))) this.fdb.set(mac, dst.address);
      else failed.fdbSet.push([mac, dst]);
    }
    for (const [ip, mac] of changes.neighSet) {
      if (!handMadeNeigh.has(ip) && (await this.exec('ip', ['neigh', 'replace', ip, 'lladdr', mac, ...dev, 'nud', 'permanent']))) this.neigh.add(ip);
      else failed.neighSet.push([ip, mac]);
    }
    return failed;
  }
}
