// The TAP port on the addon: created and configured through the addon, read in batches into a packet
// region, written whole frames at a time. Closing the fd removes the device, unless it is
// persistent: made with --persist, or made by an administrator for this user.
// With offloads the kernel hands over 64 KB TCP super-frames and takes them back: the
// addon cuts what it reads into a train of segments (one batch entry, decided on once)
// and merges what it writes.
// Without CAP_NET_ADMIN (rootless), a TAP an administrator made for this user
// (`ip tuntap add dev NAME mode tap user USER`) is attached to as it is: its offloads are
// set (the owner may), its MTU, MAC, addresses, link state and bridge are only checked.
import { readFileSync } from 'node:fs';
import { SocketAddress } from 'node:net';
import { userInfo } from 'node:os';
import { errnoName, loadNative, type FdReader, type LinkInfo, type NativeAddon, type NativeError, type OffloadReader } from './native.js';
import { RuntimeError } from '../config/errors.js';
import type { DatagramBatch, FrameBatch } from '../engine/batch.js';
import type { TapOffloadStats, TapOptions, TapPort, TapPorts } from '../datapath/ports.js';
import { formatMac } from '../wire/mac.js';

/** This user as `ip tuntap add ... user` takes it: the name, else the uid. */
function thisUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.geteuid!());
  }
}

/** The advice that makes a TAP for this user, in the words of iproute2. */
const makeForThisUser = (name: string): string => `ip tuntap add dev ${name} mode tap user ${thisUser()}`;

/** Says in one line why the kernel refused, and what to do about it. */
function explainTapError(err: NativeError, name: string, mtu: number, bridge: string | undefined, queues: number): string {
  const label = name === '' ? 'the TAP device' : `TAP device ${name}`;
  // Opening the node takes only file permissions; creating the device takes CAP_NET_ADMIN.
  if (err.step === 'open') {
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      return `/dev/net/tun cannot be opened (${err.code}): its mode does not let this user open it (usually crw-rw-rw-: chmod 0666 /dev/net/tun), or run as root`;
    }
    return '/dev/net/tun is missing: load the tun module (modprobe tun) or create the device node';
  }
  if (err.code === 'EPERM' || err.code === 'EACCES') {
    const rootless = err.step === 'TUNSETIFF' && name !== '' ? `, or have it made for this user: ${makeForThisUser(name)} (as root)` : '';
    return `cannot create ${label}: CAP_NET_ADMIN is needed (run as root)${rootless}`;
  }
  switch (err.step) {
    case 'TUNSETIFF':
      if (err.code === 'EBUSY') return `cannot create ${label}: the name is taken by a device in use`;
      // A device made without IFF_MULTI_QUEUE refuses a multi-queue open (and the other way round).
      if (err.code === 'EINVAL' && queues > 1) return `cannot open ${label} with ${queues} queues: it exists without multi_queue (or is not a TAP); delete it, make it with \`ip tuntap add dev ${name} mode tap multi_queue\`, or run with --threads 1`;
      if (err.code === 'EINVAL') return `cannot create ${label}: the name is taken by a device that is not a TAP (or one made with multi_queue: run with --threads above 1)`;
      break;
    case 'SIOCBRADDIF':
      return err.code === 'ENODEV' ? `bridge ${bridge} does not exist` : `cannot attach ${label} to ${bridge}: not a bridge? (${err.code})`;
    case 'TUNSETOFFLOAD':
    case 'TUNSETVNETHDRSZ':
      return `the kernel refused TAP offloads for ${label} (${err.code}): run with --offload off`;
    case 'SIOCSIFMTU':
      return `the kernel refused MTU ${mtu} for ${label} (${err.code})`;
  }
  return `${label}: ${err.message}`;
}

/** Whether this process holds CAP_NET_ADMIN (bit 12 of its effective set). */
function hasNetAdmin(): boolean {
  try {
    const effective = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return effective === undefined || ((BigInt(`0x${effective}`) >> 12n) & 1n) === 1n;
  } catch {
    return true;
  }
}

type Tun = NonNullable<LinkInfo['tun']>;

/** The kernel's rule (tun_not_capable): the owner, or a member of the group, may attach without CAP_NET_ADMIN. */
function ownedByThisUser(tun: Tun): boolean {
  if (tun.owner !== -1 && tun.owner === process.geteuid!()) return true;
  return tun.group !== -1 && (tun.group === process.getegid!() || process.getgroups!().includes(tun.group));
}

