// The etcd side of membership, through the etcd3 client: this host's record under a lease
// kept alive, and every member of the network followed. Each session reads the members
// folder, then watches it from the next revision, so no change between the two is
// missed. Anything that breaks a session (etcd unreachable, the watch cancelled because
// its revision was compacted, the lease lost) ends it; the next session starts after a
// backoff and resyncs fully. Meanwhile the last known members stay as they are, so the
// data plane keeps forwarding with them.
//
// Records are checked before they are trusted (checkMember); a bad one is left out,
// counted, and logged once per change. This member's own key is defended: when another
// writer changes or deletes it, it is written back at once and a warning names the writer's
// record.
import { Etcd3, type IKeyValue, type IOptions, type Lease, type Watcher } from 'etcd3';
import { cutLongValues } from '../config/errors.js';
import type { Logger } from '../ops/log.js';
import type { MembershipConfig } from '../config/membership.js';
import { checkMember, membersFolder, type Member, type MemberRecord, type RecordRules } from './record.js';

export type StoreOptions = Pick<MembershipConfig, 'endpoints' | 'prefix' | 'network' | 'ttlSeconds' | 'underlay' | 'tls' | 'auth'>;

/** The etcd3 client's settings for these options: endpoints, TLS, user and password. */
export function clientOptions(options: StoreOptions): IOptions {
  const { tls, auth } = options;
  return {
    hosts: options.endpoints,
    // Without --etcd-cacert the system's CAs check etcd (grpc's createSsl takes none as those).
    ...(tls === undefined ? {} : { credentials: { rootCertificate: tls.ca as Buffer, ...(tls.cert === undefined ? {} : { certChain: tls.cert, privateKey: tls.key }) } }),
    ...(auth === undefined ? {} : { auth: { username: auth.username, password: auth.password } }),
  };
}

const CALL_DEADLINE_MS = 3000;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 4000;

export class MemberStore {
  /** Key -> member, as of the last event seen. */
  readonly members = new Map<string, Member>();
  private client: Etcd3 | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lease: Lease | undefined;
  /** Leases of earlier sessions, revoked once the record lives under the new one. */
  private staleLeases: string[] = [];
  private unreachableSince: number | undefined;
  /** The current session has read the members and is watching. */
  private synced = false;
  /** Keys whose record is left out, with why and the revision logged. */
  private readonly badRecords = new Map<string, { reason: string; revision: string }>();
  private readonly rules: RecordRules;
  private readonly selfValue: string;
  /** The lease our record lives under, as the store writes it in a record ('' before one). */
  private selfLease = '';

