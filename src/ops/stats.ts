// What `vxlan-tap stats` and the periodic stats log show of a running VTEP: each VNI's
// counters summed over the data-path workers, and what belongs to no VNI (datagrams
// nobody claims, send errors, the underlay's offload counters, and what the kernel
// dropped before a socket could read it: a full receive buffer, UDP checksum errors in
// the namespace).
import type { EventHub } from '../control/events.js';
import type { ControlClientCounts } from '../control/server.js';
import { Counters } from '../engine/counters.js';
import type { DataPath } from '../data-path.js';
import type { SegmentState } from '../segment-state.js';
import { udpChecksumErrors } from '../io/netstat.js';

export class VtepStats {
  constructor(
    private readonly dataPath: DataPath,
    /** Its monitor clients' losses are shown. */
    private readonly events: EventHub,
    /** Whether the underlay offloads (GSO/GRO), whose counters are shown then. */
    private readonly underlayOffload: boolean,
    /** The control clients the sockets hung up on. */
    private readonly controlClients: ControlClientCounts,
  ) {}

  /** One VNI, as `vxlan-tap stats` shows it: the workers write their device counters first. */
  async segment(segment: SegmentState): Promise<Record<string, unknown>> {
    await this.dataPath.publish();
    return this.segmentNow(segment);
  }

  /** One VNI as the workers last wrote it. */
  segmentNow(segment: SegmentState): Record<string, unknown> {
    const underlay = this.dataPath.underlay();
    return {
      tap: segment.tapName,
      vni: segment.vni,
      ...segment.counters.snapshot(),
      fdbEntries: segment.fdb.size,
      ...(segment.tap.offload ? { offload: segment.tapOffloadStats() } : {}),
      unclaimed: this.unclaimed().drops,
      sendErrors: underlay.sendErrors,
      receiveErrors: underlay.receiveErrors,
      kernelDrops: this.kernelDrops(underlay.socketOverflows),
      ...(this.underlayOffload ? { underlay: underlay.offload } : {}),
      monitor: { lost: this.events.lost, cutOff: this.events.cutOff },
      controlClients: { ...this.controlClients },
      ...(this.dataPath.threads > 1 ? { threads: this.dataPath.perThread(segment.index) } : {}),
    };
  }

  /** Every VNI, as the stats log line carries it. */
  all(segments: readonly SegmentState[]): Record<string, unknown> {
    const underlay = this.dataPath.underlay();
    return {
      vnis: Object.fromEntries(segments.map((s) => [s.vni, s.counters.snapshot()])),
      unclaimed: this.unclaimed().drops,
      sendErrors: underlay.sendErrors,
      receiveErrors: underlay.receiveErrors,
      kernelDrops: this.kernelDrops(underlay.socketOverflows),
      dataPathGc: this.dataPath.gc(),
    };
  }

  /** Datagrams the kernel dropped because a receiving socket's buffer was full (absent with --io dgram). */
  socketOverflows(): number | undefined {
    return this.dataPath.underlay().socketOverflows;
  }

  private unclaimed(): Counters {
    const sum = new Counters();
    this.dataPath.addUnclaimed(sum);
    return sum;
  }

  /**
   * Datagrams the kernel dropped before the VXLAN sockets read them: their receive
   * buffers full (socketOverflows; absent with --io dgram), and UDP checksum errors of
   * the whole namespace (udpChecksumErrors, IPv4 and IPv6: the kernel does not say for
   * which socket).
   */
  private kernelDrops(overflows: number | undefined): Record<string, unknown> {
    return { ...(overflows === undefined ? {} : { socketOverflows: overflows }), udpChecksumErrors: udpChecksumErrors() };
  }
}
