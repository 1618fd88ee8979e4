// The control surface of a running VTEP: one control socket per VNI (requests and the
// monitor stream of that VNI's events) and, with --metrics, the Prometheus endpoint.
import type { Logger } from '../ops/log.js';
import type { VtepConfig } from '../config/vtep-config.js';
import type { SegmentState } from '../segment-state.js';
import { runCommand, slicedListing, type ControlRequest } from './commands.js';
import type { EventHub } from './events.js';
import { MetricsServer, type UnderlayDrops } from './metrics.js';
import { ControlServer, defaultControlPath, type ControlClientCounts } from './server.js';

/** What the sockets ask of the VTEP beyond one segment's tables. */
export interface ControlServices {
  /** `vxlan-tap stats` for one VNI. */
  stats(segment: SegmentState): Promise<Record<string, unknown>>;
  /** The requests about the whole process rather than one VNI (`members`). */
  processCommands: ReadonlySet<string>;
  runProcessCommand(request: ControlRequest): unknown;
  /** The underlay's own drops, for the metrics. */
  underlay: UnderlayDrops;
  /** Where the sockets count the clients they hang up on. */
  clients: ControlClientCounts;
}

/** Where a segment's control socket is: --control, or the default for its TAP. */
export function controlPath(segment: SegmentState): string {
  return segment.config.control ?? defaultControlPath(segment.tap.name);
}

export class ControlServers {
  private readonly sockets: ControlServer[] = [];
  private metrics: MetricsServer | undefined;

  /** Starts them all; on a failure, stops what started and throws. */
  static async start(config: VtepConfig, segments: readonly SegmentState[], events: EventHub, services: ControlServices, log: Logger): Promise<ControlServers> {
    const servers = new ControlServers();
    try {
      for (const segment of segments) {
        const ctx = { segment, port: config.underlay.port, family: config.underlay.family, stats: () => services.stats(segment) };
        servers.sockets.push(
          await ControlServer.start(controlPath(segment), {
            run: (request) => (services.processCommands.has(request.cmd) ? services.runProcessCommand(request) : (slicedListing(request, segment) ?? runCommand(request, ctx))),
            subscribe: (send) => events.subscribe((event) => event.vni === segment.vni && send(event)),
            cutOff: (lost) => {
              events.cutOff++;
              events.lost += lost;
            },
            closed: (why) => void services.clients[why]++,
          }),
        );
      }
      if (config.metrics !== undefined) servers.metrics = await MetricsServer.start(config.metrics, () => segments, log, services.underlay, services.clients);
    } catch (err) {
      servers.stop();
      throw err;
    }
    return servers;
  }

  stop(): void {
    for (const socket of this.sockets) socket.stop();
    this.metrics?.stop();
  }
}