  constructor(
    private readonly options: StoreOptions,
    readonly selfKey: string,
    private readonly selfRecord: MemberRecord,
    /** Called after every change to `members` (a full sync or one event). */
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {
    this.rules = { folder: this.folder, ...(options.underlay === undefined ? {} : { underlay: options.underlay }) };
    this.selfValue = JSON.stringify(selfRecord);
  }

  get folder(): string {
    return membersFolder(this.options.prefix, this.options.network);
  }

  /** Starts registering and following; returns at once (a store that is away is retried). */
  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.stopping) {
      const reason = await this.session().then(
        () => 'ended',
        (err: unknown) => (err as Error).message,
      );
      if (this.stopping) break;
      if (this.synced) backoff = BACKOFF_MIN_MS;
      this.synced = false;
      if (this.unreachableSince === undefined) {
        this.unreachableSince = Date.now();
        this.log.warn({ reason, members: this.members.size }, 'etcd unreachable: forwarding on the last known members, retrying');
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, backoff).unref();
      });
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  /** One session: register, read, watch until something breaks; throws why it ended. */
  private async session(): Promise<void> {
    const client = new Etcd3({
      ...clientOptions(this.options),
      dialTimeout: CALL_DEADLINE_MS,
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    });
    this.client = client;
    let watcher: Watcher | undefined;
    const lease = client.lease(this.options.ttlSeconds);
    try {
      const broken = new Promise<string>((resolve) => {
        lease.once('lost', (err: Error) => resolve(`lease lost: ${err.message}`));
        this.wake = () => resolve('stopping');
      });
      await lease.put(this.selfKey).value(this.selfValue).exec();
      this.selfLease = await lease.grant();
      this.lease = lease;
      for (const id of this.staleLeases.splice(0)) await client.leaseClient.leaseRevoke({ ID: id }).catch(() => undefined);
      const snapshot = await client.getAll().prefix(this.folder).exec();
      this.members.clear();
      for (const kv of snapshot.kvs) this.put(kv);
      this.onChange();
      const next = (BigInt(snapshot.header.revision) + 1n).toString();
      // The watcher is built before it connects so that a store gone meanwhile ends the
      // session (and the watcher is detached in `finally`) instead of waiting for it.
      const watching = client.watch().prefix(this.folder).startRevision(next).watcher();
      watcher = watching;
      const ended = new Promise<string>((resolve) => {
        watching.on('put', (kv) => (this.put(kv), this.onChange()));
        watching.on('delete', (kv) => (this.remove(kv), this.onChange()));
        watching.on('disconnected', (err) => resolve(`watch disconnected: ${err.message}`));
        watching.on('error', (err) => resolve(`watch ended: ${err.message}`));
      });
      const connected = new Promise<string>((resolve) => watching.once('connected', () => resolve('connected')));
      const first = await Promise.race([connected, ended, delay(CALL_DEADLINE_MS).then(() => 'watch not established in time')]);
      if (first !== 'connected') throw new Error(first);
      this.synced = true;
      if (this.unreachableSince !== undefined) {
        this.log.info({ outageSeconds: Math.round((Date.now() - this.unreachableSince) / 1000), members: this.members.size }, 'etcd reachable again: resynced');
        this.unreachableSince = undefined;
      } else this.log.info({ members: this.members.size, revision: snapshot.header.revision }, 'membership synced');
      const reason = await Promise.race([broken, ended]);
      if (reason !== 'stopping') throw new Error(reason);
    } finally {
      if (watcher !== undefined) {
        watcher.removeAllListeners();
        watcher.on('error', () => undefined);
        // Detached, or the client would keep re-establishing its stream after close().
        await Promise.race([watcher.cancel().catch(() => undefined), delay(CALL_DEADLINE_MS)]);
      }
      if (this.lease === lease && !this.stopping) {
        // Not revoked: the record stays while etcd is away; the next session moves it.
        lease.release();
        const id = await lease.grant().catch(() => undefined);
        if (id !== undefined) this.staleLeases.push(id);
        this.lease = undefined;
      }
      if (!this.stopping) {
        client.close();
        this.client = undefined;
      }
    }
  }

  private put(kv: IKeyValue): void {
    const key = kv.key.toString();
    const value = kv.value.toString();
    if (key === this.selfKey) {
      // Ours, whatever the store says: another writer's version is overwritten.
      if (value !== this.selfValue || kv.lease !== this.selfLease) this.defend(`another writer changed this member's record (lease ${kv.lease}): written back`, value);
      this.members.set(key, { key, record: this.selfRecord, createRevision: BigInt(kv.create_revision), lease: this.selfLease });
      return;
    }
    const record = checkMember({ key, value, lease: kv.lease }, this.rules);
    if (typeof record === 'string') {
      this.members.delete(key);
      if (this.badRecords.get(key)?.revision !== kv.mod_revision) this.log.warn({ key, reason: record }, 'member record ignored');
      this.badRecords.set(key, { reason: record, revision: kv.mod_revision });
      return;
    }
    this.badRecords.delete(key);
    this.members.set(key, { key, record, createRevision: BigInt(kv.create_revision), lease: kv.lease });
  }

  private remove(kv: IKeyValue): void {
    const key = kv.key.toString();
    this.badRecords.delete(key);
    if (key === this.selfKey && !this.stopping) return this.defend("another writer deleted this member's record: written back");
    this.members.delete(key);
  }

  /** Writes our record back under our lease, with a warning naming what was found. */
  private defend(message: string, found?: string): void {
    const lease = this.lease;
    this.log.warn({ key: this.selfKey, ...(found === undefined ? {} : { found: cutLongValues(found) }) }, message);
    if (lease === undefined) return; // the next session writes it anyway
    lease
      .put(this.selfKey)
      .value(this.selfValue)
      .exec()
      .catch((err: Error) => this.log.warn({ key: this.selfKey, reason: err.message }, 'could not write this member\'s record back'));
  }

  /** Records left out, with why (`members --json` shows them). */
  get ignored(): { key: string; reason: string }[] {
    return [...this.badRecords].map(([key, { reason }]) => ({ key, reason }));
  }

  /** Seconds each lease has left, for `members`; empty while etcd is away. */
  async leaseTimes(leases: string[]): Promise<Map<string, number>> {
    const times = new Map<string, number>();
    const client = this.client;
    if (client === undefined || !this.synced) return times;
    await Promise.all(
      [...new Set(leases)].filter((id) => id !== '0').map(async (id) => {
        const response = await client.leaseClient.leaseTimeToLive({ ID: id }).catch(() => undefined);
        if (response !== undefined) times.set(id, Number(response.TTL));
      }),
    );
    return times;
  }

  /** Whether the members are those of a session that is still going. */
  get reachable(): boolean {
    return this.synced;
  }

  /** Stops following and revokes the lease: our record goes at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.lease?.revoke().catch((err: Error) => this.log.warn({ reason: err.message }, 'could not revoke the lease: the record goes when it expires'));
    this.client?.close();
    this.client = undefined;
  }
}
