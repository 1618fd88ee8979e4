// What `vxlan-tap stats` and the periodic stats log show of a running VTEP: each VNI's
// counters, and what belongs to no VNI (datagrams nobody claims, send errors, the
// underlay's offload counters, and what the kernel dropped before the socket could read
// it: a full receive buffer, UDP checksum errors in the namespace).
import type { EventHub } from '../control/events.js';
import type { ControlClientCounts } from '../control/server.js';
import type { Counters } from '../engine/counters.js';
import type { UnderlayTransport } from '../datapath/ports.js';
import type { Segment } from '../datapath/segment.js';
import { udpChecksumErrors } from '../io/netstat.js';

export class VtepStats {
  constructor(
    /** Datagrams no VNI claims. */
    private readonly unclaimed: Counters,
    private readonly transport: UnderlayTransport,
    /** Its monitor clients' losses are shown. */
    private readonly events: EventHub,
    /** Whether the underlay offloads (GSO/GRO), whose counters are shown then. */
    private readonly underlayOffload: boolean,
    /** The control clients the sockets hung up on. */
    private readonly controlClients: ControlClientCounts,
  ) {}

  /** One VNI, as `vxlan-tap stats` shows it. */
  segment(segment: Segment): Record<string, unknown> {
    return {
      tap: segment.tapName,
      vni: segment.vni,
      ...segment.counters.snapshot(),
      fdbEntries: segment.fdb.size,
      ...(segment.tap.offload ? { offload: segment.tap.offloadStats() } : {}),
      unclaimed: this.unclaimed.drops,
      sendErrors: this.transport.sendErrors,
      receiveErrors: this.transport.receiveErrors,
      kernelDrops: this.kernelDrops(),
      ...(this.underlayOffload ? { underlay: this.transport.offloadStats() } : {}),
      monitor: { lost: this.events.lost, cutOff: this.events.cutOff },
      controlClients: { ...this.controlClients },
    };
  }

  /** Every VNI, as the stats log line carries it. */
  all(segments: readonly Segment[]): Record<string, unknown> {
    return {
      vnis: Object.fromEntries(segments.map((s) => [s.vni, s.counters.snapshot()])),
      unclaimed: this.unclaimed.drops,
      sendErrors: this.transport.sendErrors,
      receiveErrors: this.transport.receiveErrors,
      kernelDrops: this.kernelDrops(),
    };
  }

  /**
   * Datagrams the kernel dropped before the VXLAN socket read them: its receive buffer
   * full (socketOverflows; absent with --io dgram), and UDP checksum errors of the whole
   * namespace (udpChecksumErrors, IPv4 and IPv6: the kernel does not say for which socket).
   */
  private kernelDrops(): Record<string, unknown> {
    const overflows = this.transport.socketOverflows?.();
    return { ...(overflows === undefined ? {} : { socketOverflows: overflows }), udpChecksumErrors: udpChecksumErrors() };
  }
}
