// Loads the N-API addon built by `npm install` and gives its exports types.
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../lab/package-root.js';

export interface FdReader {
  start(): void;
  stop(): void;
}

/** What the offload reader did with what the TAP handed it. */
export interface OffloadReadStats {
  /** TCP super-frames (TSO) read. */
  superFrames: number;
  /** Frames they were cut into. */
  segments: number;
  /** Reads that could not be used: malformed, or a segment larger than a slot. */
  dropped: number;
}

export interface OffloadReader extends FdReader {
  stats(): OffloadReadStats;
}

export interface NativeAddon {
  /** With `offload`: IFF_VNET_HDR, TSO4/6 and checksum offload (every read and write has a virtio_net_hdr). */
  openTap(name: string, offload?: boolean): { fd: number; name: string };
  setMtu(name: string, mtu: number): void;
  setMac(name: string, mac: Buffer): void;
  getMac(name: string): Buffer;
  setUp(name: string, up: boolean): void;
  addAddress(name: string, address: string, prefixLength: number): void;
  addToBridge(bridge: string, name: string): void;
  closeFd(fd: number): void;
  writeFrames(fd: number, bytes: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number): number;
  /** writeFrames for an offload TAP: a virtio_net_hdr before each frame, same-flow TCP segments merged if `coalesce`. */
  writeFramesOffload(fd: number, bytes: Uint8Array, offsets: Int32Array, lengths: Int32Array, count: number, coalesce: boolean): number;
  FdReader: new (
    fd: number,
    region: ArrayBuffer,
    offsets: Int32Array,
    lengths: Int32Array,
    capacity: number,
    onBatch: (count: number) => void,
  ) => FdReader;
  /** FdReader for an offload TAP: super-frames are segmented, so JS sees the same frames. */
  OffloadReader: new (
    fd: number,
    region: ArrayBuffer,
    offsets: Int32Array,
    lengths: Int32Array,
    capacity: number,
    onBatch: (count: number) => void,
  ) => OffloadReader;
  UdpReceiver: new (
    options: UnderlayOptions,
    region: ArrayBuffer,
    offsets: Int32Array,
    lengths: Int32Array,
    sources: Uint8Array,
    tos: Uint8Array,
    capacity: number,
    onBatch: (count: number) => void,
  ) => UdpReceiver;
  UdpSender: new (options: UnderlayOptions) => UdpSender;
  /**
   * A device's transmit checksum ('tx') or TCP segmentation ('tso') offload, as `ethtool -k`
   * shows it, set first when `on` is given (`ethtool -K`). `netnsPath` is the namespace's
   * file (/run/netns/NAME), or '' for this process's own.
   */
  offloadFeature(netnsPath: string, ifname: string, feature: 'tx' | 'tso', on?: boolean): boolean;
}

/** Underlay settings shared by the UDP receiver and sender; '' means none. */
export interface UnderlayOptions {
  family: 4 | 6;
  local: string;
  port: number;
  device: string;
  groups: string[];
}

export interface UdpReceiver {
  start(): void;
  close(): void;
}

export interface UdpSender {
  send(
    bytes: Uint8Array,
    offsets: Int32Array,
    lengths: Int32Array,
    dsts: Uint8Array,
    ports: Int32Array,
    vnis: Int32Array,
    outer: Int32Array,
    count: number,
  ): number;
  close(): void;
}

/** A system call failure from the addon: `code` is the errno name (ENOENT, EPERM, ...). */
export interface NativeError extends Error {
  code?: string;
}


let addon: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  // node-gyp's output in the package root.
  addon ??= createRequire(import.meta.url)(path.join(packageRoot(), 'build/Release/vxlan_native.node')) as NativeAddon;
  return addon;
}
