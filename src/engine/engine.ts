// The data plane's decisions for one VNI, pure and synchronous: no sockets, no timers.
// encap: a frame, or a train of TCP segments cut from one super-frame, from the TAP ->
//   decided once (one FDB lookup, one destination list, one set of outer fields), the
//   VXLAN header written in front of every frame, one send entry per remote.
// decap: a VXLAN datagram whose VNI is this engine's (the demultiplexer looked it up) ->
//   checked, source learned, frame delivered.
// Drops follow the kernel's receive path order; each is counted by reason.
import { Counters, type RxDropReason } from './counters.js';
import { Fdb, type FdbEntry } from './fdb.js';
import { isUnspecified } from './remote.js';
import type { DatagramBatch, FrameBatch } from './batch.js';
import {
  VXLAN_HEADER_LEN,
  hasReservedBits,
  writeVxlanHeader,
} from '../wire/vxlan.js';
import { ETH_DST, ETH_HEADER_LEN, ETH_SRC } from '../wire/ethernet.js';
import { formatMac, isMulticastMac, isZeroMac, macHigh, macLow } from '../wire/mac.js';
import { addressBytes, formatAddress } from '../wire/address.js';
import { NeighTable } from './neigh.js';
import { Proxy, isProxied } from './proxy.js';
import { outerOverhead, PathMtus, TooBigAnswer } from './path-mtu.js';
import {
  ECN_CE,
  decapCe,
  dsField,
  encapEcn,
  flowHash,
  flowLabel,
  flowIpOffset,
  hasTruncatedIpHeader,
  hopLimit,
  inheritsDf,
  innerIpOffset,
  portFromHash,
} from '../wire/inner.js';

/** How the outer IP/UDP header is filled, as the kernel's ttl, tos, df and srcport. */
export interface OuterHeaderConfig {
  /** A fixed TTL, 'auto' (64, or 1 to a multicast group) or 'inherit' (the inner TTL). */
  ttl: number | 'auto' | 'inherit';
  /** A fixed TOS or 'inherit' (the inner DS field); ECN bits always follow the inner. */
  tos: number | 'inherit';
  df: 'unset' | 'set' | 'inherit';
  /**
   * UDP source ports, chosen per inner flow from [srcPortMin, srcPortMax): the max is
   * exclusive, as the kernel's srcport (equal to the min: that one port).
   */
  srcPortMin: number;
  srcPortMax: number;
  /** Outer IPv6 flow label: a fixed one (0 by default, as the kernel) or 'inherit' (the inner IPv6 packet's). */
  flowLabel?: number | 'inherit';
}

export const DEFAULT_TTL = 64;

export const DEFAULT_OUTER_HEADER: OuterHeaderConfig = {
  ttl: 'auto',
  tos: 0,
  df: 'unset',
  srcPortMin: 32768,
  srcPortMax: 60999,
};

export interface EngineConfig {
  vni: number;
  /** The TAP's MAC: frames arriving with it as source are our own, looped back. */
  ownMac: Uint8Array;
  learning: boolean;
  outer: OuterHeaderConfig;
  /** Answer ARP and Neighbour Solicitation from the neighbour table; never tunnel them. */
  proxy?: boolean;
  /** Report unicast destinations with no FDB entry and no default entry. */
  l2miss?: boolean;
  /** Report proxied addresses with no neighbour entry (not the TAP's own: ownAddresses). */
  l3miss?: boolean;
  /** The TAP's own addresses: a request for one of them is the host's own, never an l3miss. */
  ownAddresses?: readonly string[];
  /**
   * The UDP source ports the underlay can send from (its bound sockets); each inner flow
   * gets one by its hash. Default: every port of the outer srcport range.
   */
  sourcePorts?: readonly number[];
  /**
   * 'peers': decapsulate only datagrams whose outer source is a remote of some FDB entry
   * (the flood list's peers among them), or that were sent to the group (in group mode
   * the VTEPs are its senders); 'any' (the kernel's way): from anyone.
   */
  acceptFrom?: AcceptFrom;
}

export type AcceptFrom = 'any' | 'peers';

/** Where encap lists what to send. */
export interface DatagramSink {
  readonly listed: DatagramBatch;
  /**
   * Sends what is listed and empties the batch: the engine asks for it before it rewrites
   * VXLAN headers that listed entries still point at (a copy for a remote with a VNI of
   * its own).
   */
  send(): void;
}

/** What the engine reports as it goes: learning, and misses a controller may answer. */
export type EngineEvent =
  | { kind: 'learned' | 'moved'; entry: FdbEntry }
  | { kind: 'l2miss'; mac: string }
  | { kind: 'l3miss'; ip: string };

export class Engine {
  readonly counters = new Counters();
  private readonly ownHigh: number;
  private readonly ownLow: number;
  private readonly proxy: Proxy;
  private readonly sourcePorts: readonly number[];
  private readonly ownAddresses: ReadonlySet<string>;
  /** Each remote's path MTU, where the underlay refused a datagram as too big for it. */
  readonly pathMtus = new PathMtus();
  private readonly tooBig = new TooBigAnswer();