/**
 * How to open the TAP: 'create' a new one (or let the kernel say why not), 'manage' an
 * existing one with CAP_NET_ADMIN (set up as a new one), or 'attach' without it to one
 * made for this user. Throws the one line for a TAP that is someone else's.
 */
function tapMode(name: string, found: LinkInfo | null, netAdmin: boolean): 'create' | 'manage' | 'attach' {
  // No TAP of that name (or another kind of device): TUNSETIFF creates it or says why not.
  if (found === null || found.tun === undefined || !found.tun.tap) return 'create';
  const { owner, group } = found.tun;
  const label = `TAP device ${name}`;
  if ((owner !== -1 || group !== -1) && !ownedByThisUser(found.tun)) {
    const whose = owner !== -1 ? `user ${owner}` : `group ${group}`;
    const instead = netAdmin ? `ip tuntap del dev ${name} mode tap` : `ip tuntap del dev ${name} mode tap && ${makeForThisUser(name)}`;
    return fail(`${label} belongs to ${whose}, not to this user (${thisUser()}): not taking it over; name another --tap, or ${instead} (as root)`);
  }
  if (netAdmin) return 'manage';
  if (owner === -1 && group === -1) {
    return fail(`${label} has no owner, so only CAP_NET_ADMIN may use it: ip tuntap del dev ${name} mode tap && ${makeForThisUser(name)} (as root), or run as root`);
  }
  return 'attach';
}

function fail(message: string): never {
  throw new RuntimeError(message);
}

/** An address as inet_ntop writes it, to compare two spellings. */
const canonical = (address: string): string => new SocketAddress({ address, family: address.includes(':') ? 'ipv6' : 'ipv4' }).address;

/**
 * What an attached TAP lacks of its settings (only an administrator may change them), as
 * one line naming the commands that fix it all; undefined when it is as configured. An
 * explicit MAC is checked; a derived one (--mac persistent) gives way to the device's.
 */
function attachMismatch(native: NativeAddon, found: LinkInfo, options: TapOptions): string | undefined {
  const { name } = options;
  const problems: string[] = [];
  const link: string[] = [];
  if (found.mtu !== options.mtu) {
    problems.push(`has MTU ${found.mtu}, not ${options.mtu}`);
    link.push('mtu', String(options.mtu));
  }
  if (options.mac instanceof Uint8Array) {
    const has = formatMac(native.getMac(name));
    if (has !== formatMac(options.mac)) {
      problems.push(`has MAC ${has}, not ${formatMac(options.mac)}`);
      link.push('address', formatMac(options.mac));
    }
  }
  if (options.bridge !== undefined) {
    const bridge = native.linkInfo(options.bridge);
    if (bridge === null) fail(`bridge ${options.bridge} does not exist`);
    if (found.master !== bridge.index) {
      problems.push(`is not a port of bridge ${options.bridge}`);
      link.push('master', options.bridge);
    }
  }
  if (!found.up) {
    problems.push('is down');
    link.push('up');
  }
  const has = new Set(found.addresses.map((a) => `${canonical(a.address)}/${a.prefixLength}`));
  const missing = options.addresses.map((a) => `${canonical(a.address)}/${a.prefixLength}`).filter((cidr) => !has.has(cidr));
  problems.push(...missing.map((cidr) => `lacks address ${cidr}`));
  const commands = [...(link.length > 0 ? [`ip link set ${name} ${link.join(' ')}`] : []), ...missing.map((cidr) => `ip addr add ${cidr} dev ${name}`)];
  return problems.length === 0 ? undefined : `TAP device ${name} ${problems.join('; ')}: ${commands.join(' && ')} (as root)`;
}

class TapDevice implements TapPort {
  private reader: FdReader | undefined;
  private offloadReader: OffloadReader | undefined;
  private closed = false;

  private constructor(
    private readonly fd: number,
    readonly name: string,
    readonly mac: Uint8Array,
    /** Opened with IFF_VNET_HDR: every read and write carries a virtio_net_hdr. */
    readonly offload: boolean,
    readonly coalesce: boolean,
  ) {}

