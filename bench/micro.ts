// Micro benchmarks of the engine alone: encap and decap of one 64-frame batch, called as
// datapath/transmit.ts and datapath/receive.ts call them, over a region laid out like the real one. No I/O at all, so this is
// the ceiling that the JavaScript forwarding decisions put on the data path.
//   node dist/bench/micro.js      (npm run bench:micro)
import Benchmark from 'benchmark';
import { DatagramBatch, FrameBatch } from '../src/engine/batch.js';
import { DEFAULT_OUTER_HEADER, Engine, type DatagramSink } from '../src/engine/engine.js';
import { PACKET_LAYOUT } from '../src/io/batch-layout.js';
import { Fdb } from '../src/engine/fdb.js';
import { addressBytes } from '../src/wire/address.js';
import { ETH_DST, ETH_HEADER_LEN, ETH_SRC, ETH_TYPE, ETHERTYPE_IPV4 } from '../src/wire/ethernet.js';
import { VXLAN_HEADER_LEN, writeVxlanHeader } from '../src/wire/vxlan.js';
import { parseMac } from '../src/wire/mac.js';
import { formatTable } from './table.js';

const BATCH = 64;
const VNI = 42;
const PORT = 4789;
const FRAME_LENGTHS = [64, 1450];
const OWN_MAC = parseMac('02:00:00:00:00:01')!;
const PEER_MAC = parseMac('02:00:00:00:00:02')!;
// The peer VTEP's underlay address in the 16-byte form the receive path hands the engine.
const PEER_VTEP = addressBytes('198.51.100.2');
const OUTER_TOS = 0;
// A plain TAP read's room for one datagram at the default MTU: header room + 1450 + an
// Ethernet header with two VLAN tags.
const SLOT_SIZE = VXLAN_HEADER_LEN + 1450 + 14 + 8;
const region = (): Uint8Array => new Uint8Array(SLOT_SIZE * BATCH);

interface BatchCase {
  name: string;
  /** Processes one batch of BATCH frames. */
  runBatch: () => void;
  /** How many datagrams/frames the last batch produced: BATCH, or the case measures drops. */
  produced: () => number;
}

function newEngine(): Engine {
  const fdb = new Fdb({ learnedPort: PORT, ageingMs: 300_000 });
  return new Engine({ vni: VNI, ownMac: OWN_MAC, learning: true, outer: DEFAULT_OUTER_HEADER }, fdb);
}

/**
 * An IPv4/TCP frame from `src` to `dst`: real IP and TCP headers, because encap reads
 * them (DS field, TTL, flow hash for the UDP source port). The payload stays zero.
 */
function writeFrame(buf: Uint8Array, offset: number, length: number, dst: Uint8Array, src: Uint8Array): void {
  buf.set(dst, offset + ETH_DST);
  buf.set(src, offset + ETH_SRC);
  buf[offset + ETH_TYPE] = ETHERTYPE_IPV4 >> 8;
  buf[offset + ETH_TYPE + 1] = ETHERTYPE_IPV4 & 0xff;
  const ip = offset + ETH_HEADER_LEN;
  const ipLength = length - ETH_HEADER_LEN;
  buf.set([0x45, 0, ipLength >> 8, ipLength & 0xff, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2], ip);
  const tcp = ip + 20;
  buf.set([0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff], tcp); // 40000 -> 5201, ACK
}

/** Frames read from the TAP (behind 8 bytes of header room), all to a MAC already learned behind one VTEP. */
function encapCase(frameLength: number): BatchCase {
  const bytes = region();
  for (let slot = 0; slot < BATCH; slot++) writeFrame(bytes, slot * SLOT_SIZE + VXLAN_HEADER_LEN, frameLength, PEER_MAC, OWN_MAC);
  const engine = newEngine();
  // Learned unicast: one send per frame, no flooding.
  engine.fdb.learn(PEER_MAC, 0, PEER_VTEP, 0, Date.now());
  const sends: DatagramSink = { listed: new DatagramBatch(BATCH, PACKET_LAYOUT.batches.datagram), send: () => {} };
  const proxyReplies = new FrameBatch(BATCH, PACKET_LAYOUT.batches.frame); // stays empty: the proxy is off
  const datagram = VXLAN_HEADER_LEN + frameLength;
  return {
    name: `encap ${frameLength} B`,
    runBatch: () => {
      sends.listed.reset();
      for (let slot = 0; slot < BATCH; slot++) engine.encap(bytes, slot * SLOT_SIZE, datagram, datagram, sends, proxyReplies);
    },
    produced: () => sends.listed.count,
  };
}

/** Datagrams received from the underlay (at slot+0), learning on: every frame refreshes its source. */
function decapCase(frameLength: number): BatchCase {
  const bytes = region();
  for (let slot = 0; slot < BATCH; slot++) {
    writeVxlanHeader(bytes, slot * SLOT_SIZE, VNI);
    writeFrame(bytes, slot * SLOT_SIZE + VXLAN_HEADER_LEN, frameLength, OWN_MAC, PEER_MAC);
  }
  const engine = newEngine();
  const delivered = new FrameBatch(BATCH, PACKET_LAYOUT.batches.frame);
  return {
    name: `decap ${frameLength} B`,
    runBatch: () => {
      const now = Date.now(); // once per batch, as the receive callback does
      delivered.reset();
      for (let slot = 0; slot < BATCH; slot++) {
        engine.decap(bytes, slot * SLOT_SIZE, VXLAN_HEADER_LEN + frameLength, PEER_VTEP, 0, OUTER_TOS, now, delivered);
      }
    },
    produced: () => delivered.count,
  };
}

function measure(batchCase: BatchCase): string[] {
  batchCase.runBatch();
  if (batchCase.produced() !== BATCH) {
    throw new Error(`${batchCase.name}: a batch produced ${batchCase.produced()} of ${BATCH}; the case would measure drops`);
  }
  const bench = new Benchmark(batchCase.name, batchCase.runBatch).run();
  if (bench.error) throw bench.error;
  process.stderr.write(`${String(bench)}\n`);
  const packetsPerSecond = bench.hz * BATCH;
  return [
    batchCase.name,
    Math.round(bench.hz).toLocaleString('en-US'),
    `±${bench.stats.rme.toFixed(1)}%`,
    (packetsPerSecond / 1e6).toFixed(2),
    (1e9 / packetsPerSecond).toFixed(1),
  ];
}

const cases = FRAME_LENGTHS.flatMap((length) => [encapCase(length), decapCase(length)]);
const rows = cases.map(measure);
process.stdout.write(`engine micro benchmarks, batches of ${BATCH} (node ${process.version})\n\n`);
process.stdout.write(`${formatTable(['case', 'batches/s', 'error', 'Mpps', 'ns/packet'], rows)}\n`);