  constructor(
    private readonly config: EngineConfig,
    readonly fdb: Fdb,
    readonly neighbours: NeighTable = new NeighTable(),
    /** Told of new and moved entries (not of refreshes, which are per packet) and of misses. */
    private readonly onEvent: (event: EngineEvent) => void = () => {},
  ) {
    this.ownHigh = macHigh(config.ownMac, 0);
    this.ownLow = macLow(config.ownMac, 0);
    this.proxy = new Proxy(neighbours);
    const { srcPortMin, srcPortMax } = config.outer;
    this.sourcePorts = config.sourcePorts ?? Array.from({ length: Math.max(1, srcPortMax - srcPortMin) }, (_, i) => srcPortMin + i);
    this.ownAddresses = new Set((config.ownAddresses ?? []).map((a) => formatAddress(addressBytes(a), 0)));
  }

  /**
   * Datagrams read from the TAP, their VXLAN header room still blank: a single one, or
   * a train of `segment`-sized ones (the segments of one TCP super-frame, whose headers
   * differ only in lengths, ids, sequence numbers and checksums) at buf[offset,
   * offset+length). Decides where they go from the first frame, writes every VXLAN
   * header and lists the train once per remote in `out`, with the outer header fields
   * for it. A proxied frame is answered instead: the reply is written over it and listed
   * in `toTap`. So is one that no longer fits a remote's path MTU (learnPathMtu), with
   * DF (over IPv6, whose routers never fragment, whenever the inner packet can be told:
   * IPv6, or IPv4 with DF): ICMP "fragmentation needed" or "packet too big" toward its
   * sender, as the kernel's skb_tunnel_check_pmtu; that remote gets no copy.
   */
  encap(buf: Uint8Array, offset: number, length: number, segment: number, out: DatagramSink, toTap: FrameBatch): void {
    const c = this.counters;
    const frames = Math.ceil(length / segment);
    const frameOffset = offset + VXLAN_HEADER_LEN;
    // The first frame decides for all of them.
    const first = Math.min(segment, length) - VXLAN_HEADER_LEN;
    const frameBytes = length - frames * VXLAN_HEADER_LEN;
    c.txFrames += frames;
    if (frames === 1 && this.config.proxy && isProxied(buf, frameOffset, first)) {
      const { replyLength, missed } = this.proxy.answer(buf, frameOffset, first);
      if (replyLength > 0) toTap.push(frameOffset, replyLength);
      else if (missed !== undefined && this.config.l3miss && !this.ownAddresses.has(missed)) this.onEvent({ kind: 'l3miss', ip: missed });
      c.drops.proxyConsumed++;
      return;
    }
    let entry: FdbEntry | undefined;
    if (first >= ETH_HEADER_LEN) {
      entry = this.fdb.lookup(buf, frameOffset + ETH_DST);
      // Broadcast, multicast and unknown unicast: the default destinations.
      if (entry === undefined) entry = this.fdb.defaultEntry();
    }
    if (entry === undefined || entry.remotes.length === 0) {
      if (this.config.l2miss && first >= ETH_HEADER_LEN && !isMulticastMac(buf, frameOffset + ETH_DST)) {
        this.onEvent({ kind: 'l2miss', mac: formatMac(buf, frameOffset + ETH_DST) });
      }
      c.txDropped += frames;
      c.drops.noTarget += frames;
      return;
    }

    // Outer fields depend on the inner packet only: work them out once.
    const o = this.config.outer;
    const ip = innerIpOffset(buf, frameOffset, first);
    const ds = ip < 0 ? 0 : dsField(buf, ip);
    const tos = ((o.tos === 'inherit' ? ds : o.tos) & ~3) | encapEcn(ds);
    const inherits = ip >= 0 && inheritsDf(buf, ip);
    const df = o.df === 'set' || (o.df === 'inherit' && inherits) ? 1 : 0;
    const df6 = df === 1 || inherits ? 1 : 0;
    // The largest datagram of the train, against a remote's path MTU.
    const datagram = Math.min(segment, length);
    const now = this.pathMtus.size > 0 ? Date.now() : 0;
    let tooBigMtu = 0;
    let tooBigFamily: 4 | 6 = 4;
    const srcPort = this.sourcePorts[portFromHash(flowHash(buf, frameOffset, first, flowIpOffset(buf, frameOffset, first)), 0, this.sourcePorts.length - 1)]!;
    // An inherited TTL of 0 falls back to the default, as the kernel's route hop limit.
    const inheritedTtl = (ip < 0 ? 0 : hopLimit(buf, ip)) || DEFAULT_TTL;
    const label = o.flowLabel === 'inherit' ? (ip < 0 ? 0 : flowLabel(buf, ip)) : (o.flowLabel ?? 0);

    const remotes = entry.remotes;
    let written = -1;
    let sent = 0;
    for (let i = 0; i < remotes.length; i++) {
      const remote = remotes[i]!;
      if (isUnspecified(remote)) {
        c.txDropped += frames;
        continue;
      }
      const remoteDf = remote.family === 6 ? df6 : df;
      if (now > 0 && remoteDf === 1) {
        const pathMtu = this.pathMtus.get(remote.address, now);
        if (pathMtu > 0 && datagram + outerOverhead(remote.family) > pathMtu) {
          c.txDropped += frames;
          tooBigMtu = pathMtu;
          tooBigFamily = remote.family;
          continue;
        }
      }
      const vni = remote.vni ?? this.config.vni;
      if (vni !== written) {
        // Listed copies still point at the headers about to change: send them first.
        if (written >= 0) out.send();
        for (let at = offset; at < offset + length; at += segment) writeVxlanHeader(buf, at, vni);
        written = vni;
      }
      const ttl = o.ttl === 'auto' ? (remote.multicast ? 1 : DEFAULT_TTL) : o.ttl === 'inherit' ? inheritedTtl : o.ttl;
      out.listed.push(offset, length, segment, remote, srcPort, ttl, tos, remoteDf, label);
      sent++;
      c.txPackets += frames;
      c.txBytes += frameBytes;
    }
    if (sent > 0) c.txEncapsulated += frames;
    else if (tooBigMtu > 0) c.drops.pathMtu += frames;
    else c.drops.noTarget += frames;
    if (tooBigMtu > 0 && ip >= 0) {
      // The copies listed still point at the frame the answer is written over.
      if (sent > 0) out.send();
      const reply = this.tooBig.write(buf, frameOffset, first, ip, tooBigMtu, tooBigFamily);
      if (reply > 0 && toTap.push(frameOffset, reply)) c.pathMtuAnswered++;
    }
  }

