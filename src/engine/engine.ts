// The data plane's decisions for one VNI, pure and synchronous: no sockets, no timers.
// encap: an Ethernet frame from the TAP -> header written in place, one send per remote.
// decap: a VXLAN datagram from the underlay -> checked, source learned, frame delivered.
// Drops follow the kernel's receive path order; each is counted by reason.
import { Counters, type RxDropReason } from './counters.js';
import { Fdb, type FdbEntry } from './fdb.js';
import { isUnspecified } from './remote.js';
import type { DeliverList, SendList } from './batch.js';
import {
  VXLAN_HEADER_LEN,
  hasIFlag,
  hasReservedBits,
  readVni,
  writeVxlanHeader,
} from '../vxlan/header.js';
import { ETH_DST, ETH_HEADER_LEN, ETH_SRC, hasTruncatedIpHeader } from '../vxlan/ethernet.js';
import { formatMac, isMulticastMac, isZeroMac, macHigh, macLow } from '../vxlan/mac.js';
import { NeighTable } from './neigh.js';
import { Proxy, isProxied } from './proxy.js';
import {
  ECN_CE,
  decapCe,
  dsField,
  encapEcn,
  flowHash,
  flowIpOffset,
  hopLimit,
  inheritsDf,
  innerIpOffset,
  portFromHash,
} from '../vxlan/inner.js';

/** How the outer IP/UDP header is filled, as the kernel's ttl, tos, df and srcport. */
export interface OuterHeaderConfig {
  /** A fixed TTL, 'auto' (64, or 1 to a multicast group) or 'inherit' (the inner TTL). */
  ttl: number | 'auto' | 'inherit';
  /** A fixed TOS or 'inherit' (the inner DS field); ECN bits always follow the inner. */
  tos: number | 'inherit';
  df: 'unset' | 'set' | 'inherit';
  /** UDP source ports, chosen per inner flow from this range. */
  srcPortMin: number;
  srcPortMax: number;
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
  /** Report proxied addresses with no neighbour entry. */
  l3miss?: boolean;
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
  }

  /**
   * The frame is at buf[frameOffset, frameOffset+length) with 8 bytes of headroom before
   * it. Writes the VXLAN header there and lists one datagram per remote in `out`, with
   * the outer header fields for it. A proxied frame is answered instead: the reply is
   * written over it and listed in `toTap`.
   */
  encap(buf: Uint8Array, frameOffset: number, length: number, out: SendList, toTap: DeliverList): void {
    const c = this.counters;
    c.txFrames++;
    if (this.config.proxy && isProxied(buf, frameOffset, length)) {
      const { replyLength, missed } = this.proxy.answer(buf, frameOffset, length);
      if (replyLength > 0) toTap.push(frameOffset, replyLength);
      else if (missed !== undefined && this.config.l3miss) this.onEvent({ kind: 'l3miss', ip: missed });
      c.drops.proxyConsumed++;
      return;
    }
    let entry: FdbEntry | undefined;
    if (length >= ETH_HEADER_LEN) {
      entry = this.fdb.lookup(buf, frameOffset + ETH_DST);
      // Broadcast, multicast and unknown unicast: the default destinations.
      if (entry === undefined) entry = this.fdb.defaultEntry();
    }
    if (entry === undefined || entry.remotes.length === 0) {
      if (this.config.l2miss && length >= ETH_HEADER_LEN && !isMulticastMac(buf, frameOffset + ETH_DST)) {
        this.onEvent({ kind: 'l2miss', mac: formatMac(buf, frameOffset + ETH_DST) });
      }
      c.txDropped++;
      c.drops.noTarget++;
      return;
    }
    const headerOffset = frameOffset - VXLAN_HEADER_LEN;
    writeVxlanHeader(buf, headerOffset, this.config.vni);

    // Outer fields depend on the inner packet only: work them out once per frame.
    const o = this.config.outer;
    const ip = innerIpOffset(buf, frameOffset, length);
    const ds = ip < 0 ? 0 : dsField(buf, ip);
    const tos = ((o.tos === 'inherit' ? ds : o.tos) & ~3) | encapEcn(ds);
    const df = o.df === 'set' || (o.df === 'inherit' && ip >= 0 && inheritsDf(buf, ip)) ? 1 : 0;
    const srcPort = portFromHash(flowHash(buf, frameOffset, length, flowIpOffset(buf, frameOffset, length)), o.srcPortMin, o.srcPortMax);
    // An inherited TTL of 0 falls back to the default, as the kernel's route hop limit.
    const inheritedTtl = (ip < 0 ? 0 : hopLimit(buf, ip)) || DEFAULT_TTL;

    const remotes = entry.remotes;
    let sent = 0;
    for (let i = 0; i < remotes.length; i++) {
      const remote = remotes[i]!;
      if (isUnspecified(remote)) {
        c.txDropped++;
        continue;
      }
      const ttl = o.ttl === 'auto' ? (remote.multicast ? 1 : DEFAULT_TTL) : o.ttl === 'inherit' ? inheritedTtl : o.ttl;
      out.push(headerOffset, length + VXLAN_HEADER_LEN, remote, remote.vni ?? this.config.vni, srcPort, ttl, tos, df);
      sent++;
      c.txPackets++;
      c.txBytes += length;
    }
    if (sent > 0) c.txEncapsulated++;
    else c.drops.noTarget++;
  }

  /**
   * The datagram (VXLAN header onward) is at buf[offset, offset+length), sent from the
   * 16-byte address at sources[sourceOffset] with outer TOS `tos`. Lists the inner frame
   * in `out` unless it is dropped.
   */
  decap(
    buf: Uint8Array,
    offset: number,
    length: number,
    sources: Uint8Array,
    sourceOffset: number,
    tos: number,
    now: number,
    out: DeliverList,
  ): void {
    const c = this.counters;
    c.rxDatagrams++;
    if (length < VXLAN_HEADER_LEN + ETH_HEADER_LEN) return this.dropRx('tooShort');
    if (!hasIFlag(buf, offset)) return this.dropRx('invalidHeader');
    if (readVni(buf, offset) !== this.config.vni) return this.dropRx('unknownVni');
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
      // A full FDB learns nothing more, silently; the frame is still delivered.
      if (result === 'learned' || result === 'moved') this.onEvent({ kind: result, entry: this.fdb.lookup(buf, src)! });
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

  private dropRx(reason: RxDropReason): void {
    this.counters.drops[reason]++;
  }
}
