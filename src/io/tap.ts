// The TAP port: created and configured through the addon, read in batches into a packet
// region, written whole frames at a time. Closing the fd removes the device.
// With offloads the kernel hands over 64 KB TCP super-frames and takes them back: the
// addon cuts what it reads into a train of segments (one batch entry, decided on once)
// and merges what it writes.
import { errnoName, loadNative, type FdReader, type NativeError, type OffloadReadStats, type OffloadReader } from './native.js';
import { RuntimeError } from '../config/errors.js';
import type { Cidr } from '../config/parse.js';
import type { DatagramBatch, FrameBatch } from '../engine/batch.js';

export interface TapOptions {
  /** Empty: the kernel picks tap0, tap1, ... */
  name: string;
  mtu: number;
  /** The MAC, or how to derive it from the device's name (known once the kernel picked it); none: the kernel's random one. */
  mac?: Uint8Array | ((name: string) => Uint8Array | undefined);
  addresses: Cidr[];
  /** An existing Linux bridge to attach the TAP to. */
  bridge?: string;
  /**
   * TAP offloads (IFF_VNET_HDR, checksum offload, TSO4/6): reads may be TCP super-frames,
   * segmented in the addon; writes carry a virtio_net_hdr.
   */
  offload: boolean;
  /**
   * With offload: merge consecutive same-flow TCP segments of a batch into one
   * super-frame per write. Some kernels had bugs in that path, so it can be turned off.
   */
  coalesce: boolean;
  /**
   * The TAP outlives the process (TUNSETPERSIST): a stop and start find it as it was,
   * its addresses (and bridge port) already in place.
   */
  persist?: boolean;
}

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

export class TapDevice {
  private reader: FdReader | undefined;
  private offloadReader: OffloadReader | undefined;
  private closed = false;

  private constructor(
    readonly fd: number,
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

  /**
   * Reads until EAGAIN or a full batch, packing the region: each frame behind 8 bytes of
   * room for its VXLAN header, listed in `batch` as a datagram, the segments of a
   * super-frame as one train. Then calls onBatch(count) once; the region is free again
   * when it returns. A train that does not fit continues into the next batch, so onBatch
   * may be called several times per readable event.
   */
  startReading(
    region: ArrayBuffer,
    batch: DatagramBatch,
    frameCapacity: number,
    onBatch: (count: number) => void,
    /** The device failed (deleted from outside: EBADFD; EIO): reading has stopped. */
    onFailure: (code: string) => void,
  ): void {
    const native = loadNative();
    const onRead = (count: number): void => (count < 0 ? onFailure(errnoName(-count)) : onBatch(count));
    const args = [this.fd, region, batch.words, frameCapacity, onRead] as const;
    if (this.offload) this.reader = this.offloadReader = new native.OffloadReader(...args);
    else this.reader = new native.FdReader(...args);
    this.reader.start();
  }

  /** Super-frames read and segmented so far (offload only). */
  offloadStats(): OffloadReadStats | undefined {
    return this.offloadReader?.stats();
  }

  /**
   * Writes every listed frame of `buf` in one native call; returns how many the kernel
   * took, and leaves the length of each refused one negated.
   */
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

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.reader?.stop();
    loadNative().closeFd(this.fd);
  }
}
