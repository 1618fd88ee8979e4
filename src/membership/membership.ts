// Membership of one VTEP (vxlan-tap, or a kernel device run by `agent`): its record in
// etcd, and its tables kept equal to everyone else's records, one VNI at a time. Store
// changes are coalesced: a burst of events costs one reconcile pass, and a pass that is
// still writing (the kernel agent runs iproute2) is followed by exactly one more.
import type { Logger } from '../ops/log.js';
import type { MembershipConfig } from '../config/membership.js';
import { changeCount, desiredState, diff, emptyDesired, heldAfter, programmedState, type Changes, type Desired, type Programmed } from './reconcile.js';
import { RuntimeError } from '../config/errors.js';
import { memberKey, underlayProblem, type Member, type MemberRecord } from './record.js';
import { MemberStore } from './store.js';

/** Where the follower writes: a segment's tables in vxlan-tap, a kernel device in the agent. */
export interface TableSink {
  /** Applies what it can; resolves with the changes it could not make. */
  apply(changes: Changes): Promise<Changes>;
}

/** One VNI served here and where its entries go. */
export interface MembershipTarget {
  vni: number;
  sink: TableSink;
  /** What the sink holds from an earlier run, if it keeps entries across runs (a kernel device). */
  held?: Desired;
}

/** One line of `vxlan-tap members`. */
export interface MemberView extends MemberRecord {
  key: string;
  self: boolean;
  /** Seconds until its lease expires, when etcd could say. */
  leaseSeconds?: number;
  programmed: Programmed;
}

export interface MembersReport {
  network: string;
  /** Whether the view is live (false: the last known state while etcd is away). */
  connected: boolean;
  members: MemberView[];
  /** Records left out as untrustworthy (bad, no lease, too large, a key not naming its address), with why. */
  ignored?: { key: string; reason: string }[];
  /** Members left out because the network has more than --etcd-max-members (the newest). */
  overLimit?: number;
}

export class Membership {
  private readonly store: MemberStore;
  private readonly held = new Map<number, Desired>();
  private running: Promise<void> | undefined;
  private pending = false;
  /** Conflicts and unwritable entries of the last pass, already logged. */
  private reported = new Set<string>();
  /** Members beyond --etcd-max-members in the last pass: left out. */
  private overLimit = new Set<string>();

  private constructor(
    private readonly config: MembershipConfig,
    self: MemberRecord,
    private readonly targets: MembershipTarget[],
    private readonly log: Logger,
  ) {
    for (const { vni, held } of targets) this.held.set(vni, held ?? emptyDesired());
    const key = memberKey(config.prefix, config.network, self.address);
    this.store = new MemberStore(config, key, self, () => this.schedule(), log);
  }

  /** Throws when this member's own address could not be a member's (the others would ignore it). */
  static start(config: MembershipConfig, self: MemberRecord, targets: MembershipTarget[], log: Logger): Membership {
    const problem = underlayProblem(self.address, config);
    if (problem !== undefined) throw new RuntimeError(`this member's underlay ${problem}: give --local`);
    const membership = new Membership(config, self, targets, log.child({ network: config.network }));
    membership.log.info({ key: membership.store.selfKey, ttl: config.ttlSeconds, endpoints: config.endpoints }, 'joining');
    membership.store.start();
    return membership;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    const previous = this.running ?? Promise.resolve();
    this.running = previous.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.reconcile());
  }

  private async reconcile(): Promise<void> {
    this.pending = false;
    const members = this.withinLimit([...this.store.members.values()]);
    const problems = new Map<string, () => void>();
    for (const { vni, sink } of this.targets) {
      const { desired, conflicts } = desiredState(members, this.store.selfKey, vni);
      for (const c of conflicts) {
        const what = c.kind === 'mac' ? 'MAC' : 'overlay address';
        problems.set(`${vni} ${c.kind} ${c.value} ${c.loser}`, () => this.log.warn({ vni, [c.kind]: c.value, kept: c.winner, ignored: c.loser }, `two members claim one ${what}: the older claim is kept`));
      }
      const changes = diff(this.held.get(vni)!, desired);
      if (changeCount(changes) === 0) continue;
      const failed = await sink.apply(changes).catch((err: Error) => {
        this.log.warn({ vni, reason: err.message }, 'could not program the store entries');
        return changes;
      });
      this.held.set(vni, heldAfter(desired, failed));
      for (const [kind, list] of Object.entries(failed) as [string, unknown[]][]) {
        for (const entry of list) {
          problems.set(`${vni} ${kind} ${JSON.stringify(entry)}`, () => this.log.warn({ vni, [kind]: entry }, 'store entry not programmed: an entry made by hand is in the way, or the table is full'));
        }
      }
      this.log.debug({ vni, changes: changeCount(changes), notMade: changeCount(failed) }, 'programmed from the store');
    }
    // A lasting conflict or blocked entry is logged once, not on every pass.
    for (const [id, report] of problems) if (!this.reported.has(id)) report();
    this.reported = new Set(problems.keys());
  }

  /**
   * At most --etcd-max-members members, this one and the oldest others (by creation):
   * a flood of records cannot make every broadcast go out a thousand times. Logged once
   * when the limit is first reached, and again only after the network fell back under it.
   */
  private withinLimit(members: Member[]): Member[] {
    const max = this.config.maxMembers;
    if (members.length <= max) {
      this.overLimit.clear();
      return members;
    }
    const self = members.filter((m) => m.key === this.store.selfKey);
    const others = members.filter((m) => m.key !== this.store.selfKey).sort((a, b) => (a.createRevision < b.createRevision ? -1 : a.createRevision > b.createRevision ? 1 : a.key < b.key ? -1 : 1));
    const kept = [...self, ...others.slice(0, max - self.length)];
    const left = others.slice(max - self.length);
    if (this.overLimit.size === 0) this.log.warn({ maxMembers: max, members: members.length, ignored: left.length }, 'more members than --etcd-max-members: the newest are left out');
    this.overLimit = new Set(left.map((m) => m.key));
    return kept;
  }

  async report(): Promise<MembersReport> {
    const members = [...this.store.members.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    const leases = await this.store.leaseTimes(members.map((m) => m.lease));
    return {
      network: this.config.network,
      connected: this.store.reachable,
      members: members.map((m) => ({
        key: m.key,
        ...m.record,
        self: m.key === this.store.selfKey,
        ...(leases.has(m.lease) ? { leaseSeconds: leases.get(m.lease)! } : {}),
        programmed: programmedState(m, this.store.selfKey, this.held),
      })),
      ignored: this.store.ignored,
      overLimit: this.overLimit.size,
    };
  }

  /** Revokes the lease (this member is gone from the others at once) and stops following. */
  async stop(): Promise<void> {
    await this.store.stop();
    await this.running;
  }
}
