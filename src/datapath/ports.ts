// The two edges the data path moves packets between, as it needs them: the TAP device
// and the underlay. src/io implements them on the addon (and node:dgram); the tests'
// in-memory fakes (test/fakes) implement them too, so whole frame walks run without
// root. Neither edge decides anything: they move bytes as they are.
import type { BatchLayout, DatagramBatch, FrameBatch } from '../engine/batch.js';
import type { VtepConfig } from '../config/vtep-config.js';
import type { FromForwarder, ToForwarder } from './messages.js';

/** What the offloading TAP reader did with what the kernel handed it. */
export interface TapOffloadStats {
  /** TCP super-frames (TSO) read. */
  superFrames: number;
  /** Frames they were cut into. */
  segments: number;
  /** Reads that could not be used: malformed, or a segment larger than a slot. */
  dropped: number;
}

export interface TapPort {
  /** The device's name (the kernel's pick when none was asked for). */
  readonly name: string;
  readonly mac: Uint8Array;
  /** Reads may be TCP super-frames, cut into trains; writes may be merged into them. */
  readonly offload: boolean;
  /**
   * Reads until the device is drained or the batch is full, packing `region`: each frame
   * behind the region's header room, listed in `batch` as a datagram, the segments of a
   * super-frame as one train. Then calls onBatch(count) once; the region is free again
   * when it returns. onFailure(errno name) is told once that the device failed (deleted
   * from outside, EIO): reading has stopped.
   */
  startReading(region: ArrayBuffer, batch: DatagramBatch, frameCapacity: number, onBatch: (count: number) => void, onFailure: (code: string) => void): void;
  /**
   * Writes every listed frame of `buf`; returns how many the device took, and leaves the
   * length of each refused one negated.
   */
  writeFrames(buf: Uint8Array, frames: FrameBatch): number;
  /** Super-frames read and cut so far (offload only). */
  offloadStats(): TapOffloadStats | undefined;
  /** The open device, for a successor to inherit; undefined when it cannot be handed over. */
  handoverFd(): number | undefined;
  close(): void;
}

export interface TapOptions {
  /** Empty: the kernel picks tap0, tap1, ... */
  name: string;
  mtu: number;
  /** The MAC, or how to derive it from the device's name (known once the kernel picked it); none: the kernel's random one. */
  mac?: Uint8Array | ((name: string) => Uint8Array | undefined);
  addresses: { address: string; prefixLength: number }[];
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
  /** Queues to open (IFF_MULTI_QUEUE above 1): one per data-path worker. */
  queues: number;
  /**
   * The TAP outlives the process (TUNSETPERSIST): a stop and start find it as it was,
   * its addresses (and bridge port) already in place.
   */
  persist?: boolean;
}

/** Where TAP ports come from: a new device, or one a predecessor handed over. */
export interface TapPorts {
  /**
   * Creates and configures the device, and opens its queues (the first one names it);
   * throws a RuntimeError saying why it could not.
   */
  open(options: TapOptions): TapPort[];
  /** A device a predecessor opened and configured, used as it is (never set up again). */
  adopt(fd: number, name: string, options: Pick<TapOptions, 'offload' | 'coalesce'>): TapPort;
}

/**
 * Received datagrams: `count` entries of `batch` in `buf`, each a datagram or a train
 * GRO coalesced, with its source address, port and outer TOS. Valid only during the call.
 */
export type ReceiveHandler = (buf: Uint8Array, batch: DatagramBatch, count: number) => void;

export interface UnderlayOffloadStats {
  /** Trains still leave as one sendmsg each (false once the kernel refused GSO). */
  gso: boolean;
  /** Sends that carried a train of datagrams (UDP_SEGMENT). */
  gsoSends: number;
  /** Receives that returned a train of several datagrams (UDP GRO). */
  groTrains: number;
}

/** The underlay bind: how VXLAN datagrams leave and arrive. */
export interface UnderlayTransport {
  /**
   * Binds the sockets (or takes an inherited one over); rejects with a RuntimeError
   * saying why it could not. Nothing is read before startReceiving. A receive error is
   * counted and told to onError (by errno name); receiving resumes shortly after.
   */
  open(onReceive: ReceiveHandler, onError?: (code: string) => void): Promise<void>;
  /** Starts handing received datagrams to onReceive. */
  startReceiving(): void;
  /**
   * Sends every datagram listed (bytes in `buf`); they may be reused once this returns.
   * Returns how many datagrams (each of a train counted) were refused at once; they are
   * counted in sendErrors too, with any refused later.
   */
  send(buf: Uint8Array, batch: DatagramBatch): number;
  /** The UDP source ports datagrams can leave from; known once open. */
  readonly sourcePorts: readonly number[];
  /** Datagrams the kernel refused to send. */
  readonly sendErrors: number;
  /** Receive calls that failed (the socket reported an error). */
  readonly receiveErrors: number;
  /** What UDP GSO and GRO did, where the transport has them. */
  offloadStats(): UnderlayOffloadStats | undefined;
  /**
   * Datagrams the kernel dropped because the receiving socket's buffer was full
   * (SO_RXQ_OVFL, as of the last datagram read); undefined, or absent, where the
   * transport cannot tell.
   */
  socketOverflows?(): number | undefined;
  /** The receiving socket's fd, for a successor to inherit; undefined when it cannot be handed over. */
  receiveFd(): number | undefined;
  close(): void;
}

/** How the edges lay packets out, as the data path must lay out the regions it hands them. */
export interface PacketLayout {
  readonly batches: BatchLayout;
  /** Bytes of VXLAN header room a TAP reader leaves in front of each frame. */
  readonly headroom: number;
  /** Each entry of a region starts at a multiple of this. */
  readonly alignment: number;
}

/** What one data-path worker is started with. */
export interface ForwarderSpec {
  /** Which of `count` workers: the first claims the port and joins the multicast groups. */
  index: number;
  count: number;
  config: VtepConfig;
  /** Its receiving socket, handed over by a predecessor. */
  inheritedUdpFd?: number;
  /** Where it counts: a StatsBoard's buffer. */
  board: SharedArrayBuffer;
}

/** The main thread's end of a running worker. */
export interface ForwarderLink {
  post(message: ToForwarder): void;
  /** Hands the worker its queue of each VNI's TAP, in the configuration's order: it owns them from now on. */
  attach(taps: readonly TapPort[]): void;
  /**
   * Asks it to stop: it stops reading (what it read is written), closes its TAP queues
   * and sockets and ends. Resolves once it has stopped reading (or ended; ended from outside
   * if it takes too long).
   */
  stop(): Promise<void>;
}

/** Where data-path workers run: threads of this process (or, in tests, beside the caller). */
export interface ForwarderPorts {
  /**
   * Starts a worker: it warms up and binds its sockets, then says 'opened' (or
   * 'openFailed'). `onExit` hears once that it ended unasked (a crash), and why.
   */
  start(spec: ForwarderSpec, onMessage: (message: FromForwarder) => void, onExit: (reason: string) => void): ForwarderLink;
  /** The priority (nice value) the process started at: its workers run at it, a successor returns to it. */
  startedNice(): number;
  /** Every worker reads: the rest of the process yields the CPU to them from now on. */
  forwarding(): void;
  /** A handover begins: the process stops yielding where it may, so that the gap between the two is short. */
  handingOver(): void;
}

/** Everything a VTEP moves packets through. */
export interface VtepPorts {
  readonly taps: TapPorts;
  readonly forwarders: ForwarderPorts;
  readonly layout: PacketLayout;
}
