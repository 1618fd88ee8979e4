// The entry of a data-path worker thread: the addon's TAP queues and UDP sockets, and a
// Forwarder between them (src/datapath/forwarder.ts). Started by forwarder-threads.ts.
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { VtepConfig } from '../config/vtep-config.js';
import { Forwarder } from '../datapath/forwarder.js';
import type { ToForwarder } from '../datapath/messages.js';
import { StatsBoard } from '../datapath/stats-board.js';
import { BATCH } from '../datapath/transmit.js';
import type { UnderlayTransport } from '../datapath/ports.js';
import { countCollections } from '../ops/collections.js';
import { createLogger } from '../ops/log.js';
import { PACKET_LAYOUT } from './batch-layout.js';
import { DgramTransport } from './dgram-transport.js';
import { NativeTransport } from './native-transport.js';
import { nativeTaps } from './tap.js';

/** What the thread is started with (structured-cloned). */
export interface ThreadData {
  index: number;
  count: number;
  config: VtepConfig;
  inheritedUdpFd: number | undefined;
  board: SharedArrayBuffer;
  logFormat: 'json' | 'pretty';
}

/** The main thread hands the TAP queues over as open fds (the same numbers: one process). */
export type ThreadMessage = ToForwarder | { kind: 'attach'; taps: { fd: number; name: string }[] };

/** What the thread tells forwarder-threads.ts besides the Forwarder's messages: its kernel thread id. */
export interface ThreadId {
  kind: 'thread';
  tid: number;
}

/**
 * This worker's underlay: with several workers, each socket shares the port (the first
 * claims it) and only the first joins the multicast groups, so that a group's datagram
 * is taken once.
 */
function createTransport(data: ThreadData, log: ReturnType<typeof createLogger>): UnderlayTransport {
  const { config, index, count, inheritedUdpFd } = data;
  const { family, port, local, device, io, outer, offload, busyPollUs, outerIds, udpChecksum, udp6ZeroChecksumTx, udp6ZeroChecksumRx } = config.underlay;
  const groups = index > 0 ? [] : config.segments.map((s) => s.group).filter((g): g is string => g !== undefined);
  const options = {
    family, port, local, device, groups,
    srcPortMin: outer.srcPortMin, srcPortMax: outer.srcPortMax, offload: offload !== 'off', busyPollUs, inheritedFd: inheritedUdpFd, outerIds,
    udpChecksum, udp6ZeroChecksumTx, udp6ZeroChecksumRx,
    shared: count > 1 ? { claim: index === 0, groups: index === 0 } : undefined,
  };
  return io === 'native' ? new NativeTransport(options, BATCH, log) : new DgramTransport(options);
}

const data = workerData as ThreadData;
const { config } = data;
const base = createLogger(config.logLevel, data.logFormat);
const log = data.count > 1 ? base.child({ thread: data.index }) : base;
const forwarder = new Forwarder(config, createTransport(data, log), PACKET_LAYOUT, data.board, log, (message) => parentPort!.postMessage(message));
// This worker's own collections, on the board where the stats line reads them: in steady
// state there should be none.
const board = new StatsBoard(config.segments.length + 1, data.board);
countCollections((count, ms) => board.writeGc(count, ms));
const offload = { offload: config.underlay.offload !== 'off', coalesce: config.underlay.offload === 'on' };
parentPort!.on('message', (message: ThreadMessage) => {
  if (message.kind === 'attach') return forwarder.attach(message.taps.map((t) => nativeTaps.adopt(t.fd, t.name, offload)));
  forwarder.handle(message);
  // Stopped: nothing is left open, and the thread ends once the port is closed.
  if (message.kind === 'stop') parentPort!.close();
});
// /proc/thread-self is /proc/PID/task/TID.
parentPort!.postMessage({ kind: 'thread', tid: Number(readlinkSync('/proc/thread-self').split('/').pop()) } satisfies ThreadId);
await forwarder.open();