  /**
   * The underlay refused a datagram to `address` as larger than the path MTU `mtu` (its
   * route's, lowered by a router's ICMP): what does not fit it is answered from now on.
   */
  learnPathMtu(address: string, mtu: number): void {
    this.pathMtus.learn(address, mtu);
  }

  /**
   * The datagram (VXLAN header onward) is at buf[offset, offset+length), sent from the
   * 16-byte address at sources[sourceOffset] with outer TOS `tos`; its I flag and VNI
   * were checked when it was routed here. Lists the inner frame in `out` unless it is
   * dropped.
   */
  decap(
    buf: Uint8Array,
    offset: number,
    length: number,
    sources: Uint8Array,
    sourceOffset: number,
    tos: number,
    now: number,
    out: FrameBatch,
    /** Sent to the multicast group (not to our unicast address). */
    toGroup = false,
  ): void {
    const c = this.counters;
    c.rxDatagrams++;
    if (length < VXLAN_HEADER_LEN + ETH_HEADER_LEN) return this.dropRx('tooShort');
    // Before learning: a forged source must not move a MAC to itself.
    if (this.config.acceptFrom === 'peers' && !toGroup && !this.fdb.hasDestination(sources, sourceOffset)) return this.dropRx('unknownSource');
    if (hasReservedBits(buf, offset)) {
      c.rxFrameErrors++;
      c.rxErrors++;
      return this.dropRx('reservedBits');
    }
    const frame = offset + VXLAN_HEADER_LEN;
    const frameLength = length - VXLAN_HEADER_LEN;
    const src = frame + ETH_SRC;
    if (macHigh(buf, src) === this.ownHigh && macLow(buf, src) === this.ownLow) return this.dropRx('ownMac');
    if (this.config.learning) {
      if (isMulticastMac(buf, src) || isZeroMac(buf, src)) return this.dropRx('invalidSrcMac');
      const result = this.fdb.learn(buf, src, sources, sourceOffset, now);
      if (result === 'conflict') return this.dropRx('staticConflict');
      // A full FDB learns nothing more; the frame is still delivered, the refusal counted.
      if (result === 'full') c.learnFull++;
      else if (result === 'learned' || result === 'moved') this.onEvent({ kind: result, entry: this.fdb.lookup(buf, src)! });
    }
    if (hasTruncatedIpHeader(buf, frame, frameLength)) {
      c.rxLengthErrors++;
      c.rxErrors++;
      return this.dropRx('truncatedInner');
    }
    if ((tos & 3) === ECN_CE) {
      const ip = innerIpOffset(buf, frame, frameLength);
      if (ip >= 0 && !decapCe(buf, ip)) {
        c.rxFrameErrors++;
        c.rxErrors++;
        return this.dropRx('ecnNotEct');
      }
    }
    out.push(frame, frameLength);
    c.rxPackets++;
    c.rxBytes += frameLength;
  }

  /** A datagram of this VNI that arrived cut short (larger than any receive buffer). */
  dropTruncated(): void {
    const c = this.counters;
    c.rxDatagrams++;
    c.rxLengthErrors++;
    c.rxErrors++;
    this.dropRx('truncated');
  }

  private dropRx(reason: RxDropReason): void {
    this.counters.drops[reason]++;
  }
}
