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
import { isMulticastMac, isZeroMac, macHigh, macLow } from '../vxlan/mac.js';

export interface EngineConfig {
  vni: number;
  /** The TAP's MAC: frames arriving with it as source are our own, looped back. */
  ownMac: Uint8Array;
  learning: boolean;
}

export type FdbEvent = { kind: 'learned' | 'moved'; entry: FdbEntry };

export class Engine {
  readonly counters = new Counters();
  private readonly ownHigh: number;
  private readonly ownLow: number;

  constructor(
    private readonly config: EngineConfig,
    readonly fdb: Fdb,
    /** Told of new and moved entries (not of refreshes, which are per packet). */
    private readonly onFdbEvent: (event: FdbEvent) => void = () => {},
  ) {
    this.ownHigh = macHigh(config.ownMac, 0);
    this.ownLow = macLow(config.ownMac, 0);
  }

  get vni(): number {
    return this.config.vni;
  }

  /**
   * The frame is at buf[frameOffset, frameOffset+length) with 8 bytes of headroom before
   * it. Writes the VXLAN header there and lists one datagram per remote in `out`.
   */
  encap(buf: Uint8Array, frameOffset: number, length: number, out: SendList): void {
    let entry: FdbEntry | undefined;
    if (length >= ETH_HEADER_LEN) {
      entry = this.fdb.lookup(buf, frameOffset + ETH_DST);
      // Broadcast, multicast and unknown unicast: the default destinations.
      if (entry === undefined) entry = this.fdb.defaultEntry();
    }
    if (entry === undefined || entry.remotes.length === 0) {
      this.dropTx();
      return;
    }
    const headerOffset = frameOffset - VXLAN_HEADER_LEN;
    writeVxlanHeader(buf, headerOffset, this.config.vni);
    const remotes = entry.remotes;
    for (let i = 0; i < remotes.length; i++) {
      const remote = remotes[i]!;
      if (isUnspecified(remote)) {
        this.dropTx();
        continue;
      }
      out.push(headerOffset, length + VXLAN_HEADER_LEN, remote);
      this.counters.txPackets++;
      this.counters.txBytes += length;
    }
  }

  /**
   * The datagram (VXLAN header onward) is at buf[offset, offset+length), sent from
   * `source`. Lists the inner frame in `out` unless it is dropped.
   */
  decap(buf: Uint8Array, offset: number, length: number, source: string, now: number, out: DeliverList): void {
    const c = this.counters;
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
      const result = this.fdb.learn(buf, src, source, now);
      if (result === 'conflict') return this.dropRx('staticConflict');
      if (result !== 'refreshed') this.onFdbEvent({ kind: result, entry: this.fdb.lookup(buf, src)! });
    }
    if (hasTruncatedIpHeader(buf, frame, frameLength)) {
      c.rxLengthErrors++;
      c.rxErrors++;
      return this.dropRx('truncatedInner');
    }
    out.push(frame, frameLength);
    c.rxPackets++;
    c.rxBytes += frameLength;
  }

  private dropRx(reason: RxDropReason): void {
    this.counters.drops[reason]++;
  }

  private dropTx(): void {
    this.counters.txDropped++;
    this.counters.drops.noTarget++;
  }
}
