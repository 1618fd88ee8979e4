// Loads the N-API addon built by `npm install` and gives its exports types.
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import path from 'node:path';
import { packageRoot } from './package-root.js';

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

/** Word indices of the batch layout and the region sizes (native/src/batch_layout.h); read by src/io/batch-layout.ts. */
export interface ExportedLayout {
  datagram: Record<string, number>;
  frame: Record<string, number>;
  /** Bytes: the VXLAN header room in front of each frame a TAP reader lists, the entries' alignment, a UDP receive slot with GRO. */
  region: { headroom: number; alignment: number; groSlotBytes: number };
  /** The TAP writers' verdicts on a frame's inner TCP/UDP checksum (the frame layout's `checksum` word). */
  checksum: Record<string, number>;
}

/**
 * A reader's constructor: fd, packet region, batch (datagram layout), largest plain frame,
 * onBatch. The reader calls onBatch(count) per batch, or onBatch(-errno) once when its fd
 * failed (a TAP deleted from outside, EIO); it has stopped reading then.
 */
type ReaderConstructor<T> = new (fd: number, region: ArrayBuffer, batch: Int32Array, frameCapacity: number, onBatch: (count: number) => void) => T;

export interface NativeAddon {
  layout: ExportedLayout;
  /**
   * With `offload`: IFF_VNET_HDR, TSO4/6 and checksum offload (every read and write has a
   * virtio_net_hdr). With `multiQueue`: IFF_MULTI_QUEUE, each call on the name one more queue.
   */
  openTap(name: string, offload?: boolean, multiQueue?: boolean): { fd: number; name: string };
  setMtu(name: string, mtu: number): void;
  setMac(name: string, mac: Buffer): void;
  getMac(name: string): Buffer;
  setUp(name: string, up: boolean): void;
  addAddress(name: string, address: string, prefixLength: number): void;
  addToBridge(bridge: string, name: string): void;
  closeFd(fd: number): void;
  /** Writes frames (frame layout); returns how many the TAP took and negates the length of each refused one. */
  writeFrames(fd: number, bytes: Uint8Array, frames: Int32Array, count: number): number;
  /** TUNSETPERSIST: the TAP outlives its last fd. */
  setPersist(fd: number, on: boolean): void;
  /** A device as it is (rtnetlink, no privilege needed); null when there is none of that name. */
  linkInfo(name: string): LinkInfo | null;
  /** writeFrames for an offload TAP: a virtio_net_hdr before each frame, same-flow TCP segments merged if `coalesce`. */
  writeFramesOffload(fd: number, bytes: Uint8Array, frames: Int32Array, count: number, coalesce: boolean): number;
  /** Reads a plain TAP: one frame per datagram entry. */
  FdReader: ReaderConstructor<FdReader>;
  /** Reads an offload TAP: a super-frame becomes one train of segments. */
  OffloadReader: ReaderConstructor<OffloadReader>;
  /** The VXLAN port: one datagram (or one GRO train) per slot of `slotSize` bytes. */
  UdpReceiver: new (
    options: UnderlayOptions,
    region: ArrayBuffer,
    batch: Int32Array,
    slotSize: number,
    gro: boolean,
    onBatch: (count: number) => void,
  ) => UdpReceiver;
  /** After every readable event, keep draining every reader until this many µs pass without a packet; 0 off. */
  setBusyPoll(us: number): void;
  /**
   * UDP sockets on up to 32 ports of [srcPortMin, srcPortMax], with the underlay options
   * `receiver` was made with; onGsoOff is told once why GSO stopped. With `uniqueIds`, an
   * IPv4 train with DF clear leaves datagram by datagram, each with an outer ID of its own.
   */
  UdpSender: new (receiver: UdpReceiver, srcPortMin: number, srcPortMax: number, gso: boolean, onGsoOff: (reason: string) => void, uniqueIds: boolean) => UdpSender;
}

/** What linkInfo reads of a device. */
export interface LinkInfo {
  index: number;
  mtu: number;
  up: boolean;
  /** The index of the bridge (or other master) it is a port of; 0 for none. */
  master: number;
  /** The rtnetlink kind: 'tun' for a TUN/TAP device, 'bridge', ...; '' for none. */
  kind: string;
  /** For kind 'tun': its type, TUNSETPERSIST, and its TUNSETOWNER/TUNSETGROUP (-1: none). */
  tun?: { tap: boolean; persist: boolean; owner: number; group: number };
  addresses: { address: string; prefixLength: number }[];
}

/** Underlay settings shared by the UDP receiver and sender; '' means none. */
export interface UnderlayOptions {
  family: 4 | 6;
  local: string;
  port: number;
  device: string;
  groups: string[];
  /** SO_BUSY_POLL for the receiving socket, in µs (0: none). */
  busyPollUs: number;
  /** IPv4: outer UDP checksums sent (udpcsum; false: SO_NO_CHECK, and no GSO). */
  udpChecksum: boolean;
  /** IPv6: datagrams sent without UDP checksum (udp6zerocsumtx: UDP_NO_CHECK6_TX, and no GSO). */
  udp6ZeroChecksumTx: boolean;
  /** IPv6: datagrams without UDP checksum accepted (udp6zerocsumrx: UDP_NO_CHECK6_RX). */
  udp6ZeroChecksumRx: boolean;
  /** SO_REUSEPORT: each data-path worker binds a socket of its own on the port. */
  reusePort: boolean;
  /** With reusePort: fail where anyone holds the port already (the first worker's socket). */
  claimPort: boolean;
  /** false: IP(V6)_MULTICAST_ALL off, so that only the socket that joined a group takes its datagrams. */
  multicastAll: boolean;
  /** A bound UDP socket handed over by a predecessor: the receiver uses it as it is. */
  fd?: number;
}

export interface UdpReceiver {
  start(): void;
  /** Receives that returned a train of several datagrams (UDP GRO). */
  stats(): { groTrains: number; overflows: number };
  close(): void;
  /** The socket, to hand over to a successor. */
  fd(): number;
}

export interface UdpSender {
  /** Sends the listed entries (datagram layout); returns the datagrams the kernel refused, each of a train counted. */
  send(bytes: Uint8Array, batch: Int32Array, count: number): number;
  /** The bound source ports. */
  ports(): number[];
  /** Whether trains still leave as one UDP_SEGMENT send each, and how many did. */
  stats(): { gso: boolean; gsoSends: number };
  close(): void;
}

/** The symbolic name (EPERM) of an errno number, such as a reader's onBatch(-errno) reports; `errno N` for an unknown one. */
export function errnoName(errno: number): string {
  return Object.entries(constants.errno).find(([, n]) => n === errno)?.[0] ?? `errno ${errno}`;
}

/** A failed system call in the addon. */
export interface NativeError extends Error {
  /** The errno's symbolic name, such as EPERM. */
  code?: string;
  /** The call that failed: 'open', 'TUNSETIFF', 'SIOCSIFMTU', 'SIOCBRADDIF', 'ifname' (a name that does not fit), ... */
  step?: string;
}

let addon: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  // node-gyp's output in the package root.
  addon ??= createRequire(import.meta.url)(path.join(packageRoot(), 'build/Release/vxlan_native.node')) as NativeAddon;
  return addon;
}
