// Device counters named as `ip -s -s link` names them, plus one count per drop reason
// (the kernel leaves most drop reasons uncounted; we count each).

export const RX_DROP_REASONS = [
  'tooShort', // shorter than a VXLAN header plus an Ethernet header
  'truncated', // larger than the receive buffer: cut short on the way in
  'invalidHeader', // I flag clear
  'unknownVni', // no VTEP here for this VNI
  'unknownSource', // --accept-from peers: the outer source is no peer and no FDB destination
  'reservedBits', // a reserved header bit set
  'ownMac', // inner source MAC is our own (a loop or multicast echo)
  'invalidSrcMac', // multicast or all-zero inner source MAC, while learning
  'staticConflict', // source MAC held by a static/permanent entry pointing elsewhere
  'truncatedInner', // inner IP header cut short
  'ecnNotEct', // outer CE mark on an inner packet that is not ECN-capable (RFC 6040)
  'tapRefused', // decapsulated, but the TAP would not take it (its queue full, or down)
] as const;

export const TX_DROP_REASONS = [
  'noTarget', // no FDB entry and no default destination (or only unspecified remotes)
  'proxyConsumed', // ARP or Neighbour Solicitation taken by the proxy, never tunnelled
  'pathMtu', // larger than the path MTU to its remote(s), with DF: answered with ICMP where it can be
] as const;

export type RxDropReason = (typeof RX_DROP_REASONS)[number];
export type TxDropReason = (typeof TX_DROP_REASONS)[number];
export type DropReason = RxDropReason | TxDropReason;

// They add up: rxDatagrams = rxPackets + every rx drop reason;
// txFrames = txEncapsulated + noTarget + proxyConsumed + pathMtu.
export class Counters {
  /** Datagrams this VNI was handed. */
  rxDatagrams = 0;
  rxPackets = 0;
  rxBytes = 0;
  rxErrors = 0;
  rxFrameErrors = 0;
  rxLengthErrors = 0;
  /** Source MACs not learned because the FDB was full (max-address); their frames were delivered. */
  learnFull = 0;
  /**
   * Delivered frames whose inner TCP/UDP checksum arrived unfinished (a kernel VTEP on the
   * same host leaves it to offload hardware) and was completed here.
   */
  innerChecksumCompleted = 0;
  /** Delivered frames whose inner TCP/UDP checksum is wrong: the receiving stack drops them, as behind a kernel VTEP. */
  innerChecksumBad = 0;
  /** Frames read from the TAP. */
  txFrames = 0;
  /** Frames sent at least once. */
  txEncapsulated = 0;
  /** Copies sent (one per remote). */
  txPackets = 0;
  txBytes = 0;
  /** Frames with no target, and copies for unspecified (0.0.0.0) remotes or too big for their path. */
  txDropped = 0;
  /**
   * ICMP "fragmentation needed" / ICMPv6 "packet too big" written into the TAP for frames
   * too big for a remote's path MTU (as the kernel's skb_tunnel_check_pmtu).
   */
  pathMtuAnswered = 0;
  readonly drops: Record<DropReason, number> = Object.fromEntries(
    [...RX_DROP_REASONS, ...TX_DROP_REASONS].map((r) => [r, 0]),
  ) as Record<DropReason, number>;

  /** Total of all drop reasons on the receive side. */
  rxDropsTotal(): number {
    let total = 0;
    for (const reason of RX_DROP_REASONS) total += this.drops[reason];
    return total;
  }

  snapshot(): Record<string, number | Record<string, number>> {
    const { drops, ...scalars } = this;
    return { ...scalars, drops: { ...drops } };
  }
}