  static open(options: TapOptions): TapDevice {
    const native = loadNative();
    let opened: { fd: number; name: string } | undefined;
    try {
      const found = options.name === '' ? null : native.linkInfo(options.name);
      const mode = tapMode(options.name, found, hasNetAdmin());
      if (mode === 'attach') {
        const mismatch = attachMismatch(native, found!, options);
        if (mismatch !== undefined) fail(mismatch);
        // The administrator's TAP: offloads set, nothing else touched, persistent as made.
        opened = native.openTap(options.name, options.offload, options.queues > 1);
        return new TapDevice(opened.fd, opened.name, new Uint8Array(native.getMac(opened.name)), options.offload, options.offload && options.coalesce);
      }
      opened = native.openTap(options.name, options.offload, options.queues > 1);
      if (options.persist) native.setPersist(opened.fd, true);
      native.setMtu(opened.name, options.mtu);
      const mac = typeof options.mac === 'function' ? options.mac(opened.name) : options.mac;
      if (mac !== undefined) native.setMac(opened.name, Buffer.from(mac));
      const name = opened.name;
      // A TAP found again (persistent) has its addresses and bridge already.
      const unlessKept = (step: () => void): void => {
        try {
          step();
        } catch (err) {
          if (mode !== 'manage' || !['EEXIST', 'EBUSY'].includes((err as NativeError).code ?? '')) throw err;
        }
      };
      for (const cidr of options.addresses) unlessKept(() => native.addAddress(name, cidr.address, cidr.prefixLength));
      native.setUp(opened.name, true);
      if (options.bridge !== undefined) unlessKept(() => native.addToBridge(options.bridge!, name));
      // A persistent TAP with no owner is one vxlan-tap (--persist) or plain `ip tuntap
      // add` left: run without --persist, it goes with this process. One made for a user
      // or group is an administrator's, and stays.
      const tun = found?.tun;
      if (!options.persist && mode === 'manage' && tun?.persist === true && tun.owner === -1 && tun.group === -1) native.setPersist(opened.fd, false);
      return new TapDevice(opened.fd, opened.name, new Uint8Array(native.getMac(opened.name)), options.offload, options.offload && options.coalesce);
    } catch (err) {
      if (opened !== undefined) native.closeFd(opened.fd);
      if (err instanceof RuntimeError) throw err;
      throw new RuntimeError(explainTapError(err as NativeError, opened?.name ?? options.name, options.mtu, options.bridge, options.queues));
    }
  }

  /** The first queue as open() made it, and options.queues - 1 more queues of the same device. */
  static openQueues(options: TapOptions): TapDevice[] {
    const first = TapDevice.open(options);
    const queues = [first];
    const native = loadNative();
    try {
      while (queues.length < options.queues) {
        const { fd } = native.openTap(first.name, options.offload, true);
        queues.push(new TapDevice(fd, first.name, first.mac, first.offload, first.coalesce));
      }
    } catch (err) {
      for (const queue of queues) queue.close();
      throw new RuntimeError(`TAP device ${first.name}: cannot open queue ${queues.length + 1} of ${options.queues}: ${(err as Error).message}`);
    }
    return queues;
  }

  startReading(
    region: ArrayBuffer,
    batch: DatagramBatch,
    frameCapacity: number,
    onBatch: (count: number) => void,
    onFailure: (code: string) => void,
  ): void {
    const native = loadNative();
    const onRead = (count: number): void => (count < 0 ? onFailure(errnoName(-count)) : onBatch(count));
    const args = [this.fd, region, batch.words, frameCapacity, onRead] as const;
    if (this.offload) this.reader = this.offloadReader = new native.OffloadReader(...args);
    else this.reader = new native.FdReader(...args);
    this.reader.start();
  }

  offloadStats(): TapOffloadStats | undefined {
    return this.offloadReader?.stats();
  }

  writeFrames(buf: Uint8Array, frames: FrameBatch): number {
    const native = loadNative();
    if (this.offload) return native.writeFramesOffload(this.fd, buf, frames.words, frames.count, this.coalesce);
    return native.writeFrames(this.fd, buf, frames.words, frames.count);
  }

  /**
   * A TAP a predecessor opened and configured, handed over as the open fd: used as it is
   * (same name, MTU, addresses, offload flags), never set up again.
   */
  static adopt(fd: number, name: string, options: Pick<TapOptions, 'offload' | 'coalesce'>): TapDevice {
    const mac = new Uint8Array(loadNative().getMac(name));
    return new TapDevice(fd, name, mac, options.offload, options.offload && options.coalesce);
  }

  handoverFd(): number {
    return this.fd;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader?.stop();
    loadNative().closeFd(this.fd);
  }
}

/** TAP devices made through the addon. */
export const nativeTaps: TapPorts = {
  open: (options) => TapDevice.openQueues(options),
  adopt: (fd, name, options) => TapDevice.adopt(fd, name, options),
};
