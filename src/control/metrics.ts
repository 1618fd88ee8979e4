// Prometheus metrics at --metrics host:port (/metrics), through prom-client: each VNI's
// counters and drop reasons, read from the engine when scraped, and what the kernel
// dropped before the VXLAN socket read it.
import http from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { RuntimeError } from '../config/errors.js';
import { RX_DROP_REASONS, TX_DROP_REASONS, type Counters } from '../engine/counters.js';
import type { Logger } from '../ops/log.js';
import type { SegmentTables } from './segment-tables.js';
import { udpChecksumErrors } from '../io/netstat.js';
import type { ControlClientCounts } from './server.js';

/** The underlay as the metrics see it: the receiving socket's overflow drops (SO_RXQ_OVFL). */
export interface UnderlayDrops {
  socketOverflows?(): number | undefined;
}

type Scalar =
  | 'rxPackets' | 'rxBytes' | 'rxErrors' | 'rxFrameErrors' | 'rxLengthErrors' | 'txPackets' | 'txBytes' | 'txDropped' | 'learnFull'
  | 'innerChecksumCompleted' | 'innerChecksumBad';

const COUNTERS: [name: string, help: string, field: Scalar][] = [
  ['rx_packets_total', 'Frames decapsulated and written to the TAP', 'rxPackets'],
  ['rx_bytes_total', 'Bytes of inner frames written to the TAP', 'rxBytes'],
  ['rx_errors_total', 'Receive errors (frame and length errors)', 'rxErrors'],
  ['rx_frame_errors_total', 'Datagrams with reserved bits set, or an ECN conflict', 'rxFrameErrors'],
  ['rx_length_errors_total', 'Inner IP headers cut short', 'rxLengthErrors'],
  ['tx_packets_total', 'Datagrams sent (one per remote copy)', 'txPackets'],
  ['tx_bytes_total', 'Bytes of inner frames sent, per copy', 'txBytes'],
  ['tx_dropped_total', 'Frames with nowhere to go, and copies for unspecified remotes', 'txDropped'],
  ['fdb_learn_full_total', 'Source MACs not learned because the FDB was full (max-address)', 'learnFull'],
  ['inner_checksum_completed_total', 'Frames whose inner TCP/UDP checksum arrived unfinished (a same-host kernel VTEP) and was completed', 'innerChecksumCompleted'],
  ['inner_checksum_bad_total', 'Frames delivered with a wrong inner TCP/UDP checksum (the receiving stack drops them)', 'innerChecksumBad'],
];

/** The reasons of vxlan_tap_control_clients_closed_total, as the metric names them. */
const CLOSED_REASONS: [reason: string, field: keyof ControlClientCounts][] = [
  ['cut_off', 'cutOff'],
  ['refused', 'refused'],
  ['idle', 'idle'],
];

function buildRegistry(segments: () => readonly SegmentTables[], underlay?: UnderlayDrops, clients?: ControlClientCounts): Registry {
  const registry = new Registry();
  new Counter({
    name: 'vxlan_tap_udp_checksum_errors_total',
    help: 'UDP datagrams the kernel dropped in this network namespace for a bad checksum (any socket), by family',
    labelNames: ['family'],
    registers: [registry],
    collect(this: Counter<'family'>) {
      this.reset();
      const errors = udpChecksumErrors();
      if (errors === undefined) return;
      this.inc({ family: 'ipv4' }, errors.udp);
      this.inc({ family: 'ipv6' }, errors.udp6);
    },
  });
  if (underlay !== undefined) {
    new Counter({
      name: 'vxlan_tap_socket_overflows_total',
      help: 'Datagrams the kernel dropped because the VXLAN socket\'s receive buffer was full',
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        this.inc(underlay.socketOverflows?.() ?? 0);
      },
    });
  }
  if (clients !== undefined) {
    new Counter({
      name: 'vxlan_tap_control_clients_closed_total',
      help: 'Control clients hung up on: cut off for leaving answers unread, refused (too many), closed when idle',
      labelNames: ['reason'],
      registers: [registry],
      collect(this: Counter<'reason'>) {
        this.reset();
        for (const [reason, field] of CLOSED_REASONS) this.inc({ reason }, clients[field]);
      },
    });
  }
  const labelsOf = (s: SegmentTables) => ({ vni: String(s.vni), tap: s.tapName });
  const perSegment = (read: (c: Counters) => number) =>
    function (this: Counter<'vni' | 'tap'>): void {
      this.reset();
      for (const s of segments()) this.inc(labelsOf(s), read(s.counters));
    };
  for (const [name, help, field] of COUNTERS) {
    new Counter({ name: `vxlan_tap_${name}`, help, labelNames: ['vni', 'tap'], registers: [registry], collect: perSegment((c) => c[field]) });
  }
  new Counter({
    name: 'vxlan_tap_drops_total',
    help: 'Frames and datagrams dropped, by reason',
    labelNames: ['vni', 'tap', 'reason'],
    registers: [registry],
    collect(this: Counter<'vni' | 'tap' | 'reason'>) {
      this.reset();
      for (const s of segments()) {
        for (const reason of [...RX_DROP_REASONS, ...TX_DROP_REASONS]) this.inc({ ...labelsOf(s), reason }, s.counters.drops[reason]);
      }
    },
  });
  new Gauge({
    name: 'vxlan_tap_fdb_entries',
    help: 'Entries in the forwarding database',
    labelNames: ['vni', 'tap'],
    registers: [registry],
    collect(this: Gauge<'vni' | 'tap'>) {
      for (const s of segments()) this.set(labelsOf(s), s.fdb.size);
    },
  });
  return registry;
}

export class MetricsServer {
  private constructor(private readonly server: http.Server) {}

  static async start(where: { host: string; port: number }, segments: () => readonly SegmentTables[], log: Logger, underlay?: UnderlayDrops, clients?: ControlClientCounts): Promise<MetricsServer> {
    const registry = buildRegistry(segments, underlay, clients);
    const server = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('try /metrics\n');
        return;
      }
      registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new RuntimeError(`cannot serve metrics on ${where.host}:${where.port}: ${err.message}`)));
      server.listen(where.port, where.host, () => resolve());
    });
    log.info({ metrics: `http://${where.host}:${where.port}/metrics` }, 'serving metrics');
    return new MetricsServer(server);
  }

  stop(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}
