// The TAP port on the addon: created and configured through the addon, read in batches into a packet
// region, written whole frames at a time. Closing the fd removes the device.
// With offloads the kernel hands over 64 KB TCP super-frames and takes them back: the
// addon cuts what it reads into a train of segments (one batch entry, decided on once)
// and merges what it writes.
import { errnoName, loadNative, type FdReader, type NativeError, type OffloadReader } from './native.js';
import { RuntimeError } from '../config/errors.js';
import type { DatagramBatch, FrameBatch } from '../engine/batch.js';
import type { TapOffloadStats, TapOptions, TapPort, TapPorts } from '../datapath/ports.js';

/** Says in one line why the kernel refused, and what to do about it. */
function explainTapError(err: NativeError, name: string, mtu: number, bridge?: string): string {
  const label = name === '' ? 'the TAP device' : `TAP device ${name}`;
  // Opening the node takes only file permissions; creating the device takes CAP_NET_ADMIN.
  if (err.step === 'open') {
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      return `/dev/net/tun cannot be opened (${err.code}): its mode does not let this user open it (usually crw-rw-rw-: chmod 0666 /dev/net/tun), or run as root`;
    }
    return '/dev/net/tun is missing: load the tun module (modprobe tun) or create the device node';
  }
  if (err.code === 'EPERM' || err.code === 'EACCES') return `cannot create ${label}: CAP_NET_ADMIN is needed (run as root)`;
  switch (err.step) {
    case 'TUNSETIFF':
      if (err.code === 'EBUSY') return `cannot create ${label}: the name is taken by a device in use`;
      if (err.code === 'EINVAL') return `cannot create ${label}: the name is taken by a device that is not a TAP`;
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
      opened = native.openTap(options.name, options.offload);
      if (options.persist) native.setPersist(opened.fd, true);
      native.setMtu(opened.name, options.mtu);
      const mac = typeof options.mac === 'function' ? options.mac(opened.name) : options.mac;
      if (mac !== undefined) native.setMac(opened.name, Buffer.from(mac));
      const name = opened.name;
      // A persistent TAP found again has its addresses and bridge already.
      const unlessKept = (step: () => void): void => {
        try {
          step();
        } catch (err) {
          if (!options.persist || !['EEXIST', 'EBUSY'].includes((err as NativeError).code ?? '')) throw err;
        }
      };
      for (const cidr of options.addresses) unlessKept(() => native.addAddress(name, cidr.address, cidr.prefixLength));
      native.setUp(opened.name, true);
      if (options.bridge !== undefined) unlessKept(() => native.addToBridge(options.bridge!, name));
      return new TapDevice(opened.fd, opened.name, new Uint8Array(native.getMac(opened.name)), options.offload, options.offload && options.coalesce);
    } catch (err) {
      if (opened !== undefined) native.closeFd(opened.fd);
      throw new RuntimeError(explainTapError(err as NativeError, opened?.name ?? options.name, options.mtu, options.bridge));
    }
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
  open: (options) => TapDevice.open(options),
  adopt: (fd, name, options) => TapDevice.adopt(fd, name, options),
};
